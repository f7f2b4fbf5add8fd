"""Write a shipped generator's training config (its training_config.json) as TOML, with changes.

A shipped model keeps no run folder, only its resolved config: to go on from it with one change,
take that config and set the one key:

    python tools/card_config.py checkpoints/celeba64 --set train.guide=runs/00000-guide64-robust2 \\
        --set train.steps=1500 --out runs/c64-guide3.toml
    python dm_main.py --run train --config runs/c64-guide3.toml --init checkpoints/celeba64

What says where the run started (init_from, init_steps) and its --source/--target (selection:
train's options, not config keys) are left out.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from makeover.config import ConfigError, drop_retired, load_config, merge, parse_sets, to_toml  # noqa: E402
from makeover.inference import TRAINING_CONFIG  # noqa: E402

NOT_CONFIG = ("init_from", "init_steps", "selection")


def shipped_config(folder: Path, part: str = "makeover") -> dict:
    """The resolved training config of a shipped model's `part`, less NOT_CONFIG and retired keys."""
    path = folder / TRAINING_CONFIG
    try:
        configs = json.loads(path.read_text(encoding="utf-8"))
        config = configs[part]
    except (OSError, ValueError, KeyError) as e:
        raise ConfigError(f"no {part} config in {path} ({type(e).__name__})") from None
    return drop_retired({key: value for key, value in config.items() if key not in NOT_CONFIG})


@click.command()
@click.argument("model", type=click.Path(exists=True, file_okay=False))
@click.option("--set", "sets", multiple=True, metavar="SECTION.KEY=VALUE",
              help="Change a key (value read as JSON, else as a string), e.g. loss.guide=80; repeatable.")
@click.option("--part", type=click.Choice(["makeover", "text", "classifier"]), default="makeover", show_default=True,
              help="Which part's config.")
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="The TOML file to write.")
def main(model, sets, part, out):
    """MODEL: a shipped model folder (checkpoints/celeba64)."""
    try:
        # over today's defaults, as train will read it: keys added since can be set
        config = merge(merge(load_config(), shipped_config(Path(model), part)), parse_sets(sets))
        text = f"# {model}'s {part} config" + "".join(f", {s}" for s in sets) + "\n" + to_toml(config)
    except ConfigError as e:
        raise click.ClickException(f"{model}: {e}") from None
    Path(out).write_text(text, encoding="utf-8")
    click.echo(f"wrote {out}")


if __name__ == "__main__":
    main()
