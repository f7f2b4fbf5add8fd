"""Contact sheet for looking at transform on real photos (not a test; writes under runs/).

Each row: the photo's face region before | the aligned crop | the model's edit
of the crop | the face region after paste-back. With --modes: the face region before |
after a direct paste | after a residual paste at strengths 1, 1.5 and 2.

    python tools/wild_sheet.py ../shared/data/celeba_wild_dev/img_celeba --text "smiling" --num 12
    python tools/wild_sheet.py ../shared/data/celeba_wild_dev/img_celeba --text "blond hair" --num 6 --modes
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


@click.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--text", default="smiling", show_default=True)
@click.option("--checkpoint", type=click.Path())
@click.option("--num", type=click.IntRange(1), default=12, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), default="runs/wild_sheet.png", show_default=True)
@click.option("--modes", is_flag=True, help="Compare direct and residual pastes (see the module doc).")
def main(folder, text, checkpoint, num, out, modes):
    from makeover.edit import FaceEditor, NoFaceError
    from makeover.faces import _footprint, paste_edit
    from makeover.imageio import list_images, read_image
    from makeover.text import request_vector
    from makeover.viz import save_png

    editor = FaceEditor.load(checkpoint)
    vector, report, _ = request_vector(text, None, editor.conditioned)
    click.echo(report)
    tile = 128
    rows = []
    for path in list_images([folder]):
        if len(rows) == num:
            break
        photo = read_image(path)
        try:
            result = editor.edit(photo, vector)
        except NoFaceError:
            continue
        x0, y0, x1, y1 = _footprint(result.matrices[0], photo.rgb.shape)
        cells = [photo.rgb[y0:y1, x0:x1], result.before[0], result.after[0], result.photo.rgb[y0:y1, x0:x1]]
        if modes:
            cells = cells[:1]
            for residual, strength in ((False, 1.0), (True, 1.0), (True, 1.5), (True, 2.0)):
                after = editor.with_mode(residual).edit_crops(result.before[:1], vector * strength)[0]
                cells.append(paste_edit(photo.rgb, result.matrices[0], result.before[0], after)[y0:y1, x0:x1])
        rows.append(np.concatenate([cv2.resize(c, (tile, tile), interpolation=cv2.INTER_AREA) for c in cells], 1))
    if not rows:
        raise click.ClickException(f"no face found in the images of {folder} (images are read from the folder "
                                   "itself, not its subfolders: for the dev photos give .../celeba_wild_dev/img_celeba)")
    save_png(np.concatenate(rows, 0), out)
    click.echo(f"wrote {out} ({len(rows)} faces)")


if __name__ == "__main__":
    main()
