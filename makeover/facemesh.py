"""A fast face detector with landmarks: BlazeFace finds faces, FaceMesh places 468 points on each.

Both are MediaPipe's models (Apache-2.0), run on LiteRT without TensorFlow (makeover/lite.py);
the files are in makeover/assets/ (see its README). BlazeFace's full-range model looks at the
photo letterboxed into 192x192 and proposes boxes and 6 rough keypoints (SSD anchors, weighted
non-maximum suppression, as MediaPipe decodes them). FaceMesh then looks at each face, cropped
square and upright (the box grown 1.5x, turned so the eyes are level), and gives the points the
CelebA template needs: eye centres, nose tip and mouth corners.
"""

from __future__ import annotations

import cv2
import numpy as np

from makeover.faces import Face
from makeover.lite import ASSETS, LiteModel

DETECTOR_FILE = "face_detection_full_range.tflite"
MESH_FILE = "face_landmark.tflite"
DETECT_SIZE = 192           # the full-range model's input side
ANCHOR_STRIDE = 4           # one anchor per 4x4 cell of it (48x48 = 2304 anchors)
MIN_SCORE = 0.5             # MediaPipe's thresholds
NMS_IOU = 0.3
MESH_SIZE = 192
ROI_SCALE = 1.5
MIN_MESH_SCORE = 0.5
MIN_FACE = 20               # px: smaller faces cannot be edited usefully (as faces.MIN_FACE)

# FaceMesh indices of the points faces.LANDMARK_ORDER names ("left" = the image's left).
LEFT_EYE = (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246)
RIGHT_EYE = (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466)
NOSE_TIP = 4
MOUTH_LEFT, MOUTH_RIGHT = 61, 291
# They land where MTCNN's do: their medians on 400 CelebA aligned train faces are within 0.4 px (of the
# 148 px crop) of data/template.py's, the nose tip 1.5 px higher (tools/detector_compare.py --calibrate);
# aligning to a template calibrated on them changed nothing measurable, so both share the one template.


def anchors() -> np.ndarray:
    """(2304, 2) anchor centres of the full-range model, as fractions of its input."""
    cells = DETECT_SIZE // ANCHOR_STRIDE
    centres = (np.arange(cells, dtype=np.float32) + 0.5) / cells
    y, x = np.meshgrid(centres, centres, indexing="ij")
    return np.stack([x.ravel(), y.ravel()], axis=1)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -80.0, 80.0)))


def weighted_nms(boxes: np.ndarray, scores: np.ndarray, points: np.ndarray):
    """MediaPipe's weighted non-maximum suppression: each kept face averages the boxes and points of
    the proposals that overlap it (IoU > NMS_IOU), weighted by score. boxes: (N, 4) x0 y0 x1 y1."""
    order = np.argsort(-scores)
    boxes, scores, points = boxes[order], scores[order], points[order]
    alive = np.ones(len(scores), bool)
    kept = []
    area = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)
    for i in range(len(scores)):
        if not alive[i]:
            continue
        lo = np.maximum(boxes[i, :2], boxes[:, :2])
        hi = np.minimum(boxes[i, 2:], boxes[:, 2:])
        inter = np.prod(np.clip(hi - lo, 0, None), axis=1)
        iou = inter / np.maximum(area[i] + area - inter, 1e-9)
        group = alive & (iou > NMS_IOU)
        group[i] = True
        w = scores[group][:, None]
        kept.append(((boxes[group] * w).sum(0) / w.sum(), scores[i], (points[group] * w[:, :, None]).sum(0) / w.sum()))
        alive &= ~group
    return kept


class MeshDetector:
    """BlazeFace + FaceMesh with FaceDetector's interface: detect(rgb) -> faces, largest first."""

    def __init__(self):
        self.detector = LiteModel(ASSETS / DETECTOR_FILE)
        self.mesh = LiteModel(ASSETS / MESH_FILE)
        self.anchors = anchors()

    def detect(self, rgb: np.ndarray) -> list[Face]:
        faces = []
        for box, score, keypoints in self.propose(rgb):
            points = self.landmarks(rgb, box, keypoints)
            if points is not None:
                x0, y0, x1, y1 = box
                faces.append(Face((float(x0), float(y0), float(x1 - x0), float(y1 - y0)), points, float(score)))
        return sorted(faces, key=lambda f: -f.area)

    def propose(self, rgb: np.ndarray):
        """BlazeFace: [(box x0 y0 x1 y1, score, (6, 2) keypoints)] in photo pixels."""
        h, w = rgb.shape[:2]
        scale = DETECT_SIZE / max(h, w)
        if min(h, w) < MIN_FACE:
            return []
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        tensor = np.zeros((1, DETECT_SIZE, DETECT_SIZE, 3), np.float32)  # letterbox: the photo top left, grey pad
        tensor[0, :size[1], :size[0]] = small / 127.5 - 1.0
        raw_boxes, raw_scores = self.detector(tensor)
        scores = sigmoid(raw_scores.reshape(-1))
        keep = scores > MIN_SCORE
        if not keep.any():
            return []
        raw = raw_boxes.reshape(-1, 8, 2)[keep] / DETECT_SIZE
        centre = raw[:, 0] + self.anchors[keep]
        half = raw[:, 1] / 2
        boxes = np.concatenate([centre - half, centre + half], axis=1) * DETECT_SIZE / scale
        points = (raw[:, 2:] + self.anchors[keep][:, None]) * DETECT_SIZE / scale
        valid = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
        proposals = weighted_nms(boxes[valid], scores[keep][valid], points[valid])
        return [(b, s, p) for b, s, p in proposals if min(b[2] - b[0], b[3] - b[1]) >= MIN_FACE]

    def landmarks(self, rgb: np.ndarray, box: np.ndarray, keypoints: np.ndarray) -> np.ndarray | None:
        """FaceMesh on the upright square around one face: the 5 template points in photo pixels,
        or None when FaceMesh says there is no face there."""
        centre = (box[:2] + box[2:]) / 2
        side = max(box[2] - box[0], box[3] - box[1]) * ROI_SCALE
        dx, dy = keypoints[1] - keypoints[0]  # BlazeFace's eyes, image-left first on an upright face
        angle = np.degrees(np.arctan2(dy, dx))
        to_crop = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), float(angle), MESH_SIZE / side)
        to_crop[:, 2] += MESH_SIZE / 2 - centre
        crop = cv2.warpAffine(rgb, to_crop, (MESH_SIZE, MESH_SIZE), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT)
        raw_points, raw_flag = self.mesh(crop[None].astype(np.float32) / 255.0)
        if sigmoid(raw_flag.reshape(-1)[-1]) <= MIN_MESH_SCORE:
            return None
        mesh = raw_points.reshape(-1, 3)[:, :2]
        five = np.stack([mesh[list(LEFT_EYE)].mean(0), mesh[list(RIGHT_EYE)].mean(0), mesh[NOSE_TIP],
                         mesh[MOUTH_LEFT], mesh[MOUTH_RIGHT]])
        back = cv2.invertAffineTransform(to_crop)
        return np.c_[five, np.ones(5)] @ back.T
