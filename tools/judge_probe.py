"""Can a classifier judge a degraded face? Real test faces with given attributes, read sharp,
blurred and blocky, by the evaluation classifier and by others (say the guide).

Generated faces are soft and blocky; before a classifier's verdict on them is taken as the
truth, see how it reads real faces made soft and blocky. (The shipped celeba64 evaluation
classifier reads real young women with lipstick, shrunk to 16 px and blown up blocky, as men.)

    python tools/judge_probe.py --classifier checkpoints/celeba64 --classifier runs/00000-guide64-robust \\
        --faces Male=-1,Young=1,Wearing_Lipstick=1
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def blocky(images: np.ndarray, side: int) -> np.ndarray:
    """Each image shrunk to side x side (area) and blown back up with nearest neighbours."""
    import cv2

    h, w = images.shape[1:3]
    return np.stack([cv2.resize(cv2.resize(im, (side, side), interpolation=cv2.INTER_AREA), (w, h),
                                interpolation=cv2.INTER_NEAREST) for im in images])


def degradations(images: np.ndarray) -> dict[str, np.ndarray]:
    from makeover.evaluate import blurred

    return {"sharp": images, "blur 1.5 px": blurred(images, 1.5), "blocky 32": blocky(images, 32),
            "blocky 16": blocky(images, 16)}


@click.command()
@click.option("--classifier", "classifiers", type=click.Path(exists=True), multiple=True, required=True,
              help="A run folder or checkpoint folder with classifier.keras; repeat to compare.")
@click.option("--faces", "wanted", required=True, help="Which test faces: labels, e.g. Male=-1,Young=1.")
@click.option("--dataset", default="../shared/data/celeba_sample", show_default=True)
@click.option("--limit", type=click.IntRange(1), default=500, show_default=True, help="Test faces to search.")
@click.option("--size", type=click.IntRange(8), default=64, show_default=True)
def main(classifiers, wanted, dataset, limit, size):
    from makeover.classify import load_classifier
    from makeover.data.pipeline import open_source
    from makeover.evaluate import Judge, load_test_faces
    from makeover.text import parse_assignments

    source = open_source(dataset, "test", limit, 0)
    try:
        asked = parse_assignments(wanted, tuple(source.attributes))
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--faces") from None
    names = tuple(asked)
    images, labels = load_test_faces(source, names, size, limit)
    chosen = images[np.all(np.sign(labels) == np.sign([asked[a] for a in names]), axis=1)]
    if not len(chosen):
        raise click.ClickException(f"no test face in the first {limit} has {wanted}")
    click.echo(f"{len(chosen)} test faces with {wanted}: share read as labelled")
    for path in classifiers:
        judge = Judge(*load_classifier(path))
        for label, ims in degradations(chosen).items():
            signs = judge.signs(ims)
            shares = [np.mean(signs[:, judge.names.index(a)] == np.sign(asked[a])) for a in names]
            click.echo(f"{path:<32} {label:<12} " + "  ".join(f"{a} {s:.2f}" for a, s in zip(names, shares)))


if __name__ == "__main__":
    main()
