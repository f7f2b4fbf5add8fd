"""Compare the face detectors transform can use: recall, speed and alignment.

    python tools/detector_compare.py                       # the 482 wild dev photos, both detectors
    python tools/detector_compare.py --calibrate           # + FaceMesh's points on CelebA train faces

Recall: photos where each finds a face. Alignment: for photos where both find the same face,
MTCNN's eye points are mapped into the 64 px crop each detector's alignment makes, and the
distance between the two placements is reported (how far the new crop sits from the old one).
Against the CelebA template: on CelebA's aligned val images, where the right crop is known
exactly (data/template.py), the distance of each detector's crop from it, at the eyes.
--calibrate prints the median of FaceMesh's 5 points on CelebA aligned train images, as fractions of
the template crop, beside data/template.py's (MTCNN's): how far the two detectors' points differ.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click
import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def eye_error(points: np.ndarray, matrix_a: np.ndarray, matrix_b: np.ndarray, size: int = 64) -> float:
    """Largest distance (px at `size`) between where two alignments put the two eye points."""
    from makeover.faces import CROP_SIZE

    a = cv2.transform(points[None, :2], matrix_a)[0]
    b = cv2.transform(points[None, :2], matrix_b)[0]
    return float(np.linalg.norm(a - b, axis=1).max() * size / CROP_SIZE)


def same_face(a, b) -> bool:
    ax, ay, aw, ah = a.box
    bx, by, bw, bh = b.box
    ix = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    return ix * iy > 0.3 * min(a.area, b.area)


def timed(detector, rgb):
    t = time.perf_counter()
    faces = detector.detect(rgb)
    return faces, time.perf_counter() - t


def wild(limit: int | None) -> dict:
    from makeover.facemesh import MeshDetector
    from makeover.faces import FaceDetector, alignment
    from makeover.imageio import list_images, read_image

    files = list_images([SHARED / "celeba_wild_dev" / "img_celeba"])[:limit]
    mtcnn, mesh = FaceDetector(), MeshDetector()
    found = {"mtcnn": 0, "mesh": 0, "both": 0, "mtcnn_only": 0, "mesh_only": 0}
    seconds = {"mtcnn": [], "mesh": []}
    errors = []
    for path in files:
        rgb = read_image(path).rgb
        old, t_old = timed(mtcnn, rgb)
        new, t_new = timed(mesh, rgb)
        seconds["mtcnn"].append(t_old)
        seconds["mesh"].append(t_new)
        found["mtcnn"] += bool(old)
        found["mesh"] += bool(new)
        found["mtcnn_only"] += bool(old) and not new
        found["mesh_only"] += bool(new) and not old
        if old and new and same_face(old[0], new[0]):
            found["both"] += 1
            errors.append(eye_error(old[0].landmarks, alignment(old[0].landmarks),
                                    alignment(new[0].landmarks)))
    e = np.array(errors)
    return {"photos": len(files), "found": found,
            "ms_per_photo": {k: round(1000 * float(np.median(v)), 1) for k, v in seconds.items()},
            "eye_shift_px64": {"median": round(float(np.median(e)), 2), "mean": round(float(e.mean()), 2),
                               "p95": round(float(np.percentile(e, 95)), 2), "max": round(float(e.max()), 2),
                               "within_2px": round(float((e <= 2).mean()), 3)}}


def celeba_truth(split: str, limit: int) -> dict:
    """Each detector's crop against the exact one on CelebA aligned images (eyes, px at 64)."""
    from makeover.data.celeba import load_celeba
    from makeover.data.template import CROP_X, CROP_Y, LANDMARKS
    from makeover.facemesh import MeshDetector
    from makeover.faces import CROP_SIZE, FaceDetector, alignment
    from makeover.imageio import read_image

    root = SHARED / "celeba_sample"
    names = load_celeba(root, split).names[:limit]
    truth = np.array([[1, 0, -CROP_X], [0, 1, -CROP_Y]], np.float64)
    eyes = np.array([LANDMARKS["left_eye"], LANDMARKS["right_eye"]]) * CROP_SIZE + (CROP_X, CROP_Y)
    out = {}
    for name, detector in (("mtcnn", FaceDetector()), ("mesh", MeshDetector())):
        errors = []
        for n in names:
            faces = detector.detect(read_image(root / "img_align_celeba" / n).rgb)
            if faces:
                errors.append(eye_error(eyes, truth, alignment(faces[0].landmarks)))
        e = np.array(errors)
        out[name] = {"found": f"{len(e)}/{len(names)}", "median": round(float(np.median(e)), 2),
                     "mean": round(float(e.mean()), 2), "p95": round(float(np.percentile(e, 95)), 2)}
    return out


def calibrate(limit: int) -> list:
    """FaceMesh's 5 points on CelebA aligned train images, medians, as fractions of the template crop."""
    from makeover.data.celeba import load_celeba
    from makeover.data.template import CROP_X, CROP_Y
    from makeover.facemesh import MeshDetector
    from makeover.faces import CROP_SIZE
    from makeover.imageio import read_image

    root = SHARED / "celeba_sample"
    mesh = MeshDetector()
    points = []
    for n in load_celeba(root, "train").names[:limit]:
        faces = mesh.detect(read_image(root / "img_align_celeba" / n).rgb)
        if faces:
            points.append((faces[0].landmarks - (CROP_X, CROP_Y)) / CROP_SIZE)
    return np.round(np.median(np.stack(points), axis=0), 4).tolist()


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--limit", type=click.IntRange(1), help="Wild photos to use [default: all 482].")
@click.option("--celeba-limit", type=click.IntRange(10), default=300, show_default=True,
              help="CelebA aligned faces for the template comparison (and --calibrate).")
@click.option("--calibrate", "do_calibrate", is_flag=True, help="Also print FaceMesh's points on CelebA faces.")
def main(limit, celeba_limit, do_calibrate):
    """Recall, speed and alignment of MTCNN against BlazeFace + FaceMesh on the wild dev photos."""
    if not (SHARED / "celeba_wild_dev").is_dir():
        raise click.ClickException(f"no wild dev photos at {SHARED / 'celeba_wild_dev'}")
    report = {}
    if do_calibrate:
        from makeover.faces import template_points

        report["mesh_points"] = calibrate(celeba_limit)
        report["template_points"] = np.round(template_points(1.0), 4).tolist()
    report["wild"] = wild(limit)
    report["celeba_val"] = celeba_truth("val", celeba_limit)
    click.echo(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
