"""Export generator.keras (+ generator.json) from a makeover run's latest checkpoint, into the run folder.

For a run that is still going, or one stopped without Ctrl-C (a background run ignores SIGINT):

    python tools/export_checkpoint.py runs/00014-celeba64
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


@click.command()
@click.argument("run", type=click.Path(exists=True, file_okay=False))
def main(run):
    from makeover.train import build_gan, export_generator, latest_checkpoint

    run = Path(run)
    config = json.loads((run / "config.json").read_text())
    ckpt = latest_checkpoint(run)
    if ckpt is None:
        raise click.ClickException(f"no checkpoint in {run}/checkpoints")
    gan = build_gan(config, None)  # the target vector is not part of the weights
    gan.load_weights(ckpt)
    export_generator(gan, config, run)
    click.echo(f"{ckpt.name} -> {run / 'generator.keras'} (step {gan.steps_done()})")


if __name__ == "__main__":
    main()
