"""Fuzzing the promise: every bad input gets one line (no traceback), a non-zero exit, its input
unchanged byte for byte, and nothing written outside --out.

Seeded (derandomized) and small by default; `--runslow` runs the same properties on many
more examples (FUZZ_SLOW_EXAMPLES).
"""

import contextlib
import io
import logging
import os
import struct
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from conftest import CELEBA_SAMPLE, png_header, tiny_config
from makeover.cli import INTERNAL_ERROR, cli, main
from makeover.edit import FaceEditor, NoFaceError
from makeover.faces import CROP_SIZE, Face, template_points
from makeover.imageio import ImageReadError, read_image

FUZZ_EXAMPLES = 12
FUZZ_SLOW_EXAMPLES = 400


def fuzz_settings(examples):
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


def run_cli(*args) -> tuple[int, str]:
    """(exit status, everything printed) of `dm_main.py --run ARGS...`, in this process."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    return code, out.getvalue()


def assert_one_line_error(code: int, text: str) -> None:
    """A failure the user can read: non-zero, no traceback, not the last-resort net, one Error line."""
    assert code != 0, text
    assert "Traceback" not in text and INTERNAL_ERROR not in text, text
    errors = [line for line in text.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, text


def snapshot(folder: Path) -> dict:
    """Every file under `folder` (links as their target's name), for before/after comparison."""
    out = {}
    for root, dirs, files in os.walk(folder):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            path = Path(root) / name
            rel = str(path.relative_to(folder))
            out[rel] = ("link", os.readlink(path)) if path.is_symlink() else path.read_bytes()
    return out


# ------------------------------------------------------------------ images of any size and mode

MODES = ["1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I;16", "I", "F"]
FORMATS = {"png": ("1", "L", "LA", "P", "RGB", "RGBA", "I;16", "I"), "jpg": ("L", "RGB", "CMYK"),
           "bmp": ("1", "L", "P", "RGB"), "tiff": tuple(MODES), "webp": ("RGB", "RGBA"), "gif": ("L", "P")}


@st.composite
def images(draw):
    """(PIL image, suffix): extreme aspect ratios, slivers a pixel wide, every common mode."""
    suffix = draw(st.sampled_from(sorted(FORMATS)))
    mode = draw(st.sampled_from(FORMATS[suffix]))
    long_side = draw(st.sampled_from([1, 2, 3, 17, 64, 333, 2048, 20000]))
    short_side = draw(st.integers(1, min(long_side, 64)))
    w, h = (long_side, short_side) if draw(st.booleans()) else (short_side, long_side)
    seed = draw(st.integers(0, 2**16))
    rgb = np.random.default_rng(seed).integers(0, 256, (h, w, 3), np.uint8)
    image = Image.fromarray(rgb)
    return (image.convert(mode) if mode not in ("I;16", "I", "F") else image.convert("L").convert(mode)), suffix


@pytest.fixture(scope="module")
def fuzz_run(tmp_path_factory):
    """A run folder with a tiny generator (32 px, one step)."""
    from makeover.train import train

    return train(tiny_config(steps=1), tmp_path_factory.mktemp("fuzz-runs"), "fuzz")


@pytest.fixture(scope="module")
def editor(fuzz_run):
    return FaceEditor.load(fuzz_run)


def _check_image(editor, tmp_path, image_and_suffix):
    image, suffix = image_and_suffix
    path = tmp_path / f"photo.{suffix}"
    try:
        image.save(path)
    except (OSError, ValueError, KeyError):  # a mode this format cannot store: nothing to test
        return
    try:
        photo = read_image(path)
    except ImageReadError as e:
        assert "\n" not in str(e) and str(path) in str(e)
        return
    assert photo.rgb.shape[:2] == (image.height, image.width) and photo.rgb.dtype == np.uint8
    try:
        result = editor.edit(photo, np.ones(len(editor.conditioned), np.float32))
    except NoFaceError:
        return
    assert result.photo.rgb.shape == photo.rgb.shape


@fuzz_settings(FUZZ_EXAMPLES)
@given(image=images())
def test_any_image_size_and_mode_gives_no_face_or_an_edit(editor, tmp_path_factory, image):
    _check_image(editor, tmp_path_factory.mktemp("img"), image)


@pytest.mark.slow
@fuzz_settings(FUZZ_SLOW_EXAMPLES)
@given(image=images())
def test_any_image_size_and_mode_gives_no_face_or_an_edit_wide(editor, tmp_path_factory, image):
    _check_image(editor, tmp_path_factory.mktemp("img"), image)


class PlacedFace:
    """A detector stand-in that reports a face wherever the test put its landmarks."""

    def __init__(self, landmarks):
        self.landmarks = landmarks

    def detect(self, rgb):
        return [Face((0.0, 0.0, 10.0, 10.0), self.landmarks, 1.0)]


@st.composite
def placements(draw):
    """(photo shape, landmarks): faces a pixel wide to far larger than the photo, inside it, at its
    edge or wholly outside, at any angle."""
    h, w = draw(st.integers(1, 400)), draw(st.integers(1, 400))
    scale = draw(st.sampled_from([0.01, 0.1, 0.5, 1.0, 3.0, 20.0]))
    angle = draw(st.floats(-180, 180))
    cx, cy = draw(st.floats(-2 * w, 3 * w)), draw(st.floats(-2 * h, 3 * h))
    rot = cv2.getRotationMatrix2D((CROP_SIZE / 2, CROP_SIZE / 2), angle, scale)
    rot[:, 2] += (cx - CROP_SIZE / 2, cy - CROP_SIZE / 2)
    return (h, w), np.c_[template_points(), np.ones(5)] @ rot.T


def _check_placement(editor, placement):
    (h, w), landmarks = placement
    photo = read_image_like(np.random.default_rng(h * 1000 + w).integers(0, 256, (h, w, 3), np.uint8))
    placed = FaceEditor(editor.generator, {"attributes": list(editor.conditioned), "image_size": editor.size},
                        detector=PlacedFace(landmarks))
    result = placed.edit(photo, np.ones(len(editor.conditioned), np.float32))
    assert result.photo.rgb.shape == (h, w, 3)
    assert result.before.shape[1:] == (editor.size, editor.size, 3)


def read_image_like(rgb):
    from makeover.imageio import Photo

    return Photo(rgb, None)


@fuzz_settings(FUZZ_EXAMPLES * 3)
@given(placement=placements())
@example(placement=((1, 114), np.array([[280.0, -6], [397, -6], [340, 66], [286, 114], [391, 114]])))  # found by
def test_faces_of_any_size_and_place_are_aligned_and_pasted_back(editor, placement):  # the wide run: a large face off a 1-px photo
    _check_placement(editor, placement)


@pytest.mark.slow
@fuzz_settings(FUZZ_SLOW_EXAMPLES)
@given(placement=placements())
def test_faces_of_any_size_and_place_are_aligned_and_pasted_back_wide(editor, placement):
    _check_placement(editor, placement)


@pytest.mark.skipif(not (CELEBA_SAMPLE / "img_align_celeba").is_dir(), reason=f"no CelebA sample at {CELEBA_SAMPLE}")
@fuzz_settings(FUZZ_EXAMPLES)
@given(width=st.integers(8, 2000), aspect=st.sampled_from([0.05, 0.3, 1.0, 3.0, 20.0]))
def test_a_real_face_at_any_size_gives_no_face_or_an_edit(editor, width, aspect):
    """The real detector on a real face resized to extreme shapes: an edit of the photo's size, or no face."""
    face = read_image(sorted((CELEBA_SAMPLE / "img_align_celeba").glob("*.jpg"))[0]).rgb
    photo = read_image_like(cv2.resize(face, (width, max(1, round(width * aspect))), interpolation=cv2.INTER_AREA))
    try:
        result = editor.edit(photo, np.ones(len(editor.conditioned), np.float32))
    except NoFaceError:
        return
    assert result.photo.rgb.shape == photo.rgb.shape


# ------------------------------------------------------------------ hostile bytes

def gif_header(width, height):
    return b"GIF89a" + struct.pack("<HH", width, height) + b"\x80\x00\x00" + b"\0" * 6 + b";"


def bmp_header(width, height):
    return (b"BM" + struct.pack("<IHHI", 54, 0, 0, 54) + struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0,
                                                                       0, 0, 0, 0))


