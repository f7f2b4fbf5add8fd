"""What does a guide classifier ask G for? Push test faces that lack an attribute towards it by
gradient ascent on the classifier's logit alone, within an L2 ball (PGD), and show the result.

A plain classifier's answer is a faint texture (the kind G learned to draw for it, see
tools/blur_probe.py); an adversarially trained one's should look like the attribute. Columns:
the face, then for each classifier the face pushed to each radius; the last column of each
classifier is its logit's rise, as text on stdout.

    python tools/guide_asks.py runs/00000-guide64 runs/00006-guide64-robust -a Eyeglasses --out runs/asks.png
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


@click.command()
@click.argument("classifiers", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--dataset", default="../shared/data/celeba_sample", show_default=True)
@click.option("-a", "--attribute", default="Eyeglasses", show_default=True)
@click.option("--faces", type=click.IntRange(1, 32), default=6, show_default=True)
@click.option("--eps", type=click.FloatRange(0, min_open=True), multiple=True, default=(8.0, 16.0),
              show_default=True, help="L2 radii in [-1, 1] pixels (64 px: 8 is an RMS change of 0.07).")
@click.option("--steps", type=click.IntRange(1), default=20, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), default="runs/guide_asks.png", show_default=True)
def main(classifiers, dataset, attribute, faces, eps, steps, out):
    from makeover.classify import load_classifier
    from makeover.data.pipeline import open_source
    from makeover.models.classifier import pgd_l2
    from makeover.viz import image_grid, save_png, to_float

    source = open_source(dataset, "test", 64, 0)
    lacking = np.flatnonzero(source.values[:, list(source.attributes).index(attribute)] < 0)[:faces]
    columns, rows = None, []
    for path in classifiers:
        model, meta = load_classifier(path)
        if attribute not in meta["attributes"]:
            raise click.BadParameter(f"{path} does not predict {attribute}", param_hint="--attribute")
        k, size = meta["attributes"].index(attribute), meta["image_size"]
        x = to_float(np.stack([source.load(i, size) for i in lacking]))
        columns = columns or [x]
        logit = lambda images, training=False: model(images, training=training)[:, k:k + 1]  # noqa: E731
        before = np.asarray(logit(x))[:, 0]
        for e in eps:
            pushed = pgd_l2(logit, x, np.zeros((len(x), 1), np.float32), e, steps)  # ascends the logit
            columns.append(np.asarray(pushed))
            rows.append(f"{path}: eps {e:g}: {attribute} logit {before.mean():+.2f} -> "
                        f"{np.asarray(logit(pushed))[:, 0].mean():+.2f} (mean of {len(x)} faces)")
    save_png(image_grid(columns), out)
    click.echo("\n".join(rows) + f"\nwrote {out}")


if __name__ == "__main__":
    main()
