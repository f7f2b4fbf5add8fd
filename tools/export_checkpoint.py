"""Export generator.keras (+ generator.json) from a makeover run's checkpoint (the latest, or --step's), into the run
folder; for a text run (--mode generate), text_to_face.keras (+ .json).

For a run that is still going, or one stopped without Ctrl-C (a background run ignores SIGINT):

    python tools/export_checkpoint.py runs/00014-celeba64
    python tools/export_checkpoint.py runs/00014-celeba64 --step 8000
    python tools/export_checkpoint.py runs/00006-text64 --step 4000 --out /tmp/text-4000   # a folder to evaluate
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


@click.command()
@click.argument("run", type=click.Path(exists=True, file_okay=False))
@click.option("--step", type=click.IntRange(min=0), default=None,
              help="Export this step's checkpoint instead of the latest (a running run writes new ones).")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Folder to export into [default: the run folder].")
def main(run, step, out):
    from makeover.train import checkpoint_file, export_checkpoint, latest_checkpoint

    run = Path(run)
    out = Path(out) if out else run
    out.mkdir(parents=True, exist_ok=True)
    config = json.loads((run / "config.json").read_text())
    ckpt = latest_checkpoint(run) if step is None else checkpoint_file(run, step)
    if ckpt is None or not ckpt.exists():
        raise click.ClickException(f"no checkpoint{'' if step is None else f' for step {step}'} in {run}/checkpoints;"
                                   f" list them with: ls {run}/checkpoints")
    if "selection" not in config and config.get("text", {}).get("base"):   # a text run: no makeover selection
        export_text(config, ckpt, out)
        click.echo(f"{ckpt.name} -> {out / 'text_to_face.keras'}")
        return
    step = export_checkpoint(config, ckpt, out)
    click.echo(f"{ckpt.name} -> {out / 'generator.keras'} (step {step})")


def export_text(config: dict, ckpt: Path, out: Path) -> None:
    """A text run's checkpoint alone in a scratch run folder, resumed at its own step: training exports and stops."""
    from makeover.generate import train_text_to_face
    from makeover.train import checkpoint_meta

    meta = checkpoint_meta(ckpt)
    config = {**config, "train": {**config["train"], "steps": int(json.loads(meta.read_text())["step"])}}
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        (scratch / "checkpoints").mkdir()
        for part in (ckpt, meta):
            shutil.copy(part, scratch / "checkpoints" / part.name)
        (scratch / "config.json").write_text(json.dumps(config))
        train_text_to_face(config, scratch.parent, scratch.name, scratch, None)
        for name in ("text_to_face.keras", "text_to_face.json"):
            shutil.move(scratch / name, out / name)


if __name__ == "__main__":
    main()
