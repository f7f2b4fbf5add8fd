"""Evaluation metrics against hand-computed values on constructed cases."""

import numpy as np
import pytest

from makeover.attributes import DEFAULT_CONDITIONED as C
from makeover.evaluate import (_direction_table, edit_metrics, edit_texture, flip_targets, kid, mean_pairwise_l1, psnr, ssim,
                               strength_sweep, text_metrics)


def test_psnr_of_a_known_perturbation():
    a = np.full((2, 8, 8, 3), 100, np.uint8)
    b = a + np.array([5, 0], np.uint8)[:, None, None, None]
    p = psnr(b, a)
    assert p[0] == pytest.approx(20 * np.log10(255 / 5)) and np.isinf(p[1])


def test_ssim_identical_is_one_and_noise_lowers_it():
    a = np.random.default_rng(0).integers(0, 255, (2, 32, 32, 3)).astype(np.uint8)
    assert ssim(a, a) == pytest.approx([1.0, 1.0], abs=1e-5)
    noisy = np.clip(a + np.random.default_rng(1).normal(0, 40, a.shape), 0, 255).astype(np.uint8)
    assert (ssim(a, noisy) < 0.9).all()


def test_kid_matches_the_formula_written_out():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(4, 3)), rng.normal(1.0, 1.0, size=(5, 3))

    def k(a, b):
        return (a @ b / 3 + 1) ** 3

    xx = sum(k(x[i], x[j]) for i in range(4) for j in range(4) if i != j) / 12
    yy = sum(k(y[i], y[j]) for i in range(5) for j in range(5) if i != j) / 20
    xy = sum(k(x[i], y[j]) for i in range(4) for j in range(5)) / 20
    assert kid(x, y) == pytest.approx(xx + yy - 2 * xy)


def test_mean_pairwise_l1():
    images = np.stack([np.zeros((2, 2, 3)), np.full((2, 2, 3), 10), np.full((2, 2, 3), 30)]).astype(np.uint8)
    assert mean_pairwise_l1(images) == pytest.approx((10 + 30 + 20) / 3)


def test_flip_targets_follow_the_conflict_rules():
    labels = -np.ones((1, len(C)), np.float32)
    c = flip_targets(labels, C.index("Blond_Hair"), C)[0]
    assert c[C.index("Blond_Hair")] == 1 and c[C.index("Black_Hair")] == -1 and c[C.index("Bald")] == -1
    assert c[C.index("Smiling")] == 0


class FixedJudge:
    """A judge that reads attribute k's sign from pixel (0, k)'s red channel (> 127 = present)."""

    names = C
    size = 8

    def signs(self, images):
        return np.where(images[:, 0, :len(C), 0] > 127, 1, -1)

    def embed(self, images):
        return images[:, 0, :len(C), 0].astype(np.float64) / 255.0


def test_identity_edit_success_is_the_judges_error_rate():
    rng = np.random.default_rng(0)
    labels = rng.choice([-1.0, 1.0], (10, len(C))).astype(np.float32)
    images = np.zeros((10, 8, 32, 3), np.uint8)
    images[:, 0, :len(C), 0] = np.where(labels > 0, 200, 50)
    images[:3, 0, C.index("Male"), 0] = np.where(labels[:3, C.index("Male")] > 0, 50, 200)  # 3 judged wrong
    m = edit_metrics(lambda x, c: x, images, labels, C, FixedJudge())
    assert m["per_attribute"]["Male"]["success"] == pytest.approx(0.3)
    assert m["per_attribute"]["Smiling"]["success"] == 0.0
    assert m["mean_preserved"] == 1.0 and m["per_attribute"]["Male"]["mean_abs_change"] == 0.0

    def perfect(x, c):  # writes the requested value into the judged pixel
        out = x.copy()
        out[:, 0, :len(C), 0] = np.where(c > 0, 200, np.where(c < 0, 50, x[:, 0, :len(C), 0]))
        return out
    m = edit_metrics(perfect, images, labels, C, FixedJudge())
    assert m["mean_success"] == 1.0 and m["mean_preserved"] == pytest.approx(1.0, abs=0.02)


