"""Edit the faces in whole photos: detect, align, run the generator, paste back."""

from __future__ import annotations

import copy
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from makeover.faces import Face, FaceDetector, alignment, crop_face, paste_edit
from makeover.imageio import Photo


class NoFaceError(ValueError):
    """No face was found in a photo."""


@dataclass
class EditResult:
    photo: Photo
    faces: list[Face]
    before: np.ndarray          # N x size x size x 3 uint8 aligned crops
    after: np.ndarray           # ... and the generator's outputs
    matrices: list[np.ndarray] = field(default_factory=list)


class FaceEditor:
    """Edits aligned crops and whole photos with a makeover generator G.

    residual=True (the default) edits a crop x into x + G(x, c) - G(x, 0): what G changes
    when asked for c *beyond* what it changes when asked for nothing. G(x, 0) is not x (the
    shipped CelebA model: 29 dB); its error is a colour cast and a dot grain, and the residual
    cancels it. residual=False gives G(x, c) itself.
    """

    def __init__(self, generator, meta: dict, detector: FaceDetector | None = None, residual: bool = True):
        self.generator = generator
        self.size = int(meta.get("image_size") or generator.inputs[0].shape[1])
        self.conditioned = tuple(meta["attributes"])
        self.trained_target = meta.get("target")   # {attribute: value} of a source->target generator
        self.meta_selection = meta.get("selection") or {}   # its --source/--target expressions
        self.detector = detector or FaceDetector()
        self.residual = residual
        self._cache_key, self._cache = None, None

    @classmethod
    def load(cls, checkpoint: str | Path | None = None, residual: bool = True, runtime: str = "keras",
             detector: str = "mtcnn") -> "FaceEditor":
        """The generator of `checkpoint` on `runtime` ("litert": its generator.tflite; "keras"; "auto": LiteRT
        where a current export is there, else Keras) and a face `detector` (faces.make_detector)."""
        from makeover.faces import make_detector
        from makeover.inference import ModelFileError, load_generator, load_lite_generator

        lite = load_lite_generator(checkpoint) if runtime in ("auto", "litert") else None
        if lite is None and runtime == "litert":
            raise ModelFileError(f"no current generator.tflite for {checkpoint or 'the shipped model'} (or no LiteRT "
                                 "runtime): export one with tools/export_tflite.py, or use --runtime keras")
        if lite is None:
            from makeover.tfload import load_tensorflow

            load_tensorflow()
        model, meta = lite or load_generator(checkpoint)
        return cls(model, meta, detector=make_detector(detector), residual=residual)

    def with_mode(self, residual: bool) -> "FaceEditor":
        """The same editor (same generator and detector) editing residually or directly."""
        other = copy.copy(self)
        other.residual = residual
        return other

    def generate_crops(self, crops: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """G(x, c) for uint8 crops x, as uint8; `vector` is one c for all, or one per crop."""
        from makeover.viz import to_float, to_uint8

        return to_uint8(self._g(to_float(crops), vector))

    def edit_crops(self, crops: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """The edited crops as uint8: residual or direct (see the class)."""
        from makeover.viz import to_float, to_uint8

        if not self.residual:
            return self.generate_crops(crops, vector)
        x = to_float(crops)
        return to_uint8(x + self._g(x, vector) - self._unedited(crops, x))

    def _unedited(self, crops: np.ndarray, x: np.ndarray) -> np.ndarray:
        """G(x, 0), kept for the last crops seen: evaluate edits the same faces once per attribute."""
        key = (crops.shape, hashlib.blake2b(np.ascontiguousarray(crops).tobytes(), digest_size=16).digest())
        if self._cache_key != key:
            self._cache_key, self._cache = key, self._g(x, np.zeros(len(self.conditioned), np.float32))
        return self._cache

    def _g(self, x: np.ndarray, vector: np.ndarray) -> np.ndarray:
        c = np.broadcast_to(np.asarray(vector, np.float32), (len(x), len(self.conditioned)))
        return np.asarray(self.generator([x, c], training=False))

    def edit(self, photo: Photo, vector: np.ndarray, all_faces: bool = False) -> EditResult:
        faces, matrices, before = aligned_faces(self.detector, photo, self.size, all_faces)
        after = self.edit_crops(before, vector)
        rgb = photo.rgb
        for m, b, a in zip(matrices, before, after):
            rgb = paste_edit(rgb, m, b, a)
        return EditResult(Photo(rgb, photo.alpha), faces, before, after, matrices)


def aligned_faces(detector: FaceDetector, photo: Photo, size: int, all_faces: bool = False):
    """(faces, alignment matrices, N x size x size x 3 aligned crops): the largest face, or all."""
    faces = detector.detect(photo.rgb)
    if not faces:
        raise NoFaceError("no face found")
    faces = faces if all_faces else faces[:1]
    matrices = [alignment(f.landmarks) for f in faces]
    return faces, matrices, np.stack([crop_face(photo.rgb, m, size) for m in matrices])


def side_by_side(before: Photo, after: Photo, gap: int = 8) -> Photo:
    h, w = before.rgb.shape[:2]
    rgb = np.full((h, 2 * w + gap, 3), 255, np.uint8)
    rgb[:, :w], rgb[:, w + gap:] = before.rgb, after.rgb
    return Photo(rgb, None)


def output_path(source: Path, out: Path | None, suffix: str, many: bool) -> Path:
    """Where the result of `source` goes: beside it with `suffix`, into folder `out`, or file `out`."""
    name = f"{source.stem}{suffix}{source.suffix if source.suffix.lower() != '.gif' else '.png'}"
    if out is None:
        target = source.with_name(name)
    elif many or out.is_dir() or not out.suffix:
        target = out / name
    else:
        target = out
    if os.path.realpath(target) == os.path.realpath(source):  # (Path.resolve raises on a symlink loop)
        raise ValueError(f"{target}: the output would overwrite the input; choose another --out or --suffix")
    return target
