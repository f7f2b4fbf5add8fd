"""Finding and loading trained models (safe loading of .keras files, plus their .json metadata)."""

from __future__ import annotations

import json
import logging
import zipfile
from pathlib import Path, PurePosixPath

CHECKPOINTS = Path(__file__).resolve().parent.parent / "checkpoints"
DEFAULT_MODEL = CHECKPOINTS / "celeba64"
log = logging.getLogger(__name__)


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


TFLITE_KEY = "tflite"  # generator.json's record of the generator.tflite exported from generator.keras


def load_lite_generator(path: str | Path | None):
    """(LiteGenerator, metadata) from the generator.tflite beside generator.keras, or None where there is
    none, the LiteRT runtime is missing, or it was exported from another generator.keras (a stale export)."""
    from makeover import lite

    target = resolve_model(path, "generator.keras")
    exported = target.with_suffix(".tflite")
    if not exported.is_file() or not lite.available():
        return None
    meta = _read_meta(target.with_suffix(".json"))
    if meta.get(TFLITE_KEY, {}).get("sha256") != lite.file_digest(target):
        log.warning("%s was exported from another %s; using the Keras model (re-export with "
                    "tools/export_tflite.py)", exported, target.name)
        return None
    try:
        generator = lite.LiteGenerator(exported)
    except Exception as e:  # noqa: BLE001 - a damaged flatbuffer: the file is at fault
        raise ModelFileError(f"{exported}: {_load_failure(e)}") from None
    attributes, size = meta.get("attributes"), meta.get("image_size")
    details = {d["name"]: tuple(d["shape_signature"]) for d in generator.model.inputs}
    if not isinstance(attributes, list) or sorted(details.values(), key=len) != [(-1, len(attributes)),
                                                                               (-1, size, size, 3)]:
        raise ModelFileError(f"{exported}: its inputs {sorted(details.values(), key=len)} do not match "
                             f"{target.with_suffix('.json').name}; re-export it with tools/export_tflite.py")
    return generator, meta


def export_lite_generator(path: str | Path | None, check_inputs: int = 64, seed: int = 0) -> dict:
    """Export generator.keras (in `path`, see resolve_model) to generator.tflite beside it, check that both
    give the same images on `check_inputs` random faces and requests, and record the export in generator.json.
    Returns the record: the .keras file's sha256 and the largest difference seen (in [-1, 1] units)."""
    import os

    import numpy as np

    from makeover import lite

    model, meta = load_generator(path)
    target = resolve_model(path, "generator.keras")
    exported = target.with_suffix(".tflite")
    tmp = exported.with_name(f".tmp-{os.getpid()}-{exported.name}")
    model.export(str(tmp), format="litert", verbose=False)
    rng = np.random.default_rng(seed)
    size, k = model.inputs[0].shape[1], model.inputs[1].shape[1]
    x = rng.uniform(-1, 1, (check_inputs, size, size, 3)).astype(np.float32)
    c = rng.choice([-1.0, 0.0, 1.0], (check_inputs, k)).astype(np.float32)
    want = np.asarray(model([x, c], training=False))
    got = lite.LiteGenerator(tmp)([x, c])
    os.replace(tmp, exported)
    record = {"sha256": lite.file_digest(target), "max_abs_error": float(np.abs(want - got).max()),
              "checked_inputs": check_inputs}
    from makeover.config import save_json

    save_json({**meta, TFLITE_KEY: record}, target.with_suffix(".json"))
    return record


# An edit this model made in fewer than half the evaluated faces gets a warning, when at least
# this many faces were asked (a share over a handful of faces says little).
WARN_BELOW = 0.5
WARN_MIN_ASKED = 20
EVALUATION = "evaluation.json"  # the model's `--run evaluate` report.json, shipped beside it
TRAINING_CONFIG = "training_config.json"  # {part: its resolved training config}, written by tools/ship.py


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
