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