HEADERS = {"png": png_header, "gif": gif_header, "bmp": bmp_header}


@st.composite
def hostile_files(draw):
    """(bytes, suffix): random bytes, valid images cut short, headers claiming huge or odd sizes."""
    kind = draw(st.sampled_from(["random", "truncated", "header"]))
    if kind == "random":
        return draw(st.binary(max_size=2048)), draw(st.sampled_from(["jpg", "png", "gif", "bmp", "webp", "tiff"]))
    if kind == "truncated":
        suffix = draw(st.sampled_from(["jpg", "png", "webp", "bmp"]))
        ok, data = cv2.imencode(f".{suffix}", np.random.default_rng(0).integers(0, 255, (40, 30, 3), np.uint8))
        return data.tobytes()[:draw(st.integers(0, len(data) - 1))], suffix
    suffix = draw(st.sampled_from(sorted(HEADERS)))
    big = 2**31 - 1 if suffix == "png" else 2**15 - 1
    return HEADERS[suffix](draw(st.integers(0, big)), draw(st.integers(0, big))), suffix


def _check_hostile(tmp_path, data_and_suffix):
    data, suffix = data_and_suffix
    path = tmp_path / f"x.{suffix}"
    path.write_bytes(data)
    try:
        photo = read_image(path, max_pixels=20_000_000)
    except ImageReadError as e:
        assert "\n" not in str(e) and str(path) in str(e)
    else:
        assert photo.rgb.ndim == 3 and photo.rgb.shape[2] == 3 and photo.rgb.size <= 3 * 20_000_000
    assert path.read_bytes() == data


