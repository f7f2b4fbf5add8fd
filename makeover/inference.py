"""Finding and loading trained models (safe loading of .keras files, plus their .json metadata)."""

from __future__ import annotations

import json
import logging
import zipfile
from pathlib import Path, PurePosixPath

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


class ModelFileError(ValueError):
    """A model file that cannot be used: broken, of another kind, or carrying code; one line naming it."""


# What a .keras archive holds (Keras 3): anything else, or a member named outside the archive, is refused.
KERAS_MEMBERS = ("metadata.json", "config.json", "model.weights.h5", "model.weights.npz")
# The input names each kind of model file is built with (models/networks.py, classifier.py, text_gan.py).
MODEL_INPUTS = {"generator.keras": ("image", "attributes"), "classifier.keras": ("image",),
                "text_to_face.keras": ("attributes", "noise", "ca_noise")}
TRUST = "load only model files you trust"


def load_model(path: str | Path | None, filename: str, require_meta: bool = True):
    """(keras model, metadata dict) for `filename` in `path` (see resolve_model).

    The metadata (`filename` with .json) must name the attributes, as the commands need; with
    require_meta=False a model without its .json loads too (metadata {}), e.g. to copy weights.

    Loading is safe: Keras's safe mode refuses any file that would run code (a Lambda layer),
    and every failure (a truncated or foreign archive, a model of another kind, broken
    metadata) is a ModelFileError with one line naming the file.
    """
    import keras

    import makeover.models.gan  # noqa: F401  (registers the custom layers and classes)
    import makeover.models.layers  # noqa: F401

    target = resolve_model(path, filename)
    check_archive(target)
    try:
        model = keras.saving.load_model(target, safe_mode=True)
    except Exception as e:  # noqa: BLE001 - whatever Keras raises, the file is at fault: say so in one line
        raise ModelFileError(f"{target}: {_load_failure(e)}") from None
    meta = _read_meta(target.with_suffix(".json"))
    _check_kind(model, meta if meta or require_meta else None, target, filename)
    return model, meta


def check_archive(target: Path) -> None:
    """Refuse, before Keras reads it, a file that is not a .keras zip or whose member names reach outside."""
    try:
        with zipfile.ZipFile(target) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise ModelFileError(f"{target}: not a .keras model file, or truncated ({e})") from None
    for name in names:
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
            raise ModelFileError(f"{target}: refused: its member '{name}' points outside the archive; {TRUST}")
        if name not in KERAS_MEMBERS and parts[0] != "assets":
            raise ModelFileError(f"{target}: refused: '{name}' is not part of a Keras model file; {TRUST}")
    if "config.json" not in names:
        raise ModelFileError(f"{target}: not a .keras model file (it has no config.json)")


def _load_failure(error: Exception) -> str:
    text = " ".join(str(error).split())
    if "Lambda" in text or "safe_mode" in text or "unsafe" in text:
        return f"refused: this model file contains code (a Lambda layer), which is never run; {TRUST}"
    return f"cannot load this model file ({type(error).__name__}: {text[:160]})"


def _read_meta(path: Path) -> dict:
    if not path.is_file():
        return {}
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelFileError(f"{path}: unreadable model metadata ({e})") from None
    if not isinstance(meta, dict):
        raise ModelFileError(f"{path}: model metadata must be a JSON object")
    return meta


def _check_kind(model, meta: dict | None, target: Path, filename: str) -> None:
    """A model of the kind `filename` names, whose metadata (None: not checked) matches it (else a one-line
    error)."""
    wanted = MODEL_INPUTS.get(filename)
    inputs = tuple(getattr(model, "inputs", None) or ())
    got = tuple(t.name.split(":")[0] for t in inputs)
    if wanted is not None and got != wanted:
        raise ModelFileError(f"{target}: not a {filename} model (inputs {got or 'none'}, expected {wanted}); "
                             f"pass the {filename} of a makeover run")
    if wanted is None or meta is None:
        return
    attributes = meta.get("attributes")
    if not isinstance(attributes, list) or not all(isinstance(a, str) for a in attributes):
        raise ModelFileError(f"{target}: its {target.with_suffix('.json').name} must list the attributes "
                             "the model was trained on")
    # The classifier outputs one logit per attribute; the others take the attribute vector in.
    width = (model.outputs[0] if filename == "classifier.keras" else inputs[got.index("attributes")]).shape[-1]
    if width != len(attributes):
        raise ModelFileError(f"{target}: the model has {width} attributes but its metadata names "
                             f"{len(attributes)}")


def load_generator(path: str | Path | None):
    return load_model(path, "generator.keras")


# An edit this model made in fewer than half the evaluated faces gets a warning, when at least
# this many faces were asked (a share over a handful of faces says little).
WARN_BELOW = 0.5
WARN_MIN_ASKED = 20
EVALUATION = "evaluation.json"  # the model's `--run evaluate` report.json, shipped beside it


def load_evaluation(path: str | Path | None, filename: str) -> dict | None:
    """The evaluation shipped beside model `filename` in `path` (see resolve_model), or None."""
    return _read_meta(resolve_model(path, filename).with_name(EVALUATION)) or None


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
