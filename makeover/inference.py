"""Loading a trained generator for inference."""

from __future__ import annotations

import json
from pathlib import Path


def load_generator(path: str | Path):
    """(keras model, metadata) from generator.keras (+ generator.json) or a run folder."""
    import keras

    import makeover.models.gan  # noqa: F401  (registers the custom layers and classes)
    import makeover.models.layers  # noqa: F401

    path = Path(path)
    if path.is_dir():
        path = path / "generator.keras"
    if not path.is_file():
        raise FileNotFoundError(f"no generator at {path}")
    model = keras.saving.load_model(path, safe_mode=True)
    meta_path = path.with_suffix(".json")
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    return model, meta
