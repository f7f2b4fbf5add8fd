"""The attribute prior: fills a description's open attributes as real faces pair them, deterministically."""

import numpy as np
import pytest

from makeover.prior import AttributePrior

NAMES = ("A", "B", "C")


def _labels(n=20000, seed=0):
    """A is a coin, B copies A 90% of the time, C is present 20% of the time whatever the rest."""
    rng = np.random.default_rng(seed)
    a = rng.choice([-1.0, 1.0], n)
    b = np.where(rng.uniform(size=n) < 0.9, a, -a)
    c = np.where(rng.uniform(size=n) < 0.2, 1.0, -1.0)
    return np.stack([a, b, c], 1)


@pytest.fixture(scope="module")
def prior():
    return AttributePrior.fit(NAMES, _labels())


def _fill(prior, asked, n=4000, seed=1):
    return prior.fill(np.repeat(np.array([asked], np.float32), n, 0), prior.draws(seed, range(n)))


def test_open_attributes_follow_the_asked_ones_as_in_the_data(prior):
    free = _fill(prior, [0, 0, 0])
    assert (free > 0).mean(0) == pytest.approx([0.5, 0.5, 0.2], abs=0.04)
    assert np.isin(free, [-1, 1]).all()
    with_a = _fill(prior, [1, 0, 0])
    assert (with_a[:, 1] > 0).mean() == pytest.approx(0.9, abs=0.03)    # B goes with A ...
    assert (_fill(prior, [-1, 0, 0])[:, 1] > 0).mean() == pytest.approx(0.1, abs=0.03)   # ... and without it
    assert (with_a[:, 2] > 0).mean() == pytest.approx(0.2, abs=0.03)    # C does not care


def test_asked_entries_are_kept_exactly(prior):
    filled = _fill(prior, [0.5, 0, -1], n=50)
    np.testing.assert_array_equal(filled[:, 0], 0.5)
    np.testing.assert_array_equal(filled[:, 2], -1)
    assert set(np.unique(filled[:, 1])) == {-1.0, 1.0}   # the open one varies across faces


def test_same_seed_same_fill_and_face_i_whatever_the_count(prior):
    np.testing.assert_array_equal(_fill(prior, [0, 0, 0], n=10), _fill(prior, [0, 0, 0], n=10))
    np.testing.assert_array_equal(_fill(prior, [0, 0, 0], n=10)[:4], _fill(prior, [0, 0, 0], n=4))
    assert not np.array_equal(_fill(prior, [0, 0, 0], n=10, seed=1), _fill(prior, [0, 0, 0], n=10, seed=2))


def test_json_round_trip_and_shape_check(prior):
    again = AttributePrior.from_json(prior.to_json())
    assert again.names == NAMES
    np.testing.assert_array_equal(_fill(again, [1, 0, 0], n=200), _fill(prior, [1, 0, 0], n=200))
    with pytest.raises(ValueError, match="3 names"):
        AttributePrior(NAMES, np.zeros((2, 2)), np.zeros(2))
