"""Write a shipped generator's training config (its model card's resolved config) as TOML, with changes.

A shipped model keeps no run folder, only the card: to go on from it with one change, as each
celeba64 step since the run folders were lost has done, take the card's config and set that one key:

    python tools/card_config.py checkpoints/celeba64 --set train.guide=runs/00000-guide64-robust3 \\
        --set train.steps=1500 --out runs/c64-guide3.toml
    python dm_main.py --run train --config runs/c64-guide3.toml --init checkpoints/celeba64

What says where the card's run started (init_from, init_steps) and its --source/--target
(selection: train's options, not config keys) are left out.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from makeover.config import ConfigError, load_config, merge, parse_sets, to_toml  # noqa: E402

SECTION = "## Makeover generator"
NOT_CONFIG = ("init_from", "init_steps", "selection")


def card_config(card: str) -> dict:
    """The resolved config under the card's makeover-generator section, less NOT_CONFIG."""
    # within the section: a card whose generator has no config must not yield the text path's
    found = re.search(re.escape(SECTION) + r"\n(?:(?!\n## ).)*?```json\n(.*?)```", card, re.S)
    if not found:
        raise ConfigError(f"no '{SECTION}' section with a resolved config in this card")
    config = json.loads(found.group(1))
    return {key: value for key, value in config.items() if key not in NOT_CONFIG}


@click.command()
@click.argument("model", type=click.Path(exists=True))
@click.option("--set", "sets", multiple=True, metavar="SECTION.KEY=VALUE",
              help="Change a key (value read as JSON, else as a string), e.g. loss.guide=80; repeatable.")
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="The TOML file to write.")
def main(model, sets, out):
    """MODEL: a shipped model folder (checkpoints/celeba64) or its MODEL_CARD.md."""
    path = Path(model) / "MODEL_CARD.md" if Path(model).is_dir() else Path(model)
    try:
        # over today's defaults, as train will read it: keys added since the card can be set, and an
        # older card's keys that are gone fail here
        config = merge(merge(load_config(), card_config(path.read_text(encoding="utf-8"))), parse_sets(sets))
        text = f"# {path}'s resolved config" + "".join(f", {s}" for s in sets) + "\n" + to_toml(config)
    except ConfigError as e:
        raise click.ClickException(f"{path}: {e}") from None
    Path(out).write_text(text, encoding="utf-8")
    click.echo(f"wrote {out}")


if __name__ == "__main__":
    main()
