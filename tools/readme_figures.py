"""The pictures in README.md, made by a shipped model: edits of *synthetic* faces and generated
faces (no CelebA photo, edited or not, goes into the repository).

    python tools/readme_figures.py --checkpoint checkpoints/celeba64 --out docs
    python tools/readme_figures.py --checkpoint checkpoints/synthetic32 --out docs --prefix synthetic32_

Models under 64 px are drawn at 64 px a face (nearest neighbour), so they can be seen.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

EDITS = ("smiling", "not smiling", "glasses", "blond hair", "black hair", "old", "young", "man", "woman")


@click.command()
@click.option("--checkpoint", type=click.Path(exists=True))
@click.option("--out", type=click.Path(file_okay=False), default="docs", show_default=True)
@click.option("--faces", type=click.IntRange(1, 16), default=6, show_default=True)
@click.option("--prefix", default="", help="Put before the file names (edits_synthetic.png, generated.png).")
def main(checkpoint, out, faces, prefix):
    from makeover.data.synthetic import SyntheticFaces
    from makeover.edit import FaceEditor
    from makeover.generate import TextToFace, prompt_sheet
    from makeover.text import parse_text
    from makeover.viz import image_grid, save_png

    def save(grid, name, size):
        scale = max(1, 64 // size)
        save_png(np.repeat(np.repeat(grid, scale, 0), scale, 1), out / f"{prefix}{name}")

    out = Path(out)
    editor = FaceEditor.load(checkpoint)
    synthetic = SyntheticFaces(faces, seed=2026)
    inputs = np.stack([synthetic.image(i, editor.size) for i in range(faces)])
    columns = [inputs]
    for text in EDITS:
        columns.append(editor.edit_crops(inputs, parse_text(text, editor.conditioned).vector))
    save(image_grid(columns), "edits_synthetic.png", editor.size)
    click.echo(f"columns: input | {' | '.join(EDITS)}")
    t2f = TextToFace.load(checkpoint)
    save_png(prompt_sheet(t2f), out / f"{prefix}generated.png")   # enlarged already
    click.echo(f"wrote {out}/{prefix}edits_synthetic.png and {out}/{prefix}generated.png")


if __name__ == "__main__":
    main()
