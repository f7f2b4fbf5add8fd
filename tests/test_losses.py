import math

import numpy as np
import pytest
import tensorflow as tf

from makeover import losses


def t(x):
    return tf.constant(np.asarray(x, np.float32))


def test_pixel_l1():
    assert float(losses.image_error(t([[0.5, -0.5]]), t([[0.0, 0.0]]))) == pytest.approx(0.5)


def test_image_error_norms():
    out, target = t([[0.5, -0.1, 0.0, 0.0]]), t([[0.0, 0.0, 0.0, 0.0]])
    assert float(losses.image_error(out, target)) == pytest.approx(0.6 / 4)
    assert float(losses.image_error(out, target, "l2")) == pytest.approx((0.25 + 0.01) / 4)
    with pytest.raises(ValueError, match="psnr"):
        losses.image_error(out, target, "l3")
    # "psnr": minus each image's PSNR (images in [-1, 1], PSNR on [0, 1]), averaged over the batch
    two = tf.stack([out, out / 10.0])
    mse = np.array([(0.0625 + 0.0025) / 4, (0.000625 + 0.000025) / 4])
    assert float(losses.image_error(two, tf.zeros_like(two), "psnr")) == pytest.approx(
        np.mean(10 * np.log10(mse + 1e-6)), rel=1e-5)


def test_l1_charges_a_small_change_as_much_as_a_large_one_and_l2_does_not():
    """Why paired_norm exists: under L1 a change a few pixels across drowns among the large ones."""
    def slope(norm, e):
        x = tf.Variable([[e]])
        with tf.GradientTape() as tape:
            loss = losses.image_error(x, t([[0.0]]), norm)
        return float(tape.gradient(loss, x)[0, 0])
    assert slope("l1", 0.01) == pytest.approx(1.0) and slope("l1", 1.0) == pytest.approx(1.0)
    assert slope("l2", 0.01) == pytest.approx(0.02)


def test_d_hinge_plain_and_matching_aware():
    real, fake, wrong = t([2.0, 0.5]), t([-2.0, 0.0]), t([0.5, -1.0])
    # real: mean(relu(1-2), relu(1-0.5)) = 0.25; fake: mean(relu(1-2), relu(1+0)) = 0.5
    assert float(losses.d_hinge(real, fake)) == pytest.approx(0.75)
    # wrong: mean(relu(1.5), relu(0)) = 0.75 -> 0.25 + 0.5 * (0.5 + 0.75)
    assert float(losses.d_hinge(real, fake, wrong)) == pytest.approx(0.875)


def test_g_hinge():
    assert float(losses.g_hinge(t([1.0, 3.0]))) == pytest.approx(-2.0)


def test_attribute_bce_masks_unspecified():
    # only the first attribute is specified (target +1, logit 0): BCE = ln 2
    assert float(losses.attribute_bce(t([[0.0, 2.0]]), t([[1.0, 0.0]]))) == pytest.approx(math.log(2))
    # target -1 with logit 2: softplus(2) = ln(1 + e^2)
    assert float(losses.attribute_bce(t([[2.0]]), t([[-1.0]]))) == pytest.approx(math.log(1 + math.e ** 2), rel=1e-5)


def test_edit_loss_weighs_the_changes_like_everything_kept():
    # src (+1, +1, +1, -1); asked: attribute 0 -> -1, attribute 1 kept as +1, the rest left at 0.
    src, asked = t([[1.0, 1.0, 1.0, -1.0]]), t([[-1.0, 1.0, 0.0, 0.0]])
    before, after = t([[3.0, 3.0, 2.0, -2.0]]), t([[2.0, 1.0, 2.0, -1.0]])
    changed = math.log(1 + math.e ** 2)          # the one change: target -1 at logit 2
    kept = (2.0 + 0.0 + 1.0) / 3                 # the others: how far their logits moved
    assert float(losses.edit_loss(after, before, asked, src)) == pytest.approx(changed + kept, rel=1e-5)
    # nothing asked to change: only the kept term, over all four
    assert float(losses.edit_loss(after, before, t([[0.0] * 4]), src)) == pytest.approx(1.0, rel=1e-5)


