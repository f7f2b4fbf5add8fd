"""Configs: TOML files merged over configs/default.toml, then CLI overrides."""

from __future__ import annotations

import copy
import json
import re
import tomllib
from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
DEFAULT_CONFIG = CONFIG_DIR / "default.toml"
PRESETS = CONFIG_DIR / "presets.toml"


class ConfigError(ValueError):
    pass


def merge(base: dict, override: dict, where: str = "") -> dict:
    """Deep-merge `override` into a copy of `base`; unknown keys are an error (typos)."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if key not in out:
            raise ConfigError(f"unknown config key '{where}{key}' (known: {', '.join(sorted(out))})")
        if isinstance(out[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"config key '{where}{key}' must be a table")
            # A table empty in the defaults is open: its keys are the user's (loss.flip_weights).
            out[key] = merge(out[key], value, f"{where}{key}.") if out[key] else copy.deepcopy(value)
        else:
            _check_type(out[key], value, f"{where}{key}")
            out[key] = value
    return out


# Keys whose value may take another shape than the default's: train.guide is a path or a list of them.
SEVERAL_SHAPES = {"train.guide": (str, list)}


def _check_type(default, value, key: str) -> None:
    """`value` must have the default's type (an int will do for a float); else a one-line ConfigError."""
    if default is None:
        return
    allowed = SEVERAL_SHAPES.get(key) or ((int, float) if type(default) is float else (type(default),))
    if isinstance(value, bool) != isinstance(default, bool) or not isinstance(value, allowed):
        wanted = "a number" if type(default) is float else " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in allowed)
        raise ConfigError(f"config key '{key}' must be {wanted}, not {value!r}")


_TYPE_NAMES = {int: "an integer", float: "a number", str: "a string", list: "a list", bool: "true or false"}


# Keys that no longer exist, with the one value whose behaviour stayed (None: any value did). A run
# folder or shipped config written before carries them; with that value they are dropped, with
# another it is an error, since this version cannot train what that config asked for.
RETIRED = {"generator": {"masked": False, "mask_floor": None},
           "loss": {"targets": "flips", "phase_window": 0, "guide_min_scale": 1.0, "recon_norm": "l1",
                    "recon_eps": None}}


def drop_retired(config: dict) -> dict:
    """`config` without RETIRED keys; a retired key holding another value is a one-line ConfigError."""
    out = copy.deepcopy(config)
    for section, keys in RETIRED.items():
        table = out.get(section) or {}
        for key, kept in keys.items():
            if key in table:
                value = table.pop(key)
                if kept is not None and value != kept:
                    raise ConfigError(f"config key '{section}.{key}' = {value!r} was retired (only {kept!r} is "
                                      f"left); train it with the version in git history that had it")
    return out


def read_toml(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: {e}") from None


def load_config(path: str | Path | None = None, overrides: dict | None = None) -> dict:
    config = read_toml(DEFAULT_CONFIG)
    if path is not None:
        config = merge(config, read_toml(path))
    return merge(config, overrides or {})


def parse_sets(sets) -> dict:
    """["section.key=value", ...] (each value read as JSON, else as a string) -> nested overrides."""
    out: dict = {}
    for item in sets:
        key, sep, raw = item.partition("=")
        if not sep or "." not in key:
            raise ConfigError(f"{item!r}: write section.key=value, e.g. loss.guide=80")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        section, name = key.split(".", 1)
        out.setdefault(section, {})[name] = value
    return out


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return json.dumps(value)  # JSON's numbers and basic strings are TOML's too
    if isinstance(value, list):
        return "[" + ", ".join(map(_toml_value, value)) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise ConfigError(f"a config value TOML cannot hold: {value!r}")


def to_toml(config: dict) -> str:
    """A config of [section] tables (what load_config returns) as TOML that read_toml reads back."""
    lines = []
    for section, table in config.items():
        if not isinstance(table, dict):
            raise ConfigError(f"config key '{section}' must be a table")
        lines += [f"[{section}]"] + [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items()] + [""]
    return "\n".join(lines)


def load_preset(name: str) -> dict:
    presets = read_toml(PRESETS)
    if name not in presets:
        raise ConfigError(f"unknown preset '{name}' (known: {', '.join(presets)})")
    return presets[name]


def save_json(data: dict, path: str | Path) -> None:
    """Write JSON atomically (temp file + rename)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(path)
