"""tools/card_config.py and config.to_toml: a shipped card's resolved config back as a TOML train reads."""

import json
import tomllib

from click.testing import CliRunner

from conftest import load_tool
from makeover.config import load_config, to_toml


def test_to_toml_reads_back_the_same_config():
    config = {"loss": {"guide": 40.0, "anneal_start": 0, "flip_weights": {"Male": 3.0, "odd key": 1.5}},
              "generator": {"masked": False}, "train": {"guide": 'runs/a "b"\\c', "steps": 1500},
              "data": {"attributes": ["Male", "Smiling"]}}
    assert tomllib.loads(to_toml(config)) == config


def _card(tmp_path, config: dict):
    card = tmp_path / "MODEL_CARD.md"
    card.write_text("# m\n\n## Makeover generator\n\n- run: `r`\n\n<details><summary>resolved config</summary>\n\n"
                    f"```json\n{json.dumps(config, indent=1)}\n```\n</details>\n\n## Text-to-face path\n\n"
                    "```json\n{\"text\": {}}\n```\n")
    return card


def test_the_card_config_with_a_change_is_what_train_reads(tmp_path):
    config = load_config()
    config["loss"]["guide"] = 40.0
    card = _card(tmp_path, {**config, "init_from": "checkpoints/x/generator.keras", "init_steps": 7300,
                            "selection": {"source": None, "target": None}})
    out = tmp_path / "next.toml"
    result = CliRunner().invoke(load_tool("card_config").main,
                                [str(tmp_path), "--set", "train.guide=runs/g3", "--set", "train.steps=9",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    config["train"].update(guide="runs/g3", steps=9)
    assert load_config(out) == config  # the card's own values (guide 40) kept, the two changes made


def test_a_key_added_since_the_card_can_be_set(tmp_path):
    config = load_config()
    del config["loss"]["paired"]    # a card written before loss.paired existed
    out = tmp_path / "next.toml"
    result = CliRunner().invoke(load_tool("card_config").main,
                                [str(_card(tmp_path, config)), "--set", "loss.paired=50", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert load_config(out)["loss"]["paired"] == 50


def test_an_unknown_key_is_a_one_line_error_and_writes_nothing(tmp_path):
    card = _card(tmp_path, load_config())
    out = tmp_path / "next.toml"
    result = CliRunner().invoke(load_tool("card_config").main,
                                [str(card), "--set", "loss.gude=80", "--out", str(out)])
    assert result.exit_code == 1 and "unknown config key 'loss.gude'" in result.output
    assert len(result.output.strip().splitlines()) == 1 and not out.exists()


def test_the_shipped_card_gives_its_generator_config(tmp_path):
    from pathlib import Path
    out = tmp_path / "shipped.toml"
    shipped = Path(__file__).resolve().parent.parent / "checkpoints" / "celeba64"
    result = CliRunner().invoke(load_tool("card_config").main, [str(shipped), "--out", str(out)])
    assert result.exit_code == 0, result.output
    config = load_config(out)
    meta = json.loads((shipped / "generator.json").read_text())
    assert config["data"]["attributes"] == meta["attributes"] and config["train"]["g_ema"] == meta["ema"]