@fuzz_settings(FUZZ_EXAMPLES * 4)
@given(data=hostile_files())
def test_hostile_bytes_are_refused_in_one_line(tmp_path_factory, data):
    _check_hostile(tmp_path_factory.mktemp("bytes"), data)


@pytest.mark.slow
@fuzz_settings(FUZZ_SLOW_EXAMPLES * 4)
@given(data=hostile_files())
def test_hostile_bytes_are_refused_in_one_line_wide(tmp_path_factory, data):
    _check_hostile(tmp_path_factory.mktemp("bytes"), data)


# ------------------------------------------------------------------ text and --attrs

CONDITIONED = tuple(tiny_config()["data"]["attributes"])
attr_names = st.sampled_from(CONDITIONED + ("Wavy_Hair", "male", "Nope", "", "Smiling=1", "="))
attr_values = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr), st.text(max_size=4),
                        st.sampled_from(["1", "-1", "0", "0.5", "2", "-7", "nan", "inf", "1e999", ""]))
attrs_strings = st.one_of(st.text(max_size=60),
                          st.lists(st.tuples(attr_names, attr_values).map(lambda p: f"{p[0]}={p[1]}"), max_size=6)
                          .map(",".join),
                          st.lists(st.tuples(attr_names, attr_values).map(lambda p: f"{p[0]}:{p[1]}"), max_size=4)
                          .map(" ".join))


def _check_request(text, attrs):
    from makeover.attributes import AttributeError_
    from makeover.text import request_vector

    try:
        vector, report, _ = request_vector(text, attrs, CONDITIONED)
    except AttributeError_ as e:  # the one kind of error the CLI shows as a line
        assert str(e).strip()
        return
    assert vector.shape == (len(CONDITIONED),) and np.isfinite(vector).all() and np.abs(vector).max() <= 1
    assert isinstance(report, str)


@fuzz_settings(FUZZ_EXAMPLES * 10)
@given(text=st.one_of(st.none(), st.text(max_size=80)), attrs=st.one_of(st.none(), attrs_strings))
def test_any_text_and_attrs_give_a_request_or_one_clear_error(text, attrs):
    _check_request(text, attrs)


@pytest.mark.slow
@fuzz_settings(FUZZ_SLOW_EXAMPLES * 10)
@given(text=st.one_of(st.none(), st.text()), attrs=st.one_of(st.none(), attrs_strings))
def test_any_text_and_attrs_give_a_request_or_one_clear_error_wide(text, attrs):
    _check_request(text, attrs)


# ------------------------------------------------------------------ options out of range, every command

