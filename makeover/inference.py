"""Finding and loading trained models (safe loading of .keras files, plus their .json metadata)."""

from __future__ import annotations

import json
from pathlib import Path

CHECKPOINTS = Path(__file__).resolve().parent.parent / "checkpoints"
DEFAULT_MODEL = CHECKPOINTS / "celeba64"


def resolve_model(path: str | Path | None, filename: str) -> Path:
    """`path` (the file itself, or a folder holding `filename`), or the shipped default model."""
    path = Path(path) if path else DEFAULT_MODEL
    target = path / filename if path.is_dir() else path
    if not target.is_file():
        hint = ("no model is shipped in this checkout; train one (see README) and pass --checkpoint RUN_FOLDER"
                if path == DEFAULT_MODEL else "pass a run folder or the .keras file itself")
        raise FileNotFoundError(f"no {filename} at {path}: {hint}")
    return target


def load_model(path: str | Path | None, filename: str):
    """(keras model, metadata dict) for `filename` in `path` (see resolve_model)."""
    import keras

    import makeover.models.gan  # noqa: F401  (registers the custom layers and classes)
    import makeover.models.layers  # noqa: F401

    target = resolve_model(path, filename)
    model = keras.saving.load_model(target, safe_mode=True)
    meta_path = target.with_suffix(".json")
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    return model, meta


def load_generator(path: str | Path | None):
    return load_model(path, "generator.keras")


# An edit this model made in fewer than half the evaluated faces gets a warning, when at least
# this many faces were asked (a share over a handful of faces says little).
WARN_BELOW = 0.5
WARN_MIN_ASKED = 20
EVALUATION = "evaluation.json"  # the model's `--run evaluate` report.json, shipped beside it


def load_evaluation(path: str | Path | None, filename: str) -> dict | None:
    """The evaluation shipped beside model `filename` in `path` (see resolve_model), or None."""
    target = resolve_model(path, filename).with_name(EVALUATION)
    return json.loads(target.read_text()) if target.is_file() else None


def weak_requests(per_attribute: dict | None, vector, conditioned) -> list[str]:
    """One warning line per requested edit this model made in under WARN_BELOW of the evaluated
    faces asked the same way (`per_attribute`: evaluate's edit metrics, with on/off shares)."""
    lines = []
    for name, v in zip(conditioned, vector):
        measured = (per_attribute or {}).get(name, {}).get("on" if v > 0 else "off") if v != 0 else None
        if measured and measured["share"] is not None and measured["asked"] >= WARN_MIN_ASKED \
                and measured["share"] < WARN_BELOW:
            lines.append(f"warning: {name} {'on' if v > 0 else 'off'}: of {measured['asked']} test faces this "
                         f"model edited so, the evaluation classifier saw it in only {measured['share']:.0%} "
                         "(its MODEL_CARD.md, 'By direction')")
    return lines
