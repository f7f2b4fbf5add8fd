"""The identity judge (makeover/identity.py): real faces of one person are under its threshold, of two
people over it; a collapsed text path is told apart from a diverse one."""

import numpy as np
import pytest

from conftest import CELEBA_SAMPLE
from makeover.identity import SAME_PERSON, IdentityJudge, pairwise_distances


def test_pairwise_distances_are_the_euclidean_distances_of_all_pairs():
    rows = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]])
    np.testing.assert_allclose(pairwise_distances(rows), [5.0, 1.0, np.sqrt(18.0)])


@pytest.fixture(scope="module")
def people():
    """64 px crops of 12 people with two faces each in the CelebA sample, and 12 more of other people."""
    from makeover.data.pipeline import CelebASource

    celeba_sample = CELEBA_SAMPLE
    if not (celeba_sample / "identity_CelebA.txt").is_file():
        pytest.skip(f"CelebA sample with identities not present at {celeba_sample}")
    source = CelebASource(celeba_sample, None)
    ids = dict(line.split() for line in (celeba_sample / "identity_CelebA.txt").read_text().splitlines())
    person = np.array([int(ids[name]) for name in source.table.names])
    found, counts = np.unique(person, return_counts=True)
    twice = found[counts >= 2][:12]
    pairs = [np.flatnonzero(person == p)[:2] for p in twice]
    others = [i for i in range(len(person)) if person[i] not in set(twice)][:12]
    load = np.vectorize(lambda i: source.load(i, 64), signature="()->(n,n,c)")
    return load(np.array(pairs)), load(np.array(others))


def test_one_person_is_under_the_threshold_and_two_people_over_it(people):
    pairs, others = people
    judge = IdentityJudge()
    same = np.linalg.norm(judge.embed(pairs[:, 0]) - judge.embed(pairs[:, 1]), axis=1)
    different = pairwise_distances(judge.embed(others))
    # measured on celeba_large val: 0.49 +- 0.09 and 0.83 +- 0.09, 94% of pairs told apart
    assert np.median(same) < SAME_PERSON < np.median(different)
    assert ((same < SAME_PERSON).mean() + (different >= SAME_PERSON).mean()) / 2 > 0.8


def test_a_mirrored_face_is_the_same_person_and_a_set_of_one_face_is_one_person(people):
    pairs, others = people
    judge = IdentityJudge()
    faces = others[:6]
    d = np.linalg.norm(judge.embed(faces) - judge.embed(faces[:, :, ::-1]), axis=1)
    assert (d < SAME_PERSON).all()
    assert judge.spread(np.repeat(faces[:1], 4, 0)) == {"distance": 0.0, "different_people": 0.0}
    assert judge.spread(others)["different_people"] > 0.9
