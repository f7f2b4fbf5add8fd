"""Where in the spectrum does an edit put its change? The power of (edit - face), averaged over
test faces, in bands of spatial period, beside the difference between two real test faces.

An edit drawn as a fine texture (the guide's dot grid that passes for glasses) puts far more of
its power at periods of 3.5-5 px than real faces differ by; a real change of shape or colour
does not. An independent check on `evaluate`'s texture column and on `loss.phase_window`, which
both measure exact 4 px repeats.

    python tools/spectrum_probe.py --checkpoint checkpoints/celeba64 -a Eyeglasses --faces 32
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BANDS = ((5.0, 8.0), (3.5, 5.0), (1.0, 3.5))   # periods in pixels, [short, long)


def band_shares(changes: np.ndarray) -> list[float]:
    """Share of the mean power spectrum of (n, h, w) changes (each less its mean) in each BANDS period band."""
    n, h, w = changes.shape
    centred = changes - changes.mean(axis=(1, 2), keepdims=True)
    power = (np.abs(np.fft.fft2(centred)) ** 2).mean(0)
    fy = np.minimum(np.arange(h), h - np.arange(h))[:, None] / h      # cycles per pixel
    fx = np.minimum(np.arange(w), w - np.arange(w))[None, :] / w
    freq = np.sqrt(fy ** 2 + fx ** 2)
    total = power.sum()
    return [float(power[(freq > 1 / long) & (freq <= 1 / short)].sum() / total) if total else 0.0
            for short, long in BANDS]


@click.command()
@click.option("--checkpoint", type=click.Path(exists=True), required=True)
@click.option("--dataset", default="../shared/data/celeba_sample", show_default=True)
@click.option("--faces", type=click.IntRange(2), default=32, show_default=True, help="Test faces to edit.")
@click.option("-a", "--attribute", "attributes", multiple=True, default=("Eyeglasses",), show_default=True)
def main(checkpoint, dataset, faces, attributes):
    from makeover.data.pipeline import open_source
    from makeover.edit import FaceEditor
    from makeover.evaluate import flip_targets, load_test_faces

    editor = FaceEditor.load(checkpoint)
    for a in attributes:
        if a not in editor.conditioned:
            raise click.BadParameter(f"{a!r} is not one of {', '.join(editor.conditioned)}", param_hint="-a")
    source = open_source(dataset, "test", faces, 0)
    images, labels = load_test_faces(source, editor.conditioned, editor.size, faces)
    grey = images.astype(np.float32).mean(-1)
    header = " | ".join(f"{s:g}-{lo:g} px" for s, lo in BANDS)
    click.echo(f"share of the change's power at periods | {header}")
    rows = {"two real faces": np.roll(grey, 1, axis=0) - grey}
    for a in attributes:
        out = editor.edit_crops(images, flip_targets(labels, editor.conditioned.index(a), editor.conditioned))
        rows[f"edit {a}"] = out.astype(np.float32).mean(-1) - grey
    for name, change in rows.items():
        click.echo(f"{name:38s} | " + " | ".join(f"{v:.3f}" for v in band_shares(change)))


if __name__ == "__main__":
    main()
