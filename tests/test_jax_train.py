"""tools/jax_train.py: what runs here (prepare, the weight parts, import); its JAX step runs on a GPU machine."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import load_tool, tiny_config


@pytest.fixture(scope="module")
def tool():
    return load_tool("jax_train")


def test_weight_parts_round_trip_in_order(tool, tmp_path, monkeypatch):
    monkeypatch.setattr(tool, "PART_BYTES", 4000)        # ~1 array per part: 12+ parts, part10 after part9
    rng = np.random.default_rng(0)
    weights = [rng.normal(size=(int(n), 7)).astype(np.float32) for n in rng.integers(50, 140, 13)]
    paths = tool.save_parts(weights, tmp_path / "generator")
    assert len(paths) >= 11 and all(p.stat().st_size < 4000 + 2000 for p in paths)
    back = tool.load_parts(tmp_path / "generator")
    assert len(back) == len(weights) and all(np.array_equal(a, b) for a, b in zip(weights, back))


def test_jpegs_round_trip_close(tool, tmp_path):
    y, x = np.mgrid[0:32, 0:32]
    images = np.stack([np.stack([x * 8, y * 8, (x + y + 17 * i) % 256], -1) for i in range(5)]).astype(np.uint8)
    tool.save_jpegs(images, tmp_path / "faces.npz")
    back = tool.load_jpegs(tmp_path / "faces.npz")
    assert back.shape == images.shape and back.dtype == np.uint8
    mse = np.mean((back.astype(float) - images) ** 2)
    assert 10 * np.log10(255 ** 2 / mse) > 30
    assert np.abs(back[:, :, :, 0].astype(float) - images[:, :, :, 0]).mean() < 3   # channels not swapped


def test_parse_sets(tool):
    import click
    assert tool.parse_sets(("loss.guide=80", "train.guide=runs/x", "loss.flip_weights={\"Male\": 3}")) == {
        "loss": {"guide": 80, "flip_weights": {"Male": 3}}, "train": {"guide": "runs/x"}}
    with pytest.raises(click.BadParameter):
        tool.parse_sets(("guide=80",))


def test_prepare_then_import_gives_the_same_generator(tool, tmp_path):
    """prepare writes what the device needs; import turns trained parts into a generator.keras that
    computes what the saved weights compute."""
    from makeover.inference import load_model
    from makeover.models.networks import GeneratorSpec, build_generator

    config = tiny_config()
    (tmp_path / "config.json").write_text(json.dumps(config))
    result = CliRunner().invoke(tool.main, ["prepare", "--config", str(tmp_path / "config.json"), "--dataset",
                                            "synthetic", "--guide", "checkpoints/synthetic32",
                                            "--out", str(tmp_path / "prep")])
    assert result.exit_code == 0, result.output
    prep = tmp_path / "prep"
    assert tool.load_jpegs(prep / "faces.npz").shape == (64, 32, 32, 3)
    assert np.load(prep / "attrs.npy").shape == (64, 16)
    assert (prep / "guide.keras").is_file()

    # what `train` leaves on the device: parts of G's weights and run.json
    saved = json.loads((prep / "config.json").read_text())
    spec = GeneratorSpec(**saved["generator"], image_size=32, num_attributes=16)
    generator = build_generator(spec)
    rng = np.random.default_rng(1)
    generator.set_weights([w + 0.01 * rng.normal(size=w.shape).astype(np.float32) for w in generator.get_weights()])
    trained = tmp_path / "trained"
    trained.mkdir()
    tool.save_parts(generator.get_weights(), trained / "generator")
    (trained / "run.json").write_text(json.dumps({"config": saved, "steps": 7, "seconds": 1.0, "ema": 0.998,
                                                  "device": "cuda:0", "log": [{"step": 7, "g_loss": 1.0}]}))
    result = CliRunner().invoke(tool.main, ["import", str(trained), "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    loaded, meta = load_model(tmp_path / "run", "generator.keras")
    assert meta["steps"] == 7 and meta["attributes"] == saved["data"]["attributes"]
    x = rng.uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
    c = rng.choice([-1.0, 0.0, 1.0], (2, 16)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(loaded([x, c])), np.asarray(generator([x, c])), atol=1e-5)
    assert json.loads((tmp_path / "run" / "stats.jsonl").read_text())["step"] == 7


def test_prepare_refuses_a_guide_ensemble_before_writing(tool, tmp_path):
    config = tiny_config()
    config["train"]["guide"] = ["checkpoints/synthetic32", "checkpoints/synthetic32"]
    (tmp_path / "config.json").write_text(json.dumps(config))
    result = CliRunner().invoke(tool.main, ["prepare", "--config", str(tmp_path / "config.json"), "--dataset",
                                            "synthetic", "--out", str(tmp_path / "prep")])
    assert result.exit_code == 2 and "one guide" in result.output, result.output
    assert not (tmp_path / "prep").exists()


def test_prepare_refuses_paired_supervision_before_writing(tool, tmp_path):
    config = tiny_config()
    config["loss"]["paired"] = 10.0
    (tmp_path / "config.json").write_text(json.dumps(config))
    result = CliRunner().invoke(tool.main, ["prepare", "--config", str(tmp_path / "config.json"), "--dataset",
                                            "synthetic", "--out", str(tmp_path / "prep")])
    assert result.exit_code == 2 and "loss.paired = 0" in result.output, result.output
    assert not (tmp_path / "prep").exists()
