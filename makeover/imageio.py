"""Reading user photos safely and writing results.

Pillow reads the header before any pixel, so an oversized image (a
decompression bomb) is refused before it is decoded; it also applies the EXIF
orientation and converts grayscale, palette, 16-bit and CMYK images. Every
failure is an `ImageReadError` with a one-line message.
"""

from __future__ import annotations

import errno
import os
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

DEFAULT_MAX_PIXELS = 60_000_000
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif")
ALPHA_SUFFIXES = (".png", ".webp", ".tif", ".tiff")


class ImageReadError(ValueError):
    """A file that is not a readable image (or too large); the message says which and why."""


@dataclass
class Photo:
    rgb: np.ndarray              # H x W x 3 uint8, upright
    alpha: np.ndarray | None     # H x W uint8, or None


def read_image(path: str | Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> Photo:
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    problem = file_problem(path)
    if problem:
        raise ImageReadError(f"{path}: {problem}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            previous, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None  # we check the size ourselves
            try:
                with Image.open(path) as im:
                    w, h = im.size
                    if w * h > max_pixels:
                        raise ImageReadError(
                            f"{path}: {w}x{h} is {w * h / 1e6:.0f} megapixels, over the {max_pixels / 1e6:.0f} MP "
                            "limit; shrink it first or raise --max-pixels")
                    im.load()
                    im = ImageOps.exif_transpose(im)
                    return _to_photo(im)
            finally:
                Image.MAX_IMAGE_PIXELS = previous
    except ImageReadError:
        raise
    except UnidentifiedImageError:
        raise ImageReadError(f"{path}: not an image file (or a format this tool cannot read)") from None
    except (OSError, ValueError, SyntaxError) as e:
        raise ImageReadError(f"{path}: unreadable image ({e})") from None


def file_problem(path: Path) -> str | None:
    """Why `path` is not a regular, non-empty file that can be opened, in a few words; None if it is."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return "a broken symbolic link (its target does not exist)" if path.is_symlink() else "no such file"
    except OSError as e:
        return "a symbolic link loop" if e.errno == errno.ELOOP else f"cannot be read ({e.strerror})"
    except ValueError as e:  # a NUL byte in the name
        return f"not a usable file name ({e})"
    if stat.S_ISDIR(info.st_mode):
        return "a folder, not an image file"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file (a device, pipe or socket)"
    if info.st_size == 0:
        return "empty file (0 bytes)"
    return None


def _to_photo(im) -> Photo:
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        a = np.asarray(im, dtype=np.float64)
        top = 65535.0 if a.max() > 255 else 255.0
        gray = np.clip(a / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return Photo(np.repeat(gray[..., None], 3, axis=2), None)
    has_alpha = mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in im.info)
    if has_alpha:
        rgba = np.asarray(im.convert("RGBA"))
        return Photo(np.ascontiguousarray(rgba[..., :3]), np.ascontiguousarray(rgba[..., 3]))
    return Photo(np.ascontiguousarray(np.asarray(im.convert("RGB"))), None)


def write_image(path: str | Path, photo: Photo, jpeg_quality: int = 95) -> Path:
    """Write atomically; the format follows the suffix; alpha is kept where the format has it."""
    path = Path(path)
    suffix = path.suffix.lower()
    bgr = np.ascontiguousarray(photo.rgb[..., ::-1])
    if photo.alpha is not None and suffix in ALPHA_SUFFIXES:
        bgr = np.dstack([bgr, photo.alpha])
    params = [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality] if suffix in (".jpg", ".jpeg") else []
    ok, data = cv2.imencode(suffix if suffix in IMAGE_SUFFIXES and suffix != ".gif" else ".png", bgr, params)
    if not ok:
        raise OSError(f"could not encode {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data.tobytes())
    os.replace(tmp, path)
    return path


def list_images(inputs: list[str | Path]) -> list[Path]:
    """Files as given, and the image files inside any folder (sorted; broken links too, to be counted)."""
    out: list[Path] = []
    for item in map(Path, inputs):
        if item.is_dir():
            try:
                out += sorted(p for p in item.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and not p.is_dir())
            except OSError as e:
                raise ImageReadError(f"{item}: cannot list this folder ({e.strerror})") from None
        else:
            out.append(item)
    return out


def read_ahead(paths: list[Path], max_pixels: int = DEFAULT_MAX_PIXELS, depth: int = 2):
    """(path, future of read_image(path)) in order, decoding up to `depth` photos ahead on a thread while the
    caller edits the current one (Pillow decodes without holding the GIL). future.result() raises what
    read_image raises. Memory stays bounded: at most depth + 1 photos are held."""
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1, thread_name_prefix="read-ahead") as pool:
        pending = deque()
        for path in paths:
            pending.append((path, pool.submit(read_image, path, max_pixels)))
            if len(pending) > depth:
                yield pending.popleft()
        while pending:
            yield pending.popleft()
