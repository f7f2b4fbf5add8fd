"""makeover/models/recipe.py: the rules MakeoverGAN (TF) and tools/jax_train.py (JAX) share."""

import numpy as np
import pytest

from makeover.attributes import DEFAULT_CONDITIONED
from makeover.config import ConfigError
from makeover.models.recipe import LossSpec, flip_log_weights, flip_targets, generator_loss

ATTRS = list(DEFAULT_CONDITIONED)


def test_flip_targets_apply_the_conflict_rules_to_the_change_and_keep_or_drop_the_rest():
    src = -np.ones((2, len(ATTRS)), np.float32)
    src[:, ATTRS.index("Blond_Hair")] = 1.0
    which = np.array([ATTRS.index("Black_Hair"), ATTRS.index("Smiling")])
    extra = np.zeros_like(src, bool)
    dropped = np.zeros_like(src, bool)
    dropped[1] = True
    c = np.asarray(flip_targets(src, which, extra, dropped, ATTRS))
    assert c[0, ATTRS.index("Black_Hair")] == 1 and c[0, ATTRS.index("Blond_Hair")] == -1   # one hair colour
    assert c[0, ATTRS.index("Male")] == -1                                                 # kept as src
    assert c[1, ATTRS.index("Smiling")] == 1 and c[1, ATTRS.index("Male")] == 0            # dropped -> keep
    assert c[1, ATTRS.index("Blond_Hair")] == 0


def test_generator_loss_weighs_each_term():
    spec = LossSpec(phase=100.0, cycle=5.0, self_recon=20.0, g_classification=2.0, guide=40.0)
    terms = {"pixel": 0.2, "phase": 0.003, "g_adv": 1.5, "cycle": 0.08, "self_recon": 0.04, "g_cls": 1.6,
             "g_guide": 1.3}
    expected = 1.0 * 0.2 + 100 * 0.003 + 0.5 * 1.5 + 5 * 0.08 + 20 * 0.04 + 0.5 * (2 * 1.6 + 40 * 1.3)
    assert float(generator_loss(terms, spec, 0.5, 1.0, 0.5)) == pytest.approx(expected)


def test_flip_log_weights():
    assert flip_log_weights({}, ATTRS) is None
    logs = flip_log_weights({"Male": 3.0}, ATTRS)
    assert logs[ATTRS.index("Male")] == pytest.approx(np.log(3.0)) and logs[ATTRS.index("Smiling")] == 0
    with pytest.raises(ConfigError, match="not conditioned"):
        flip_log_weights({"Nose": 2.0}, ATTRS)
