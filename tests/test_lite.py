"""The fast transform path: BlazeFace + FaceMesh and an exported generator on LiteRT, without TensorFlow."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import CELEBA_SAMPLE, SHARED, load_tool
from makeover import lite
from makeover.edit import FaceEditor
from makeover.faces import FallbackDetector, alignment, make_detector, template_points
from makeover.imageio import Photo, read_image
from makeover.inference import ModelFileError, export_lite_generator, load_lite_generator

ROOT = Path(__file__).resolve().parent.parent
WILD = SHARED / "celeba_wild_dev" / "img_celeba"
pytestmark = pytest.mark.skipif(not lite.available(), reason="the LiteRT runtime (ai-edge-litert) is not installed")


@pytest.fixture(scope="module")
def exported_run(tmp_path_factory):
    """A folder with a tiny generator (32 px, 16 attributes; weights perturbed away from the identity, so that
    it edits) and its export to generator.tflite."""
    from conftest import tiny_config
    from makeover.models.networks import GeneratorSpec, build_generator

    config = tiny_config()
    attributes = config["data"]["attributes"]
    g = build_generator(GeneratorSpec(image_size=32, num_attributes=len(attributes), base_channels=4, blocks=2))
    rng = np.random.default_rng(0)
    for v in g.weights:
        v.assign(np.asarray(v) + rng.normal(0, 0.05, v.shape).astype(np.float32))
    run = tmp_path_factory.mktemp("lite-run")
    g.save(run / "generator.keras")
    (run / "generator.json").write_text(json.dumps({"attributes": attributes, "image_size": 32}))
    export_lite_generator(run, check_inputs=8)
    return run


def test_export_matches_keras_and_is_recorded(exported_run):
    from makeover.inference import load_generator

    record = json.loads((exported_run / "generator.json").read_text())["tflite"]
    assert record["sha256"] == lite.file_digest(exported_run / "generator.keras")
    assert record["max_abs_error"] < 1e-4
    keras_g, meta = load_generator(exported_run)
    lite_g, lite_meta = load_lite_generator(exported_run)
    assert lite_meta["attributes"] == meta["attributes"]
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, (3, 32, 32, 3)).astype(np.float32)
    c = rng.choice([-1.0, 0.0, 1.0], (3, len(meta["attributes"]))).astype(np.float32)
    np.testing.assert_allclose(lite_g([x, c]), np.asarray(keras_g([x, c])), atol=1e-4)


def test_edits_match_the_keras_path_within_one_level(exported_run):
    """Same face, same landmarks: the photo edited on LiteRT is the Keras one within 1/255."""
    from test_photos import KnownFace, _placed_face

    photo, _, landmarks = _placed_face()
    vector = np.ones(16, np.float32)
    results = []
    for runtime in ("keras", "litert"):
        editor = FaceEditor.load(exported_run, runtime=runtime)
        editor.detector = KnownFace(landmarks)
        results.append(editor.edit(Photo(photo, None), vector).photo.rgb.astype(int))
    assert np.abs(results[0] - results[1]).max() <= 1
    assert np.abs(results[0] - photo).max() > 0  # the edit changed something


def test_a_stale_export_is_not_used(exported_run, tmp_path, caplog):
    """A generator.keras trained on after its export: auto falls back to Keras, litert refuses."""
    import shutil

    run = tmp_path / "run"
    shutil.copytree(exported_run, run)
    meta = json.loads((run / "generator.json").read_text())
    meta["tflite"]["sha256"] = "0" * 64
    (run / "generator.json").write_text(json.dumps(meta))
    assert load_lite_generator(run) is None
    assert "exported from another generator.keras" in caplog.text
    assert not isinstance(FaceEditor.load(run, runtime="auto").generator, lite.LiteGenerator)
    with pytest.raises(ModelFileError, match="export_tflite"):
        FaceEditor.load(run, runtime="litert")


def test_a_damaged_tflite_is_one_line(exported_run, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(exported_run, run)
    data = (run / "generator.tflite").read_bytes()
    (run / "generator.tflite").write_bytes(data[: len(data) // 3])
    with pytest.raises(ModelFileError) as e:
        load_lite_generator(run)
    assert "\n" not in str(e.value) and "generator.tflite" in str(e.value)


def test_detectors_find_nothing_in_noise_and_slivers():
    detector = make_detector("blazeface")
    rng = np.random.default_rng(0)
    for shape in [(480, 640, 3), (3, 2000, 3), (1, 1, 3), (19, 19, 3)]:
        assert detector.detect(rng.integers(0, 255, shape, np.uint8)) == []


def test_auto_detector_falls_back_when_the_first_finds_nothing():
    class Fixed:
        def __init__(self, faces):
            self.faces, self.calls = faces, 0

        def detect(self, rgb):
            self.calls += 1
            return self.faces

    empty, found = Fixed([]), Fixed(["face"])
    assert FallbackDetector(empty, found).detect(None) == ["face"] and found.calls == 1
    first = Fixed(["first"])
    assert FallbackDetector(first, found).detect(None) == ["first"] and found.calls == 1


@pytest.mark.skipif(not (CELEBA_SAMPLE / "img_align_celeba").is_dir(), reason=f"no CelebA sample at {CELEBA_SAMPLE}")
def test_facemesh_aligns_celeba_faces_onto_the_template():
    """On CelebA's aligned val images the right crop is known: FaceMesh's alignment lands within 1.5 px (at 64)
    of it at the eyes, on the median face."""
    from makeover.data.celeba import load_celeba
    from makeover.data.template import CROP_X, CROP_Y

    eye_error = load_tool("detector_compare").eye_error
    detector = make_detector("blazeface")
    truth = np.array([[1, 0, -CROP_X], [0, 1, -CROP_Y]], np.float64)
    eyes = template_points()[:2] + (CROP_X, CROP_Y)
    errors = []
    for name in load_celeba(CELEBA_SAMPLE, "val").names[:40]:
        faces = detector.detect(read_image(CELEBA_SAMPLE / "img_align_celeba" / name).rgb)
        if faces:
            errors.append(eye_error(eyes, truth, alignment(faces[0].landmarks)))
    assert len(errors) >= 38
    assert np.median(errors) < 1.5, np.median(errors)


@pytest.mark.skipif(not WILD.is_dir(), reason=f"wild photos not present at {WILD}")
def test_blazeface_finds_what_mtcnn_finds_and_places_the_eyes_alike():
    from makeover.faces import FaceDetector

    eye_error = load_tool("detector_compare").eye_error
    files = sorted(WILD.glob("*.jpg"))[:8]
    mesh, mtcnn = make_detector("blazeface"), FaceDetector()
    shifts = []
    for path in files:
        rgb = read_image(path).rgb
        old, new = mtcnn.detect(rgb), mesh.detect(rgb)
        assert bool(new) >= bool(old), path
        if old and new:
            shifts.append(eye_error(old[0].landmarks, alignment(old[0].landmarks), alignment(new[0].landmarks)))
    assert len(shifts) >= 6 and np.median(shifts) < 2.0, shifts


@pytest.mark.skipif(not WILD.is_dir(), reason=f"wild photos not present at {WILD}")
@pytest.mark.skipif(not (ROOT / "checkpoints" / "celeba64" / "generator.tflite").is_file(),
                    reason="no generator.tflite shipped")
def test_transform_with_the_shipped_model_never_imports_tensorflow(tmp_path):
    photo = sorted(WILD.glob("*.jpg"))[0]
    script = (f"import sys; from makeover.cli import main\n"
              f"try: main(['--run', 'transform', {str(photo)!r}, '-t', 'smiling', '-o', {str(tmp_path / 'o.jpg')!r}])\n"
              f"except SystemExit as e: assert e.code in (0, None), e.code\n"
              f"print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False False", out.stdout + out.stderr
    assert "XNNPACK" not in out.stderr and "Traceback" not in out.stderr
    assert read_image(tmp_path / "o.jpg").rgb.shape == read_image(photo).rgb.shape