def out_of_range_cases():
    """(command, option, value) for every range-checked option of every command: just below and above."""
    import click

    cases = []
    for name, command in sorted(cli.commands.items()):
        for param in command.params:
            if not isinstance(param, click.Option) or not param.opts[0].startswith("--"):
                continue
            kind = param.type
            if isinstance(kind, (click.IntRange, click.FloatRange)):
                step = 1 if isinstance(kind, click.IntRange) else 0.5
                if kind.min is not None:
                    cases.append((name, param.opts[0], kind.min - step))
                if kind.max is not None:
                    cases.append((name, param.opts[0], kind.max + step))
                cases.append((name, param.opts[0], "many"))
            elif isinstance(kind, click.Choice):
                cases.append((name, param.opts[0], "no-such-choice"))
            elif kind in (click.INT, click.FLOAT):
                cases.append((name, param.opts[0], "1.5x"))
    return cases


ARGUMENTS = {"transform": ["photo.jpg"], "describe": ["photo.jpg"], "generate": ["a smiling woman"]}


@pytest.mark.parametrize("command,option,value", out_of_range_cases())
def test_options_out_of_range_are_one_line_usage_errors(tmp_path, command, option, value):
    (tmp_path / "photo.jpg").write_bytes(b"not read: the option is refused first")
    before = snapshot(tmp_path)
    with contextlib.chdir(tmp_path):
        code, text = run_cli("--run", command, *ARGUMENTS.get(command, []), option, value)
    assert code == 2, text  # click's usage error
    assert_one_line_error(code, text)
    assert option in text
    assert snapshot(tmp_path) == before


def test_every_command_has_range_cases():
    covered = {c for c, _, _ in out_of_range_cases()}
    assert {"train", "transform", "describe", "generate", "evaluate", "bench"} <= covered


# ------------------------------------------------------------------ model files

def _lambda_model(path, marker):
    """A model whose Lambda layer leaves `marker` behind whenever its code runs."""
    import keras

    def touch(x, marker=str(marker)):
        open(marker, "w").close()
        return x * 2

    inputs = keras.Input((4,), name="image")
    keras.Model(inputs, keras.layers.Lambda(touch)(inputs)).save(path)
    os.remove(marker)  # building the model ran it once, here


def _rezip(source, target, extra=None, drop=()):
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for item in zin.infolist():
            if item.filename not in drop:
                zout.writestr(item, zin.read(item.filename))
        for name, data in (extra or {}).items():
            zout.writestr(name, data)


@pytest.fixture(scope="module")
def bad_models(tmp_path_factory, editor):
    """name -> a model file no command should load: each must be refused in one line."""
    folder = tmp_path_factory.mktemp("models")
    good = folder / "good.keras"
    editor.generator.save(good)
    models = {"lambda": folder / "lambda.keras", "truncated": folder / "truncated.keras",
              "zip_slip": folder / "zip_slip.keras", "absolute": folder / "absolute.keras",
              "no_config": folder / "no_config.keras", "garbage": folder / "garbage.keras",
              "text_file": folder / "text_file.keras"}
    _lambda_model(models["lambda"], folder / "lambda-ran")
    models["truncated"].write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    _rezip(good, models["zip_slip"], {"../../outside.txt": b"x"})
    _rezip(good, models["absolute"], {"/tmp/outside.txt": b"x"})
    _rezip(good, models["no_config"], drop=("config.json",))
    models["garbage"].write_bytes(np.random.default_rng(0).bytes(5000))
    models["text_file"].write_text("not a model\n")
    return models


@pytest.mark.parametrize("bad", ["lambda", "truncated", "zip_slip", "absolute", "no_config", "garbage", "text_file"])
@pytest.mark.parametrize("command", ["transform", "describe", "generate"])
def test_broken_or_untrusted_model_files_are_refused_in_one_line(bad_models, tmp_path, bad, command):
    path = bad_models[bad]
    before = path.read_bytes()
    photo = tmp_path / "photo.png"
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(photo)
    args = {"transform": [photo, "--text", "smiling"], "describe": [photo], "generate": ["a smiling man"]}[command]
    with contextlib.chdir(tmp_path):
        code, text = run_cli("--run", command, *args, "--checkpoint", path)
    assert_one_line_error(code, text)
    assert str(path) in text
    assert path.read_bytes() == before
    assert not (Path("/tmp") / "outside.txt").exists() or bad != "absolute"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.png"]