def test_strength_scales_the_request_the_editor_sees():
    rng = np.random.default_rng(1)
    labels = rng.choice([-1.0, 1.0], (6, len(C))).astype(np.float32)
    images = np.zeros((6, 8, 32, 3), np.uint8)
    images[:, 0, :len(C), 0] = np.where(labels > 0, 200, 50)

    def timid(x, c):  # edits only requests of magnitude 2 or more
        out = x.copy()
        out[:, 0, :len(C), 0] = np.where(c >= 2, 200, np.where(c <= -2, 50, x[:, 0, :len(C), 0]))
        return out
    rows = strength_sweep(timid, images, labels, C, FixedJudge(), (1.0, 2.5))
    assert [r["strength"] for r in rows] == [1.0, 2.5]
    assert rows[0]["mean_success"] == 0.0 and rows[0]["mean_abs_change"] == 0.0
    assert rows[1]["mean_success"] == 1.0 and rows[1]["mean_abs_change"] > 0


class BlockJudge:
    """Reads attribute k in the 8x8 block k of a 16x(8*len(C)) image: present when the block is bright
    on average, or (as a classifier a guide fooled does) when it carries a strong fine texture."""

    names = C
    size = 16

    def signs(self, images):
        blocks = images[:, 4:12, :8 * len(C), 0].astype(np.float32).reshape(len(images), 8, len(C), 8)
        return np.where((blocks.mean(axis=(1, 3)) > 150) | (blocks.std(axis=(1, 3)) > 60), 1, -1)


def test_success_at_a_smaller_scale_tells_a_texture_from_a_shape():
    labels = -np.ones((4, len(C)), np.float32)
    images = np.zeros((4, 16, 8 * len(C), 3), np.uint8)
    k = C.index("Eyeglasses")

    def painted(pattern):
        def edit(x, c):
            out = x.copy()
            out[:, 4:12, 8 * k:8 * k + 8, 0] = np.where(c[:, k:k + 1, None] > 0, pattern, 0)
            return out
        return edit

    block = np.full((8, 8), 255, np.uint8)
    dots = np.where((np.add.outer(np.arange(8), np.arange(8)) % 2) == 0, 255, 0).astype(np.uint8)  # mean 127, std 127
    for edit, kept in ((painted(block), True), (painted(dots), False)):
        m = edit_metrics(edit, images, labels, C, BlockJudge())["per_attribute"]["Eyeglasses"]
        assert m["success"] == 1.0
        assert (m["success_rescaled"] == 1.0) if kept else (m["success_rescaled"] == 0.0), m
        assert (m["success_lowpass"] == 1.0) if kept else (m["success_lowpass"] == 0.0), m  # the headline's judge
        assert m["lowpass"]["on"] == {"share": m["success_lowpass"], "asked": 4} and m["lowpass"]["off"]["asked"] == 0


def test_the_texture_proof_headline_averages_the_low_pass_successes_by_direction():
    per = {"Male": {"success_lowpass": 1.0, "lowpass": {"on": {"share": 1.0, "asked": 3}, "off": {"share": None, "asked": 0}}},
           "Smiling": {"success_lowpass": 0.5, "lowpass": {"on": {"share": 0.0, "asked": 1}, "off": {"share": 1.0, "asked": 1}}},
           "Bald": {"success_lowpass": 0.0, "lowpass": {"on": {"share": 0.0, "asked": 9}, "off": {"share": None, "asked": 0}}}}
    from makeover.evaluate import HEADLINE, _direction_means

    assert "Bald" not in HEADLINE
    assert _direction_means(per, HEADLINE) == {"on": 0.75, "off": 1.0}


def test_edit_texture_tells_a_repeated_dot_pattern_from_a_solid_change():
    images = np.full((2, 32, 32, 3), 100, np.uint8)
    yy, xx = np.mgrid[:32, :32]
    solid, dots = images.copy(), images.copy()
    solid[:, 8:24, 4:28] = 160                                           # a recoloured region
    dots[:, 8:16] = np.where(((yy % 4 == 0) & (xx % 4 == 1))[8:16, :, None], 250, 100)   # a dot band
    assert edit_texture(images, images) == 0.0                          # no change, no texture
    assert edit_texture(solid, images) == pytest.approx(0.0, abs=1e-6)
    # one dot in 16 pixels: its phase is 15/16 of it above the mean, the 15 others 1/16 below,
    # over 16 phases; divided by the mean change (1/16 of the dot): 2 * 15/16 = 1.875
    assert edit_texture(dots, images) == pytest.approx(2 * 15 / 16, rel=1e-4)
    faint = images.copy()
    faint[0, 0, 0, 0] += 1                                             # one grey level in one pixel: rounding
    assert edit_texture(faint, images) is None


