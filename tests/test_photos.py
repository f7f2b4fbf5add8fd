"""Photos: safe reading, alignment round trip, paste-back, and `transform` / `describe` end to end."""

import cv2
import numpy as np
import pytest
from PIL import Image

from conftest import SHARED, png_header
from makeover.cli import main
from makeover.data.synthetic import SyntheticFaces
from makeover.edit import FaceEditor, output_path
from makeover.faces import CROP_SIZE, Face, alignment, crop_face, feather_mask, paste_edit, template_points
from makeover.imageio import ImageReadError, Photo, read_image, write_image

WILD = SHARED / "celeba_wild_dev" / "img_celeba"


# ------------------------------------------------------------------ reading

def _png_with_header(path, width, height):
    """A PNG whose header claims width x height but that holds almost no data."""
    path.write_bytes(png_header(width, height))


@pytest.mark.parametrize("kind", ["truncated", "zero_bytes", "not_an_image", "huge", "missing"])
def test_hostile_files_give_one_line_errors(tmp_path, kind):
    path = tmp_path / "photo.jpg"
    if kind == "truncated":
        ok, data = cv2.imencode(".jpg", np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8))
        path.write_bytes(data.tobytes()[:400])
    elif kind == "zero_bytes":
        path.write_bytes(b"")
    elif kind == "not_an_image":
        path.write_text("just some text, not a photo\n")
    elif kind == "huge":
        path = tmp_path / "bomb.png"
        _png_with_header(path, 50_000, 50_000)
    with pytest.raises(ImageReadError) as e:
        read_image(path)
    message = str(e.value)
    assert "\n" not in message and str(path) in message
    if kind == "huge":
        assert "megapixels" in message


def test_reads_every_common_kind_of_image(tmp_path):
    rgb = np.random.default_rng(1).integers(0, 255, (20, 40, 3), np.uint8)
    cases = {}
    Image.fromarray(rgb).convert("L").save(tmp_path / "gray.png")
    cases["gray.png"] = (20, 40, None)
    Image.fromarray(np.dstack([rgb, np.full((20, 40), 128, np.uint8)])).save(tmp_path / "alpha.png")
    cases["alpha.png"] = (20, 40, 128)
    Image.fromarray((rgb[..., 0].astype(np.uint16) * 257)).save(tmp_path / "sixteen.png")
    cases["sixteen.png"] = (20, 40, None)
    Image.fromarray(rgb).convert("CMYK").save(tmp_path / "cmyk.jpg")
    cases["cmyk.jpg"] = (20, 40, None)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees: the upright image is 40 tall, 20 wide
    Image.fromarray(rgb).save(tmp_path / "rotated.jpg", exif=exif)
    cases["rotated.jpg"] = (40, 20, None)
    Image.fromarray(rgb).save(tmp_path / "ünïcode 照片.png")
    cases["ünïcode 照片.png"] = (20, 40, None)
    for name, (h, w, alpha) in cases.items():
        photo = read_image(tmp_path / name)
        assert photo.rgb.shape == (h, w, 3) and photo.rgb.dtype == np.uint8, name
        assert (photo.alpha is None) == (alpha is None), name
    sixteen = read_image(tmp_path / "sixteen.png").rgb[..., 0]
    assert np.abs(sixteen.astype(int) - rgb[..., 0]).max() <= 1
    unicode_copy = read_image(tmp_path / "ünïcode 照片.png").rgb
    np.testing.assert_array_equal(unicode_copy, rgb)
    assert read_image(tmp_path / "gray.png", max_pixels=800).rgb.shape == (20, 40, 3)
    with pytest.raises(ImageReadError, match="megapixels"):
        read_image(tmp_path / "gray.png", max_pixels=799)


def test_write_keeps_alpha_where_the_format_has_it(tmp_path):
    rgb = np.zeros((8, 8, 3), np.uint8)
    alpha = np.full((8, 8), 77, np.uint8)
    write_image(tmp_path / "a.png", Photo(rgb, alpha))
    assert read_image(tmp_path / "a.png").alpha[0, 0] == 77
    write_image(tmp_path / "a.jpg", Photo(rgb, alpha))
    assert read_image(tmp_path / "a.jpg").alpha is None


