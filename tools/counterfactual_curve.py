"""Counterfactual PSNR of several generators on synthetic held-out faces, to choose a run's step on val.

`evaluate` scores 48 faces, and on the test split; this scores any number, on val by default, so a
run's checkpoints can be compared without looking at test (export each step first):

    python tools/export_checkpoint.py runs/00000-syn --step 500 && mkdir -p runs/g500 && cp runs/00000-syn/generator.* runs/g500/
    python tools/counterfactual_curve.py runs/g500 runs/g1000 --faces 96
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


@click.command()
@click.argument("generators", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--split", type=click.Choice(["val", "test"]), default="val", show_default=True)
@click.option("--faces", type=click.IntRange(1), default=96, show_default=True, help="Held-out identities to edit.")
def main(generators, split, faces):
    from makeover.data.pipeline import SyntheticSource
    from makeover.edit import FaceEditor
    from makeover.evaluate import counterfactual_metrics

    source = SyntheticSource(split=split)
    for path in generators:
        editor = FaceEditor.load(path)
        scores = counterfactual_metrics(editor.edit_crops, source.faces, range(faces), editor.size, editor.conditioned)
        worst = sorted(scores["per_attribute"].items(), key=lambda kv: kv[1]["psnr"])[:3]
        click.echo(f"{path}: {scores['mean_psnr']:.3f} dB on {faces} {split} faces (lowest: "
                   + ", ".join(f"{a} {v['psnr']:.1f}" for a, v in worst) + ")")


if __name__ == "__main__":
    main()