def test_success_by_direction_tells_adding_from_removing():
    rng = np.random.default_rng(2)
    labels = rng.choice([-1.0, 1.0], (12, len(C))).astype(np.float32)
    images = np.zeros((12, 8, 32, 3), np.uint8)
    images[:, 0, :len(C), 0] = np.where(labels > 0, 200, 50)

    def adds_only(x, c):  # turns attributes on, never off
        out = x.copy()
        out[:, 0, :len(C), 0] = np.where(c > 0, 200, x[:, 0, :len(C), 0])
        return out
    m = edit_metrics(adds_only, images, labels, C, FixedJudge())["per_attribute"]["Male"]
    absent = int((labels[:, C.index("Male")] < 0).sum())
    assert m["on"] == {"share": 1.0, "asked": absent} and m["off"] == {"share": 0.0, "asked": 12 - absent}
    assert m["success"] == pytest.approx(absent / 12)
    table = "\n".join(_direction_table({"makeover": {"model": {"per_attribute": {"Male": m}}}}))
    assert f"| Male | 1.000 ({absent}) | 0.000 ({12 - absent}) |" in table


def test_warnings_only_for_requests_met_seldom_over_enough_faces():
    from makeover.inference import weak_requests

    per = {"Gray_Hair": {"on": {"share": 0.2, "asked": 400}, "off": {"share": 0.9, "asked": 100}},
           "Bald": {"on": {"share": 0.0, "asked": 490}, "off": {"share": 0.1, "asked": 10}}}
    names = ("Gray_Hair", "Bald", "Smiling")
    assert weak_requests(per, [1, 0, 1], names) == [
        "warning: Gray_Hair on: of 400 test faces this model edited so, the evaluation classifier saw it in "
        "only 20% (its MODEL_CARD.md, 'By direction')"]
    assert weak_requests(per, [-1, -1, -1], names) == []  # met often; too few faces; not measured
    assert len(weak_requests(per, [0.5, 2, 0], names)) == 2  # any strength asks the same way
    assert weak_requests(None, [1, 1, 1], names) == []


def test_what_a_face_hides_is_invisible_and_all_an_edit_may_draw_anew():
    """synthetic.hidden_fields: redrawing any one of them leaves the face as it was, pixel for pixel;
    a counterfactual that reveals none of them (a smile, lipstick, age) is drawn exactly by
    plausible_image, and one that does (glasses put on) is not."""
    from dataclasses import replace

    from makeover.data.synthetic import SyntheticFaces, _identity, draw_face, hidden_fields

    faces = SyntheticFaces(48, seed=2)
    for i in range(48):
        seen, seed = faces.attributes_of(i), faces._seed(i)
        other = _identity(seed + 10**7)
        for name in hidden_fields(seen):
            redrawn = draw_face(replace(_identity(seed), **{name: getattr(other, name)}), seen, 64)
            assert np.array_equal(redrawn, faces.image(i, 64)), (i, name)
        for name in ("Smiling", "Wearing_Lipstick", "Young"):
            ask = {name: -seen[name]}
            assert np.array_equal(faces.plausible_image(i, 32, ask, 0), faces.image(i, 32, ask)), (i, name)
    bare = next(i for i in range(48) if faces.attributes_of(i)["Eyeglasses"] < 0)
    ask = {"Eyeglasses": 1}
    assert not np.array_equal(faces.plausible_image(bare, 32, ask, 0), faces.image(bare, 32, ask))


def test_the_counterfactual_ceiling_is_exact_where_nothing_is_hidden_and_lower_for_hats():
    from makeover.data.synthetic import DRAWN_ATTRIBUTES, SyntheticFaces
    from makeover.evaluate import counterfactual_ceiling, counterfactual_metrics

    faces = SyntheticFaces(16, seed=2)
    ceiling = counterfactual_ceiling(faces, range(16), 32, DRAWN_ATTRIBUTES)["per_attribute"]
    identity = counterfactual_metrics(lambda x, c: x, faces, range(16), 32, DRAWN_ATTRIBUTES)["per_attribute"]
    assert ceiling["Smiling"]["psnr"] == 100.0 and ceiling["Smiling"]["l1"] == 0.0
    assert identity["Wearing_Hat"]["psnr"] < ceiling["Wearing_Hat"]["psnr"] < 40


def test_evaluation_never_measures_on_the_train_split(tmp_path):
    from makeover.evaluate import run_evaluation

    with pytest.raises(ValueError, match="unknown split 'train'"):
        run_evaluation("no-such-model", None, "synthetic", tmp_path, 8, split="train")
    assert not any(tmp_path.iterdir())  # refused before writing anything


