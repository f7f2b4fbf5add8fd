"""tools/val_curve.py: each checkpoint of a run scored on val, metric against step (#39)."""

import json
import shutil
from pathlib import Path

import cv2
from click.testing import CliRunner

from conftest import load_tool

JUDGE = Path(__file__).resolve().parent.parent / "checkpoints" / "synthetic32"


def test_each_checkpoint_is_scored_on_val_once_and_drawn(tiny_run, tmp_path):
    run = Path(shutil.copytree(tiny_run, tmp_path / "run"))
    args = [str(run), "--classifier", str(JUDGE), "--dataset", "synthetic", "--limit", "8", "--baseline", str(tiny_run)]
    result = CliRunner().invoke(load_tool("val_curve").main, args)
    assert result.exit_code == 0, result.output
    points = [json.loads(line) for line in (run / "val_curve.jsonl").read_text().splitlines()]
    assert [p["step"] for p in points] == [0, 2]
    report = json.loads((run / "val_curve" / "step-0000002" / "report.json").read_text())
    assert report["split"] == "val" and report["images"] == 8
    # the run ended at step 2 without EMA: its generator.keras (the baseline here) is the step-2 checkpoint
    assert points[0]["headline_lowpass"] == points[1]["headline_lowpass"]
    assert abs(points[0]["psnr"] - points[1]["psnr"]) < 1e-3
    picture = cv2.imread(str(run / "val_curve.png"))
    assert picture is not None and picture.shape == (400, 640, 3) and (picture != 255).any()

    again = CliRunner().invoke(load_tool("val_curve").main, args)  # nothing new: nothing scored again
    assert again.exit_code == 0 and len((run / "val_curve.jsonl").read_text().splitlines()) == 2