def test_lambda_model_is_refused_without_running_it(bad_models, tmp_path):
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(tmp_path / "p.png")
    code, text = run_cli("--run", "transform", tmp_path / "p.png", "-t", "smiling", "--checkpoint", bad_models["lambda"])
    assert_one_line_error(code, text)
    assert "contains code" in text and "trust" in text
    assert not (bad_models["lambda"].parent / "lambda-ran").exists()


def test_a_model_of_another_kind_is_refused_in_one_line(editor, tmp_path):
    """A generator where a text path or classifier is expected, and the reverse."""
    editor.generator.save(tmp_path / "generator.keras")
    (tmp_path / "generator.json").write_text('{"attributes": ["Male"], "image_size": 32}')
    for command, args in (("generate", ["a man"]), ("describe", [tmp_path / "generator.keras"])):
        code, text = run_cli("--run", command, *args, "--checkpoint", tmp_path / "generator.keras")
        assert_one_line_error(code, text)
        assert "not a" in text and "model" in text
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(tmp_path / "p.png")
    code, text = run_cli("--run", "transform", tmp_path / "p.png", "-t", "man", "--checkpoint", tmp_path)
    assert_one_line_error(code, text)
    assert "attributes" in text  # its metadata names 1 attribute, the model takes 16


# ------------------------------------------------------------------ batches that mix good and bad

def test_a_batch_edits_the_good_counts_the_bad_and_writes_only_to_out(fuzz_run, tmp_path, monkeypatch):
    from test_photos import _placed_face

    photo, _, landmarks = _placed_face()
    src = tmp_path / "in"
    src.mkdir()
    cv2.imwrite(str(src / "good.png"), photo[..., ::-1])
    cv2.imwrite(str(src / "good2.jpg"), photo[..., ::-1])
    (src / "empty.jpg").write_bytes(b"")
    (src / "random.png").write_bytes(np.random.default_rng(1).bytes(300))
    (src / "huge.png").write_bytes(png_header(100_000, 100_000))
    (src / "sliver.png").write_bytes(cv2.imencode(".png", np.zeros((3, 20000, 3), np.uint8))[1].tobytes())
    (src / "loop_a.jpg").symlink_to("loop_b.jpg")
    (src / "loop_b.jpg").symlink_to("loop_a.jpg")
    (src / "broken.jpg").symlink_to("missing.jpg")
    (src / "folder.jpg").mkdir()
    (src / "notes.txt").write_text("not an image; not listed")
    before = snapshot(src)
    known = landmarks

    class Detector:
        def detect(self, rgb):  # the synthetic face where we put it; nothing in other photos
            return [Face((0.0, 0.0, 10.0, 10.0), known, 1.0)] if rgb.shape == photo.shape else []

    monkeypatch.setattr("makeover.edit.FaceDetector", Detector)
    with contextlib.chdir(tmp_path):
        code, text = run_cli("--run", "transform", "in", "--text", "smiling", "--checkpoint",
                             fuzz_run, "--out", "out")
    assert code == 1, text
    assert "Traceback" not in text and INTERNAL_ERROR not in text, text
    assert "9 photos: 2 done, 1 with no face, 6 unreadable, 0 failed" in text, text
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["good2_makeover.jpg", "good_makeover.png"]
    assert snapshot(src) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]


@pytest.mark.parametrize("problem", ["loop", "broken", "folder", "missing"])
@pytest.mark.parametrize("command", ["transform", "describe"])
def test_path_problems_give_one_line(tmp_path, fuzz_run, problem, command):
    path = tmp_path / "photo.jpg"
    if problem == "loop":
        (tmp_path / "other.jpg").symlink_to(path)
        path.symlink_to(tmp_path / "other.jpg")
    elif problem == "broken":
        path.symlink_to(tmp_path / "nowhere.jpg")
    elif problem == "folder":
        path.mkdir()
        (path / "inner.txt").write_text("no images here")
    # describe uses the shipped classifier (the tiny run has none)
    extra = ["-t", "smiling", "--checkpoint", fuzz_run] if command == "transform" else []
    code, text = run_cli("--run", command, path, *extra)
    assert_one_line_error(code, text)
    assert str(path) in text or "INPUTS" in text


