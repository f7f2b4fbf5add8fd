"""The identity judge (makeover/identity.py): real faces of one person are under its threshold, of two
people over it; a collapsed text path is told apart from a diverse one."""

from pathlib import Path

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


def test_identity_codes_are_whitened_principal_components():
    from makeover.identity import identity_codes

    rng = np.random.default_rng(0)
    descriptors = rng.normal(size=(2000, 6)) @ rng.normal(size=(6, 6)) + 3.0
    codes = identity_codes(descriptors, 4)
    assert codes.shape == (2000, 4)
    np.testing.assert_allclose(codes.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(np.cov(codes.T), np.eye(4), atol=1e-4)   # about N(0, I)


def test_identity_codes_tool_codes_training_faces(tmp_path):
    import subprocess
    import sys

    if not (CELEBA_SAMPLE / "list_attr_celeba.txt").is_file():
        pytest.skip(f"CelebA sample not present at {CELEBA_SAMPLE}")
    out = tmp_path / "codes.npz"
    tool = Path(__file__).resolve().parent.parent / "tools" / "identity_codes.py"
    subprocess.run([sys.executable, str(tool), "--dataset", str(CELEBA_SAMPLE), "--count", "3",
                    "--out", str(out)], check=True, capture_output=True)
    saved = np.load(out)
    from makeover.data.pipeline import open_source

    source = open_source(str(CELEBA_SAMPLE), "train", 0, 0, False)
    face = source.load(int(saved["index"][0]), 64)[None]
    np.testing.assert_allclose(saved["desc"][:1], IdentityJudge().embed(face), atol=1e-5)
    assert saved["desc"].shape == (3, 128) and len(set(saved["index"])) == 3