def test_output_never_overwrites_the_input(tmp_path):
    src = tmp_path / "me.jpg"
    assert output_path(src, None, "_makeover", False) == tmp_path / "me_makeover.jpg"
    assert output_path(src, tmp_path / "out", "_x", True) == tmp_path / "out" / "me_x.jpg"
    assert output_path(src, tmp_path / "result.png", "_x", False) == tmp_path / "result.png"
    with pytest.raises(ValueError, match="overwrite"):
        output_path(src, None, "", False)
    with pytest.raises(ValueError, match="overwrite"):
        output_path(src, src, "_x", False)


# ------------------------------------------------------------------ alignment

def _placed_face(angle=12.0, scale=2.6, shift=(230.0, 140.0), canvas=(480, 720)):
    """A synthetic face crop placed into a larger photo by a known similarity transform."""
    crop = SyntheticFaces(4, seed=3).image(1, CROP_SIZE)
    rot = cv2.getRotationMatrix2D((0, 0), angle, scale)
    rot[:, 2] = shift
    photo = cv2.warpAffine(crop, rot, canvas[::-1], flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT_101)
    landmarks = np.c_[template_points(), np.ones(5)] @ rot.T
    return photo, crop, landmarks


def test_align_then_unalign_round_trip():
    photo, crop, landmarks = _placed_face()
    matrix = alignment(landmarks)
    aligned = crop_face(photo, matrix, CROP_SIZE)
    inner = slice(8, -8)  # the borders were filled by reflection in the photo
    err = np.abs(aligned[inner, inner].astype(float) - crop[inner, inner]).mean()
    assert err < 3.0, err
    np.testing.assert_allclose(cv2.transform(landmarks[None, :, :2], matrix)[0], template_points(), atol=1e-3)
    # An edit of +40 in the crop lands on the face in the photo and nowhere far from it.
    before = crop_face(photo, matrix, 64)
    after = np.clip(before.astype(int) + 40, 0, 255).astype(np.uint8)
    pasted = paste_edit(photo, matrix, before, after)
    nose = np.round(landmarks[2]).astype(int)
    gain = pasted.astype(int) - photo
    assert gain[nose[1], nose[0]].min() >= 30
    assert np.abs(gain[:20, :20]).max() == 0 and np.abs(gain[-20:, -20:]).max() == 0
    # Feathered: no step at the edge of the crop, and an oval, not a box (the corners stay untouched).
    m = feather_mask(CROP_SIZE)
    mid, corner = CROP_SIZE // 2, round(0.15 * CROP_SIZE)
    assert m[mid, mid] == pytest.approx(1.0) and m[0, mid] == 0.0 and m[corner, corner] < 0.01
    assert max(np.abs(np.diff(m, axis=a)).max() for a in (0, 1)) < 0.1


class KnownFace:
    """A detector stand-in for photos whose face placement we built ourselves."""

    def __init__(self, landmarks):
        self.landmarks = landmarks

    def detect(self, rgb):
        return [Face((0.0, 0.0, 10.0, 10.0), self.landmarks, 1.0)]


def test_identity_generator_leaves_the_photo_untouched(tiny_run):
    from makeover.inference import load_generator
    from makeover.models.networks import GeneratorSpec, build_generator

    photo, _, landmarks = _placed_face()
    _, meta = load_generator(tiny_run)
    identity = build_generator(GeneratorSpec(image_size=meta["image_size"], num_attributes=len(meta["attributes"]),
                                             base_channels=4, blocks=2))
    editor = FaceEditor(identity, meta, detector=KnownFace(landmarks))
    result = editor.edit(Photo(photo, None), np.eye(len(meta["attributes"]))[0])
    np.testing.assert_array_equal(result.photo.rgb, photo)


class ShiftedGenerator:
    """G(x, c) = x + 0.2 (a cast G adds whatever it is asked) + 0.1 c[0] (the edit)."""
    inputs = [np.zeros((1, 8, 8, 3))]

    def __call__(self, inputs, training=False):
        x, c = inputs
        return np.clip(x + 0.2 + 0.1 * c[:, :1, None, None], -1, 1)


