"""Find faces in photos, align them like CelebA crops, and put edits back.

Detection is MTCNN (`mtcnn` 1.0.0: MIT licence, weights inside the wheel, so
it works offline): a box and 5 landmarks per face. A similarity transform
(rotation, uniform scale, shift) maps the landmarks onto the training crop's
template (data/template.py), so a face in a photo reaches the model framed
like a CelebA aligned crop: first at CelebA's own scale (148 px), then resized
with the training pipeline's INTER_AREA.

Edits go back as a *difference*: the model's change to the 64 px crop is
warped back and added to the full-resolution photo under a feathered oval
mask, so skin texture and everything the model left alone keep the photo's own
detail and no box edge shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from makeover.data.template import CROP_SIZE, LANDMARKS

LANDMARK_ORDER = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")
DETECT_LONG_SIDE = 640      # detection runs on a copy shrunk to this (MTCNN is slow on big photos)
MIN_FACE = 20               # px at detection scale; MTCNN raises above ~30


@dataclass
class Face:
    box: tuple[float, float, float, float]   # x, y, w, h in photo pixels
    landmarks: np.ndarray                    # 5 x 2, LANDMARK_ORDER, photo pixels
    confidence: float

    @property
    def area(self) -> float:
        return self.box[2] * self.box[3]


class FaceDetector:
    """MTCNN, created on first use (it loads TensorFlow)."""

    def __init__(self, min_confidence: float = 0.9):
        self.min_confidence = min_confidence
        self._mtcnn = None

    def detect(self, rgb: np.ndarray) -> list[Face]:
        """Faces in an RGB uint8 photo, largest first."""
        if self._mtcnn is None:
            from makeover.tfload import load_tensorflow

            load_tensorflow()  # MTCNN runs on TensorFlow: import it quietly, now that it is needed
            from mtcnn import MTCNN

            self._mtcnn = MTCNN(device="CPU:0")
        h, w = rgb.shape[:2]
        scale = min(1.0, DETECT_LONG_SIDE / max(h, w))
        if min(h, w) * scale < MIN_FACE:  # no face fits (a sliver, a few pixels): nothing to find
            return []
        small = rgb if scale == 1.0 else cv2.resize(rgb, (round(w * scale), round(h * scale)),
                                                    interpolation=cv2.INTER_AREA)
        found = self._mtcnn.detect_faces(np.ascontiguousarray(small), min_face_size=MIN_FACE)
        faces = []
        for f in found:
            if f["confidence"] < self.min_confidence:
                continue
            points = np.array([f["keypoints"][k] for k in LANDMARK_ORDER], np.float64) / scale
            box = tuple(float(v) / scale for v in f["box"])
            faces.append(Face(box, points, float(f["confidence"])))
        return sorted(faces, key=lambda f: -f.area)


DETECTORS = ("auto", "blazeface", "mtcnn")


class FallbackDetector:
    """The first detector; where it finds no face, the second (e.g. BlazeFace, then MTCNN)."""

    def __init__(self, first, second):
        self.first, self.second = first, second

    def detect(self, rgb: np.ndarray) -> list[Face]:
        return self.first.detect(rgb) or self.second.detect(rgb)


def make_detector(kind: str = "auto"):
    """"blazeface": BlazeFace + FaceMesh on LiteRT (milliseconds, no TensorFlow); "mtcnn": MTCNN (TensorFlow,
    0.2-0.4 s a photo); "auto": BlazeFace, and MTCNN for the photos where it finds no face (MTCNN alone
    where LiteRT is not installed)."""
    from makeover import lite

    if kind not in DETECTORS:
        raise ValueError(f"unknown detector {kind!r} ({', '.join(DETECTORS)})")
    if kind == "mtcnn" or (kind == "auto" and not lite.available()):
        return FaceDetector()
    from makeover.facemesh import MeshDetector

    return MeshDetector() if kind == "blazeface" else FallbackDetector(MeshDetector(), FaceDetector())


def template_points(size: float = CROP_SIZE) -> np.ndarray:
    return np.array([LANDMARKS[k] for k in LANDMARK_ORDER], np.float64) * size


def alignment(landmarks: np.ndarray, size: float = CROP_SIZE) -> np.ndarray:
    """2x3 similarity transform taking photo pixels to a size x size template crop."""
    matrix, _ = cv2.estimateAffinePartial2D(landmarks.astype(np.float32), template_points(size).astype(np.float32),
                                            method=cv2.LMEDS)
    if matrix is None:
        raise ValueError("landmarks are degenerate; cannot align this face")
    return matrix


def crop_face(rgb: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    """The aligned crop (size x size uint8): warped at CelebA scale, then resized as in training.

    A large face is first shrunk with INTER_AREA (warpAffine itself only
    interpolates, which aliases when it shrinks a lot).
    """
    scale = float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))
    x0, y0, x1, y1 = _footprint(matrix, rgb.shape, margin=4)
    if scale < 0.8 and x1 > x0 and y1 > y0:  # (a face wholly off the photo has no ROI: warp it as it is)
        roi = rgb[y0:y1, x0:x1]
        sw, sh = max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale))
        rgb = cv2.resize(roi, (sw, sh), interpolation=cv2.INTER_AREA)
        # photo p = q * ((x1-x0)/sw, (y1-y0)/sh) + (x0, y0) for q in the shrunk ROI
        to_photo = np.array([[(x1 - x0) / sw, 0, x0], [0, (y1 - y0) / sh, y0], [0, 0, 1]])
        matrix = matrix @ to_photo
    crop = cv2.warpAffine(rgb, matrix, (CROP_SIZE, CROP_SIZE), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REFLECT_101)
    return cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)


def _footprint(matrix: np.ndarray, shape: tuple, margin: int = 1) -> tuple[int, int, int, int]:
    """The photo's pixel box (x0, y0, x1, y1) covered by the template crop, clipped to the photo."""
    h, w = shape[:2]
    inverse = cv2.invertAffineTransform(matrix)
    corners = np.array([[0, 0, 1], [CROP_SIZE, 0, 1], [0, CROP_SIZE, 1], [CROP_SIZE, CROP_SIZE, 1]], np.float64)
    pts = corners @ inverse.T
    x0, y0 = np.maximum(np.floor(pts.min(0)).astype(int) - margin, 0)
    x1, y1 = np.minimum(np.ceil(pts.max(0)).astype(int) + margin, (w, h))
    return int(x0), int(y0), int(x1), int(y1)