def test_val_and_test_faces_are_different_identities():
    from makeover.data.pipeline import open_source
    from makeover.evaluate import load_test_faces

    names = ("Male", "Smiling")
    val, test = (load_test_faces(open_source("synthetic", split, 64), names, 32, 8)[0] for split in ("val", "test"))
    assert val.shape == test.shape and not any((v == t).all() for v in val for t in test)


class PixelTextPath:
    """Writes each request into the judged pixels; what the request leaves open is random per seed and
    row, or, when collapsed, the same for every seed (one face per prompt)."""

    conditioned = C

    def __init__(self, collapsed: bool):
        self.collapsed = collapsed

    def faces(self, requests, seed):
        rng = np.random.default_rng(0 if self.collapsed else seed)
        open_ = rng.choice([50, 200], requests.shape)
        if self.collapsed:
            open_[:] = 50
        out = np.zeros((len(requests), 8, 32, 3), np.uint8)
        out[:, 0, :len(C), 0] = np.where(requests > 0, 200, np.where(requests < 0, 50, open_))
        return out


def test_text_diversity_is_measured_against_real_faces_that_show_the_same_requests():
    rng = np.random.default_rng(3)
    labels = rng.choice([-1.0, 1.0], (1000, len(C))).astype(np.float32)
    real = np.zeros((1000, 8, 32, 3), np.uint8)
    real[:, 0, :len(C), 0] = np.where(labels > 0, 200, 50)
    diverse = text_metrics(PixelTextPath(False), FixedJudge(), real, labels)
    collapsed = text_metrics(PixelTextPath(True), FixedJudge(), real, labels)
    assert diverse["requested_present"] == collapsed["requested_present"] == 1.0
    assert diverse["diversity_real_request_agreement"] > 0.9
    assert 0.7 < diverse["diversity_ratio_to_real"] < 1.4
    assert collapsed["diversity_ratio_to_real"] == 0.0


def test_text_metrics_count_different_people_with_a_recogniser_and_a_collapsed_path_shows_one():
    from makeover.identity import IdentityJudge

    class PixelRecogniser(IdentityJudge):
        def embed(self, images):  # one "person" per pixel pattern
            return images.reshape(len(images), -1).astype(np.float32) / 100.0

    rng = np.random.default_rng(3)
    labels = rng.choice([-1.0, 1.0], (200, len(C))).astype(np.float32)
    real = rng.integers(0, 255, (200, 8, 32, 3), dtype=np.uint8)
    collapsed = text_metrics(PixelTextPath(True), FixedJudge(), real, labels, recogniser=PixelRecogniser())
    diverse = text_metrics(PixelTextPath(False), FixedJudge(), real, labels, recogniser=PixelRecogniser())
    assert collapsed["people"] == {"distance": 0.0, "different_people": 0.0}
    assert diverse["people"]["different_people"] > 0.5
    assert collapsed["people_real_baseline"]["different_people"] == 1.0
    assert "people" not in text_metrics(PixelTextPath(False), FixedJudge(), real, labels)


@pytest.mark.parametrize("size", [32, 64])
def test_eye_band_darkens_both_eyes_and_leaves_the_mouth_and_hair(size):
    from makeover.data.template import LANDMARKS
    from makeover.evaluate import eye_band

    faces = np.full((2, size, size, 3), 200, np.uint8)
    banded = eye_band(faces)
    for name in ("left_eye", "right_eye"):
        x, y = (int(v * size) for v in LANDMARKS[name])
        assert (banded[:, y, x] == 80).all()
    for name in ("mouth_left", "mouth_right", "nose"):
        x, y = (int(v * size) for v in LANDMARKS[name])
        assert (banded[:, y, x] == 200).all()
    assert (banded[:, :size // 4] == 200).all()


def test_shortcut_baseline_is_what_the_judge_reads_as_glasses_on_a_band_of_faces_without_them():
    from makeover.evaluate import shortcut_baseline

    class EyeDarknessJudge:   # reads glasses wherever the eyes' row is dark
        names = ("Eyeglasses",)

        def signs(self, images):
            return np.where(images[:, 31, 23:41].mean((1, 2)) < 120, 1, -1)[:, None]

    faces = np.full((5, 64, 64, 3), 200, np.uint8)
    labels = np.array([[-1], [-1], [-1], [1], [1]], np.float32)   # three without glasses
    band = shortcut_baseline(faces, labels, ("Eyeglasses",), EyeDarknessJudge())["Eyeglasses"]
    assert band == {"faces": 3, "success": 1.0, "success_lowpass": 1.0}
    assert shortcut_baseline(faces, labels, ("Male",), EyeDarknessJudge()) == {}