def test_residual_edits_keep_the_change_and_drop_the_cast():
    meta = {"attributes": ["Male", "Smiling"], "image_size": 8}
    crops = np.full((2, 8, 8, 3), 100, np.uint8)
    residual = FaceEditor(ShiftedGenerator(), meta, detector=object())
    direct = FaceEditor(ShiftedGenerator(), meta, detector=object(), residual=False)
    np.testing.assert_array_equal(residual.edit_crops(crops, np.zeros(2)), crops)   # asked for nothing
    assert np.abs(residual.edit_crops(crops, np.array([1.0, 0.0])).astype(int) - (100 + 13)).max() <= 1
    assert np.abs(direct.edit_crops(crops, np.array([1.0, 0.0])).astype(int) - (100 + 38)).max() <= 1
    np.testing.assert_array_equal(residual.generate_crops(crops, np.zeros(2)), direct.edit_crops(crops, np.zeros(2)))


def test_residual_edits_of_the_same_faces_run_g_unedited_once():
    """evaluate edits one batch of faces once per attribute: G(x, 0) is kept, not recomputed."""
    calls = []

    class Counting(ShiftedGenerator):
        def __call__(self, inputs, training=False):
            calls.append(np.abs(inputs[1]).sum())
            return super().__call__(inputs, training)

    editor = FaceEditor(Counting(), {"attributes": ["Male", "Smiling"], "image_size": 8}, detector=object())
    crops = np.full((2, 8, 8, 3), 100, np.uint8)
    first = editor.edit_crops(crops, np.array([1.0, 0.0]))
    np.testing.assert_array_equal(editor.edit_crops(crops.copy(), np.array([1.0, 0.0])), first)
    editor.edit_crops(crops, np.array([0.0, 1.0]))
    assert [c == 0 for c in calls] == [False, True, False, False]
    editor.edit_crops(crops + 1, np.array([1.0, 0.0]))  # other faces: G(x, 0) again
    assert [c == 0 for c in calls[4:]] == [False, True]


def test_cli_transform_end_to_end(tiny_run, tmp_path, monkeypatch):
    photo, _, landmarks = _placed_face()
    src = tmp_path / "in"
    src.mkdir()
    cv2.imwrite(str(src / "a.png"), photo[..., ::-1])
    cv2.imwrite(str(src / "b.jpg"), photo[..., ::-1])
    (src / "c.jpg").write_bytes(b"")
    monkeypatch.setattr("makeover.edit.FaceDetector", lambda: KnownFace(landmarks))
    with pytest.raises(SystemExit) as done:
        main(["--run", "transform", str(src), "--text", "smiling, no glasses", "--checkpoint", str(tiny_run),
              "--out", str(tmp_path / "out"), "--side-by-side"])
    assert done.value.code == 1  # c.jpg is unreadable
    a = read_image(tmp_path / "out" / "a_makeover.png").rgb
    assert a.shape == (photo.shape[0], 2 * photo.shape[1] + 8, 3)
    with pytest.raises(SystemExit) as done:
        main(["--run", "transform", str(src / "a.png"), "--attrs", "Male=-1", "--checkpoint", str(tiny_run)])
    assert done.value.code == 0
    assert read_image(src / "a_makeover.png").rgb.shape == photo.shape
    with pytest.raises(SystemExit) as done:
        main(["--run", "transform", str(src / "a.png"), "--text", "purple", "--checkpoint", str(tiny_run)])
    assert done.value.code == 1


@pytest.mark.skipif(not WILD.is_dir(), reason=f"wild photos not present at {WILD}")
def test_real_photos_are_found_and_aligned():
    from makeover.faces import FaceDetector

    files = sorted(WILD.glob("*.jpg"))[:6]
    detector = FaceDetector()
    found = 0
    for path in files:
        faces = detector.detect(read_image(path).rgb)
        if faces:
            found += 1
            eyes = cv2.transform(faces[0].landmarks[None, :2], alignment(faces[0].landmarks))[0]
            assert np.abs(eyes - template_points()[:2]).max() < 12  # px in the 148 px crop
    assert found >= 5
