"""The pictures in README.md, made by a shipped model: edits of *synthetic* faces and generated
faces (no CelebA photo, edited or not, goes into the repository).

    python tools/readme_figures.py --checkpoint checkpoints/celeba64 --out docs
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
def main(checkpoint, out, faces):
    from makeover.data.synthetic import SyntheticFaces
    from makeover.edit import FaceEditor
    from makeover.generate import TextToFace, prompt_sheet
    from makeover.text import parse_text
    from makeover.viz import image_grid, save_png

    out = Path(out)
    editor = FaceEditor.load(checkpoint)
    synthetic = SyntheticFaces(faces, seed=2026)
    inputs = np.stack([synthetic.image(i, editor.size) for i in range(faces)])
    columns = [inputs]
    for text in EDITS:
        columns.append(editor.edit_crops(inputs, parse_text(text, editor.conditioned).vector))
    save_png(image_grid(columns), out / "edits_synthetic.png")
    click.echo(f"columns: input | {' | '.join(EDITS)}")
    t2f = TextToFace.load(checkpoint)
    save_png(prompt_sheet(t2f), out / "generated.png")
    click.echo(f"wrote {out}/edits_synthetic.png and {out}/generated.png")


if __name__ == "__main__":
    main()
