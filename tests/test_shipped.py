"""The models shipped in checkpoints/ load with safe loading and do what their cards say they are."""

import json

import numpy as np
import pytest

from makeover.inference import CHECKPOINTS

SHIPPED = sorted(p.name for p in CHECKPOINTS.iterdir() if (p / "generator.keras").is_file())


def test_both_models_are_shipped():
    assert {"celeba64", "synthetic32"} <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_edits_generates_and_has_a_card(name):
    from makeover.data.synthetic import SyntheticFaces
    from makeover.edit import FaceEditor
    from makeover.generate import TextToFace
    from makeover.text import parse_text

    folder = CHECKPOINTS / name
    for f in folder.glob("*.keras"):
        assert f.stat().st_size < 10e6, f"{f} is over 10 MB"
    card = (folder / "MODEL_CARD.md").read_text()
    assert "## Licence" in card and "--run evaluate" in card and len(card.splitlines()) <= 120
    editor = FaceEditor.load(folder)
    faces = SyntheticFaces(2, seed=5)
    x = np.stack([faces.image(i, editor.size) for i in range(2)])
    out = editor.edit_crops(x, parse_text("black hair", editor.conditioned).vector)
    assert out.shape == x.shape and out.dtype == np.uint8
    assert np.abs(out.astype(int) - x).max() > 0  # a trained model, not the identity it started as
    t2f = TextToFace.load(folder)
    drawn = t2f.faces(np.stack([parse_text("a smiling man", t2f.conditioned).vector] * 2), seed=1)
    assert drawn.shape == (2, t2f.size, t2f.size, 3)
    assert json.loads((folder / "generator.json").read_text())["steps"] > 0


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_evaluation_is_the_one_on_the_card(name):
    """evaluation.json (what transform and generate warn from) holds the card's own numbers."""
    folder = CHECKPOINTS / name
    evaluation = json.loads((folder / "evaluation.json").read_text())
    model = evaluation["makeover"]["model"]
    card = (folder / "MODEL_CARD.md").read_text()
    assert f"| **mean** | **{model['mean_success']:.3f}** |" in card
    male = model["per_attribute"]["Male"]
    assert (f"| Male | {male['success']:.3f} | {male['on']['share']:.3f} ({male['on']['asked']}) "
            f"| {male['off']['share']:.3f} ({male['off']['asked']}) |") in card


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_tflite_is_exported_from_the_shipped_generator(name):
    """transform uses generator.tflite only while it matches generator.keras: shipping a new generator
    without `tools/export_tflite.py` would silently lose the fast path, so the two must agree here."""
    from makeover import lite

    folder = CHECKPOINTS / name
    if not (folder / "generator.tflite").is_file():
        pytest.skip(f"{name} ships no generator.tflite")
    record = json.loads((folder / "generator.json").read_text())["tflite"]
    assert record["sha256"] == lite.file_digest(folder / "generator.keras"), \
        f"re-export: python tools/export_tflite.py checkpoints/{name}"
    assert record["max_abs_error"] < 1e-4


def test_the_shipped_judge_loads_and_its_card_quotes_its_accuracy():
    """checkpoints/judge64 is what the README's texture-proof numbers are measured with."""
    import json

    from makeover.classify import load_classifier

    folder = CHECKPOINTS / "judge64"
    model, meta = load_classifier(folder)
    assert model.output_shape[-1] == len(meta["attributes"]) == 40 and meta["augment"]
    card = (folder / "MODEL_CARD.md").read_text()
    saved = json.loads((folder / "classifier.json").read_text())
    assert f"test {saved['mean_accuracy']:.3f}" in card and f"val {saved['val']['mean_accuracy']:.3f}" in card
