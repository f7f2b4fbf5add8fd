import math

import numpy as np
import pytest
import tensorflow as tf

from makeover import losses


def t(x):
    return tf.constant(np.asarray(x, np.float32))


def test_pixel_and_cycle_l1():
    assert float(losses.pixel_l1(t([[0.5, -0.5]]), t([[0.0, 0.0]]))) == pytest.approx(0.5)
    assert float(losses.cycle_l1(t([1.0, 0.0, 0.0, 0.0]), t([0.0] * 4))) == pytest.approx(0.25)


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


def test_edit_bce_weighs_the_changes_like_everything_kept():
    # src (+1, +1, +1, -1); asked: attribute 0 -> -1, attribute 1 kept as +1, the rest left at 0.
    logits, src, asked = t([[2.0, 2.0, 2.0, -2.0]]), t([[1.0, 1.0, 1.0, -1.0]]), t([[-1.0, 1.0, 0.0, 0.0]])
    changed = math.log(1 + math.e ** 2)          # the one change: target -1 at logit 2
    kept = math.log(1 + math.e ** -2)            # each of the three others is right
    assert float(losses.edit_bce(logits, asked, src)) == pytest.approx(changed + kept, rel=1e-5)
    # nothing asked to change: only the kept term
    assert float(losses.edit_bce(logits, t([[0.0] * 4]), src)) == pytest.approx(kept, rel=1e-5)


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
