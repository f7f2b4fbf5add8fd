"""Image grids and PNG writing."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np


def to_uint8(images: np.ndarray) -> np.ndarray:
    """[-1, 1] floats -> uint8."""
    return np.clip(np.round((np.asarray(images) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def to_float(images: np.ndarray) -> np.ndarray:
    """uint8 -> float32 in [-1, 1] (the models' range)."""
    return np.asarray(images).astype(np.float32) / 127.5 - 1.0


def image_grid(columns: list[np.ndarray], gap: int = 2) -> np.ndarray:
    """Columns of (N, H, W, 3) images, uint8 or floats in [-1, 1] -> one uint8 grid, row i = item i."""
    n, h, w, _ = columns[0].shape
    grid = np.full((n * h + (n - 1) * gap, len(columns) * w + (len(columns) - 1) * gap, 3), 255, np.uint8)
    for j, col in enumerate(columns):
        col = col if col.dtype == np.uint8 else to_uint8(col)
        for i in range(n):
            y, x = i * (h + gap), j * (w + gap)
            grid[y:y + h, x:x + w] = col[i]
    return grid


def enlarge(images: np.ndarray, min_side: int) -> np.ndarray:
    """(N, H, W, 3) images as uint8, each pixel repeated a whole number of times to a side of at least
    `min_side` (nearest neighbour: what the model drew, pixel for pixel, only bigger)."""
    factor = max(1, -(-min_side // images.shape[1]))
    images = images if images.dtype == np.uint8 else to_uint8(images)
    return np.repeat(np.repeat(images, factor, 1), factor, 2)


def labelled_grid(columns: list[np.ndarray], titles: list[str], min_side: int = 128, gap: int = 2) -> np.ndarray:
    """image_grid at a size a person can see (each image enlarged by a whole factor, pixel for pixel, to at
    least `min_side`), under a header naming each column."""
    big = [enlarge(c, min_side) for c in columns]
    grid = image_grid(big, gap)
    side = big[0].shape[1]
    header = np.full((28, grid.shape[1], 3), 255, np.uint8)
    for j, title in enumerate(titles):
        scale = min(0.5, 0.5 * side / max(1, cv2.getTextSize(title, cv2.FONT_HERSHEY_SIMPLEX, 0.5, 1)[0][0] + 8))
        (tw, _), _ = cv2.getTextSize(title, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        x = j * (side + gap) + max(0, (side - tw) // 2)
        cv2.putText(header, title, (x, 19), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([header, grid])


def save_png(rgb: np.ndarray, path: str | Path) -> Path:
    """Write an RGB uint8 image atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ok, data = cv2.imencode(".png", np.ascontiguousarray(rgb[..., ::-1]))
    if not ok:
        raise OSError(f"could not encode {path}")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data.tobytes())
    os.replace(tmp, path)
    return path
