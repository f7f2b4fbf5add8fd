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
