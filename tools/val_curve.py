"""The val curve of a makeover run: each checkpoint's edits measured on the val split, metric against step.

    python tools/val_curve.py runs/00002-celeba64-large --classifier checkpoints/judge64 \\
        --dataset ../shared/data/celeba_large --limit 500 --baseline checkpoints/celeba64

Each checkpoint's generator is exported to RUN/val_curve/step-NNNNNNN/ and scored there by
`--run evaluate --split val` (report.json, report.md, edits.png); `--baseline` (a generator folder,
e.g. the one the run started from) is scored as step 0. The points go to RUN/val_curve.jsonl (one per
step, already scored ones are not scored again) and are drawn in RUN/val_curve.png: the texture-proof
headline, each direction, and the attributes preserved, against step, beside #39's targets.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGETS = {"headline_lowpass": 0.85, "adding": 0.60, "removing": 0.60, "preserved": 0.90}
COLOURS = {"headline_lowpass": (40, 40, 200), "adding": (60, 160, 60), "removing": (200, 120, 40),
           "preserved": (120, 120, 120)}   # BGR


def point(step: int, report: dict) -> dict:
    """What the curve shows of one report.json."""
    m = report["makeover"]["model"]
    return {"step": step, "headline_lowpass": m["headline_lowpass"], "headline_sharp": m["headline_success"],
            "adding": m["lowpass_directions"]["on"], "removing": m["lowpass_directions"]["off"],
            "preserved": m["mean_preserved"], "psnr": report["makeover"]["reconstruction"]["psnr"],
            "images": report["images"]}


def plot(points: list[dict], path: Path, width: int = 640, height: int = 400) -> None:
    """Lines of each key in COLOURS against step (y from 0 to 1), dashed targets, a legend."""
    import cv2
    import numpy as np

    canvas = np.full((height, width, 3), 255, np.uint8)
    left, right, top, bottom = 50, width - 190, 20, height - 40
    last = max(p["step"] for p in points) or 1
    x_of = lambda s: int(left + (right - left) * s / last)            # noqa: E731
    y_of = lambda v: int(bottom - (bottom - top) * v)                  # noqa: E731
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.rectangle(canvas, (left, top), (right, bottom), (0, 0, 0), 1)
    for v in (0.0, 0.25, 0.5, 0.75, 1.0):
        cv2.putText(canvas, f"{v:.2f}", (5, y_of(v) + 4), font, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    for p in points:
        cv2.putText(canvas, str(p["step"]), (x_of(p["step"]) - 12, bottom + 16), font, 0.35, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(canvas, "step (val split)", (left + 140, height - 6), font, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    for row, (key, colour) in enumerate(COLOURS.items()):
        for x in range(left, right, 12):  # the target, dashed
            cv2.line(canvas, (x, y_of(TARGETS[key])), (x + 5, y_of(TARGETS[key])), colour, 1)
        xy = [(x_of(p["step"]), y_of(p[key])) for p in points if p[key] is not None]
        for a, b in zip(xy, xy[1:]):
            cv2.line(canvas, a, b, colour, 2, cv2.LINE_AA)
        for c in xy:
            cv2.circle(canvas, c, 3, colour, -1)
        cv2.putText(canvas, f"{key} (aim {TARGETS[key]:.2f})", (right + 6, top + 14 + 18 * row), font, 0.36, colour, 1,
                    cv2.LINE_AA)
    cv2.imwrite(str(path), canvas)


def score(folder: Path, step: int, classifier: str, dataset: str, limit: int, seed: int) -> dict:
    from makeover.evaluate import run_evaluation

    return point(step, run_evaluation(folder, classifier, dataset, folder, limit, seed, split="val"))


@click.command()
@click.argument("run", type=click.Path(exists=True, file_okay=False))
@click.option("--classifier", required=True, type=click.Path(exists=True), help="The judge (folder or .keras).")
@click.option("--dataset", required=True, help="CelebA folder or 'synthetic'.")
@click.option("--limit", type=click.IntRange(8), default=500, show_default=True, help="Val faces per point.")
@click.option("--baseline", type=click.Path(exists=True, file_okay=False),
              help="A generator folder scored as step 0 (the generator the run started from).")
@click.option("--every", type=click.IntRange(1), default=1, show_default=True,
              help="Score only checkpoints whose step is a multiple of this (each point takes minutes).")
@click.option("--seed", type=int, default=0, show_default=True)
def main(run, classifier, dataset, limit, baseline, every, seed):
    """Score every checkpoint of RUN on the val split; write RUN/val_curve.jsonl and RUN/val_curve.png."""
    from makeover.train import CHECKPOINT_RE, checkpoints, export_checkpoint

    run = Path(run)
    config = json.loads((run / "config.json").read_text())
    log = run / "val_curve.jsonl"
    points = {p["step"]: p for p in map(json.loads, log.read_text().splitlines())} if log.exists() else {}
    todo = []
    if baseline and 0 not in points:
        todo.append((0, None))
    for ckpt in checkpoints(run):
        step = int(CHECKPOINT_RE.match(ckpt.name).group(1))
        if step % every == 0 and step not in points:
            todo.append((step, ckpt))
    if not todo and not points:
        raise click.ClickException(f"nothing to score: no checkpoints in {run}/checkpoints and no --baseline")
    for step, ckpt in todo:
        folder = run / "val_curve" / f"step-{step:07d}"
        folder.mkdir(parents=True, exist_ok=True)
        if ckpt is None:
            for name in ("generator.keras", "generator.json"):
                shutil.copy(Path(baseline) / name, folder / name)
        else:
            export_checkpoint(config, ckpt, folder)
        points[step] = score(folder, step, classifier, dataset, limit, seed)
        with log.open("a") as f:
            f.write(json.dumps(points[step]) + "\n")
        click.echo(json.dumps(points[step]))
    plot([points[s] for s in sorted(points)], run / "val_curve.png")
    click.echo(f"wrote {log} and {run / 'val_curve.png'}")


if __name__ == "__main__":
    main()
