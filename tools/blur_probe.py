"""Is an edit structure or a texture only the classifier reads? Judge edited test faces, and the
test faces that really have the attribute, at full size and shrunk to 3/4 and 1/2 and brought back.

A real attribute mostly survives the rescale; an adversarial texture (a dot band the classifier
reads as glasses) does not. `evaluate` reports the 3/4 scale for edits at strength 1; this
tool adds 1/2 scale, other strengths and the real faces that have the attribute.

--sigma S adds a harder test: only the edit's change (output - input) is blurred (Gaussian,
S px) and added back to the sharp face, beside the real positives blurred whole at S. A real
attribute, in a face with all its own detail gone at S, should still read; an edit whose read
goes with its finest detail was read from that detail.

    python tools/blur_probe.py --checkpoint checkpoints/celeba64 --limit 300 -a Eyeglasses -a Smiling --sigma 0.8
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SCALES = (1.0, 0.75, 0.5)


@click.command()
@click.option("--checkpoint", type=click.Path(exists=True), required=True)
@click.option("--dataset", default="../shared/data/celeba_sample", show_default=True)
@click.option("--limit", type=click.IntRange(1), default=300, show_default=True, help="Test faces to edit.")
@click.option("-a", "--attribute", "attributes", multiple=True, default=("Eyeglasses",), show_default=True)
@click.option("--strength", type=click.FloatRange(0, 5), multiple=True, default=(1.0, 2.0), show_default=True)
@click.option("--sigma", type=click.FloatRange(0.1, 10), multiple=True,
              help="Also judge edits with only their change blurred by this Gaussian (px), real faces blurred whole.")
def main(checkpoint, dataset, limit, attributes, strength, sigma):
    from makeover.classify import load_classifier
    from makeover.data.pipeline import open_source
    from makeover.edit import FaceEditor
    from makeover.evaluate import Judge, blurred, flip_targets, load_test_faces, rescaled

    editor = FaceEditor.load(checkpoint)
    judge = Judge(*load_classifier(checkpoint))
    source = open_source(dataset, "test", 64, 0)
    images, labels = load_test_faces(source, editor.conditioned, editor.size, limit)
    n = len(images)
    click.echo(f"{checkpoint}: share the classifier reads as asked, at scales {SCALES}")
    for name in attributes:
        if name not in editor.conditioned or name not in judge.names:
            raise click.BadParameter(f"{name} is not an attribute of both the generator and its classifier",
                                     param_hint="--attribute")
        k, j = editor.conditioned.index(name), judge.names.index(name)
        have = np.flatnonzero(source.values[:, list(source.attributes).index(name)] > 0)
        real = np.stack([source.load(i, editor.size) for i in have])
        kept = [np.mean(judge.signs(rescaled(real, s))[:, j] == 1) for s in SCALES]
        click.echo(f"{name}: real positives ({len(have)} test faces) " + " ".join(f"{v:.2f}" for v in kept))
        for g in sigma:
            click.echo(f"{name}: real positives blurred whole, sigma {g:g} px: "
                       f"{np.mean(judge.signs(blurred(real, g))[:, j] == 1):.2f}")
        for s in strength:
            out = editor.edit_crops(images, flip_targets(labels, k, editor.conditioned) * np.float32(s))
            ok = [np.mean(judge.signs(rescaled(out, sc))[:, j] == -labels[:, k]) for sc in SCALES]
            click.echo(f"{name}: edits x{s:g} ({n} faces, flipped) " + " ".join(f"{v:.2f}" for v in ok))
            for g in sigma:
                smooth = np.clip(images + blurred(out.astype(np.float32) - images, g), 0, 255).round().astype(np.uint8)
                click.echo(f"{name}: edits x{s:g}, change blurred, sigma {g:g} px: "
                           f"{np.mean(judge.signs(smooth)[:, j] == -labels[:, k]):.2f}")


if __name__ == "__main__":
    main()