# ------------------------------------------------------------------ training inputs

def _celeba(root, rows=12, images=True):
    from test_celeba import write_celeba

    names = [f"{i:06d}.jpg" for i in range(1, rows + 1)]
    return write_celeba(root, [(n, {"Male": i % 2}) for i, n in enumerate(names)], images=images)


def _corrupt(root, how):
    labels = root / "list_attr_celeba.txt"
    lines = labels.read_text().splitlines()
    if how == "row_count":
        lines[0] = "99"
    elif how == "non_numeric":
        lines[4] = lines[4].replace("-1", "x", 1)
    elif how == "value_two":
        lines[5] = lines[5].replace("-1", " 2", 1)
    elif how == "short_row":
        lines[3] = lines[3].rsplit(" ", 3)[0]
    elif how == "huge_count":
        lines[0] = str(10**15)
    elif how == "binary":
        labels.write_bytes(b"12\n" + np.random.default_rng(0).bytes(400))
        return
    elif how == "partition":
        (root / "list_eval_partition.txt").write_text("000001.jpg zero\n")
    elif how == "all_images_missing":
        for p in (root / "img_align_celeba").iterdir():
            p.unlink()
    labels.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("how", ["row_count", "non_numeric", "value_two", "short_row", "huge_count", "binary",
                                 "partition", "all_images_missing"])
def test_corrupt_data_sets_give_one_line_and_no_run_folder(tmp_path, how):
    root = _celeba(tmp_path / "data")
    _corrupt(root, how)
    labels = snapshot(root)
    code, text = run_cli("--run", "train", "--dataset", root, "--out", tmp_path / "runs", "--image-size", "32",
                         "--steps", "1", "--batch-size", "2")
    assert_one_line_error(code, text)
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
    assert snapshot(root) == labels


@pytest.mark.parametrize("toml,expected", [
    ("[train]\nstep = 10\n", "unknown config key 'train.step'"),
    ("[train]\nsteps = \"ten\"\n", "'train.steps' must be an integer"),
    ("[loss]\ncycle = true\n", "'loss.cycle' must be a number"),
    ("[data]\nattributes = \"Male\"\n", "'data.attributes' must be a list"),
    ("[train\nsteps = 1\n", "config"),
    ("[generator]\nblocks = 2.5\n", "'generator.blocks' must be an integer"),
])
def test_bad_configs_give_one_line_and_no_run_folder(tmp_path, toml, expected):
    (tmp_path / "bad.toml").write_text(toml)
    code, text = run_cli("--run", "train", "--config", tmp_path / "bad.toml", "--out", tmp_path / "runs")
    assert_one_line_error(code, text)
    assert expected in text
    assert not (tmp_path / "runs").exists()


def test_resume_skips_a_truncated_checkpoint_and_refuses_when_none_is_left(tmp_path, caplog):
    from makeover.train import train

    caplog.set_level(logging.INFO)
    run = train(tiny_config(steps=4), tmp_path, "r")
    newest = run / "checkpoints" / "ckpt-0000004.weights.h5"
    newest.write_bytes(newest.read_bytes()[:4000])
    code, text = run_cli("--run", "train", "--resume", run, "--steps", "6")
    assert code == 0, text
    assert "ckpt-0000004.weights.h5: unreadable checkpoint" in caplog.text and "skipped" in caplog.text
    assert "resumed from ckpt-0000002" in caplog.text
    for path in (run / "checkpoints").glob("*.weights.h5"):
        path.write_bytes(path.read_bytes()[:4000])
    code, text = run_cli("--run", "train", "--resume", run, "--steps", "8")
    assert_one_line_error(code, text)
    assert "none of its" in text


def test_a_damaged_run_config_is_one_line(tmp_path):
    run = tmp_path / "00000-x"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.json").write_text("{not json")
    code, text = run_cli("--run", "train", "--resume", run)
    assert_one_line_error(code, text)
    assert "damaged run config" in text
