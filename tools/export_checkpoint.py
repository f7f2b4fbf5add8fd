"""Export generator.keras (+ generator.json) from a makeover run's checkpoint (the latest, or --step's), into the run folder.

For a run that is still going, or one stopped without Ctrl-C (a background run ignores SIGINT):

    python tools/export_checkpoint.py runs/00014-celeba64
    python tools/export_checkpoint.py runs/00014-celeba64 --step 8000
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


@click.command()
@click.argument("run", type=click.Path(exists=True, file_okay=False))
@click.option("--step", type=click.IntRange(min=0), default=None,
              help="Export this step's checkpoint instead of the latest (a running run writes new ones).")
def main(run, step):
    from makeover.train import checkpoint_file, export_checkpoint, latest_checkpoint

    run = Path(run)
    config = json.loads((run / "config.json").read_text())
    ckpt = latest_checkpoint(run) if step is None else checkpoint_file(run, step)
    if ckpt is None or not ckpt.exists():
        raise click.ClickException(f"no checkpoint{'' if step is None else f' for step {step}'} in {run}/checkpoints;"
                                   f" list them with: ls {run}/checkpoints")
    step = export_checkpoint(config, ckpt, run)
    click.echo(f"{ckpt.name} -> {run / 'generator.keras'} (step {step})")


if __name__ == "__main__":
    main()