def feather_mask(size: int, margin: float = 0.12, inner: float = 0.5) -> np.ndarray:
    """Where an edit is pasted: 1 near the crop's centre, falling smoothly (cosine) to 0.

    Two ramps, multiplied: one over the outer `margin` of each side (0 on the crop's border,
    so no step there) and one from radius `inner` to the inscribed circle (radius 1), so that
    an edit which reaches the border, such as a new hair colour, fades out in a head-shaped
    oval instead of stopping in a square box (seen on wild photos, tools/wild_sheet.py).
    """
    t = np.linspace(0.0, 1.0, size)
    edge = _cosine_ramp(np.minimum(t, 1.0 - t) / margin)
    u = 2.0 * t - 1.0
    radius = np.sqrt(u[:, None] ** 2 + u[None, :] ** 2)
    return (np.outer(edge, edge) * _cosine_ramp((1.0 - radius) / (1.0 - inner))).astype(np.float32)


def _cosine_ramp(x: np.ndarray) -> np.ndarray:
    """0 for x <= 0, 1 for x >= 1, a half cosine in between."""
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0))


def paste_edit(rgb: np.ndarray, matrix: np.ndarray, before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Add the model's change (after - before, both size x size uint8 crops) to the photo.

    Only the face's bounding region of the photo is touched.
    """
    delta = after.astype(np.float32) - before.astype(np.float32)
    delta = cv2.resize(delta, (CROP_SIZE, CROP_SIZE), interpolation=cv2.INTER_LINEAR)
    weight = feather_mask(CROP_SIZE)
    x0, y0, x1, y1 = _footprint(matrix, rgb.shape)
    if x1 <= x0 or y1 <= y0:
        return rgb.copy()
    inverse = cv2.invertAffineTransform(matrix)
    shifted = inverse.copy()
    shifted[:, 2] -= (x0, y0)
    size = (int(x1 - x0), int(y1 - y0))
    d = cv2.warpAffine(delta, shifted, size, flags=cv2.INTER_LINEAR, borderValue=0)
    m = cv2.warpAffine(weight, shifted, size, flags=cv2.INTER_LINEAR, borderValue=0)
    out = rgb.copy()
    region = out[y0:y1, x0:x1].astype(np.float32) + d * m[..., None]
    out[y0:y1, x0:x1] = np.clip(np.round(region), 0, 255).astype(np.uint8)
    return out