def test_subpixel_phase_sees_a_repeated_pattern_and_not_a_smooth_edit():
    yy, xx = np.meshgrid(np.arange(32), np.arange(32), indexing="ij")
    smooth = np.broadcast_to((0.3 * np.sin(yy / 9.0) * np.cos(xx / 7.0))[None, :, :, None], (2, 32, 32, 3))
    dots = np.broadcast_to((0.2 * ((yy % 4 == 0) & (xx % 4 == 1)))[None, :, :, None], (2, 32, 32, 3))
    # a lone dot at one of 16 phases: |0.2 - 0.2/16| once and |0 - 0.2/16| fifteen times, over 16
    assert float(losses.subpixel_phase(t(dots))) == pytest.approx(2 * 0.2 * 15 / 16 / 16, rel=1e-5)
    per_l1 = lambda r: float(losses.subpixel_phase(t(r))) / np.abs(r).mean()  # noqa: E731
    assert per_l1(smooth) < 0.05 * per_l1(dots)   # a smooth edit, even 10x stronger, costs little
    assert float(losses.subpixel_phase(t(np.full((1, 32, 32, 3), 0.7)))) == pytest.approx(0.0, abs=1e-6)


def test_r1_and_drift():
    assert float(losses.r1_penalty(tf.ones((2, 2, 2, 1)))) == pytest.approx(2.0)  # 0.5 * 4
    assert float(losses.drift_penalty(t([1.0, 3.0]))) == pytest.approx(5.0)


def test_kl_standard_normal():
    assert float(losses.kl_standard_normal(t([[0.0, 0.0]]), t([[0.0, 0.0]]))) == pytest.approx(0.0)
    # mu = 1, log var = 0: 0.5 * (1 + 1 - 0 - 1) = 0.5
    assert float(losses.kl_standard_normal(t([[1.0]]), t([[0.0]]))) == pytest.approx(0.5)


@pytest.mark.parametrize("step, expected", [(0, 0.0), (10, 0.0), (20, 0.5), (30, 1.0), (99, 1.0)])
def test_anneal_schedule(step, expected):
    assert float(losses.anneal(tf.constant(step, tf.int64), 10, 20)) == pytest.approx(expected)


def test_diversity_sensitive_is_the_capped_image_to_noise_ratio():
    a, b = np.zeros((2, 2, 2, 3), np.float32), np.zeros((2, 2, 2, 3), np.float32)
    b[0] += 0.2        # sample 0: image L1 0.2 over noise L1 1.0 -> 0.2; sample 1: 0.9 / 1.0 capped at 0.5
    b[1] += 0.9
    za, zb = np.zeros((2, 4), np.float32), np.ones((2, 4), np.float32)
    assert float(losses.diversity_sensitive(a, b, za, zb, 0.5)) == pytest.approx(-(0.2 + 0.5) / 2)
    assert float(losses.diversity_sensitive(a, a, za, zb, 0.5)) == 0.0   # the same face from both: no reward


def test_subpixel_phase_in_windows_sees_a_pattern_whose_sign_differs_between_regions():
    yy, xx = np.meshgrid(np.arange(32), np.arange(32), indexing="ij")
    dots = 0.2 * ((yy % 4 == 0) & (xx % 4 == 1))
    opposite = np.where(yy < 16, dots, -dots)[None, :, :, None]   # + on the top half, - below: cancels globally
    assert float(losses.subpixel_phase(t(opposite))) == pytest.approx(0.0, abs=1e-6)
    lone = float(losses.subpixel_phase(t(dots[None, :, :, None])))
    assert float(losses.subpixel_phase(t(opposite), window=16)) == pytest.approx(lone, rel=1e-5)
    assert float(losses.subpixel_phase(t(dots[None, :, :, None]), window=8)) == pytest.approx(lone, rel=1e-5)
