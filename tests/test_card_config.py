"""tools/card_config.py and config.to_toml: a shipped card's resolved config back as a TOML train reads."""

import json
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import load_tool
from makeover.config import load_config, to_toml


def test_to_toml_reads_back_the_same_config():
    config = {"loss": {"guide": 40.0, "anneal_start": 0, "flip_weights": {"Male": 3.0, "odd key": 1.5}},
              "generator": {"blocks": 6}, "train": {"guide": 'runs/a "b"\\c', "steps": 1500},
              "data": {"attributes": ["Male", "Smiling"]}}
    assert tomllib.loads(to_toml(config)) == config


def _shipped(tmp_path, config: dict) -> Path:
    """A shipped model folder whose training_config.json holds `config` as its generator's."""
    (tmp_path / "training_config.json").write_text(json.dumps({"makeover": config, "text": {"text": {}}}))
    return tmp_path


def test_the_card_config_with_a_change_is_what_train_reads(tmp_path):
    config = load_config()
    config["loss"]["guide"] = 40.0
    _shipped(tmp_path, {**config, "init_from": "checkpoints/x/generator.keras", "init_steps": 7300,
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
    del config["loss"]["paired"]    # a model shipped before loss.paired existed
    out = tmp_path / "next.toml"
    result = CliRunner().invoke(load_tool("card_config").main,
                                [str(_shipped(tmp_path, config)), "--set", "loss.paired=50", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert load_config(out)["loss"]["paired"] == 50


def test_an_unknown_key_is_a_one_line_error_and_writes_nothing(tmp_path):
    folder = _shipped(tmp_path, load_config())
    out = tmp_path / "next.toml"
    result = CliRunner().invoke(load_tool("card_config").main,
                                [str(folder), "--set", "loss.gude=80", "--out", str(out)])
    assert result.exit_code == 1 and "unknown config key 'loss.gude'" in result.output
    assert len(result.output.strip().splitlines()) == 1 and not out.exists()


def test_the_shipped_card_gives_its_generator_config(tmp_path):

    out = tmp_path / "shipped.toml"
    shipped = Path(__file__).resolve().parent.parent / "checkpoints" / "celeba64"
    result = CliRunner().invoke(load_tool("card_config").main, [str(shipped), "--out", str(out)])
    assert result.exit_code == 0, result.output
    config = load_config(out)
    meta = json.loads((shipped / "generator.json").read_text())
    assert config["data"]["attributes"] == meta["attributes"] and config["train"]["g_ema"] == meta["ema"]


def test_a_retired_key_is_dropped_at_the_value_that_stayed_and_refused_at_another(tmp_path):
    """A config written before a knob was retired: read as it was trained, or refused in one line."""
    from makeover.config import ConfigError, drop_retired

    config = load_config()
    config["loss"]["recon_norm"] = "l1"                    # the behaviour that stayed
    config["generator"]["mask_floor"] = 0.3                 # any value: inert without the mask
    assert drop_retired(config) == load_config()
    config["loss"]["recon_norm"] = "charbonnier"
    with pytest.raises(ConfigError, match="'loss.recon_norm' = 'charbonnier' was retired"):
        drop_retired(config)
    out = tmp_path / "next.toml"
    result = CliRunner().invoke(load_tool("card_config").main, [str(_shipped(tmp_path, config)), "--out", str(out)])
    assert result.exit_code == 1 and "was retired" in result.output and not out.exists()
