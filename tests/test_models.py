import numpy as np
import pytest

import keras

from makeover.data.pipeline import CelebASource
from makeover.data.synthetic import SyntheticFaces
from makeover.inference import load_model
from makeover.models.layers import DepthToSpace, SpaceToDepth
from makeover.models.networks import (DiscriminatorSpec, GeneratorSpec, bottleneck_shape,
                                      build_discriminator, build_generator)


def as_input(images):
    return np.stack(images).astype(np.float32) / 127.5 - 1.0


def random_attrs(n, k, seed=0):
    return np.random.default_rng(seed).choice([-1.0, 0.0, 1.0], (n, k)).astype(np.float32)


def test_space_to_depth_is_inverted_exactly():
    x = np.random.default_rng(0).normal(size=(2, 8, 8, 3)).astype(np.float32)
    h = SpaceToDepth(2)(x)
    assert h.shape == (2, 4, 4, 12)
    np.testing.assert_array_equal(np.asarray(DepthToSpace(2)(h)), x)


def test_generator_is_identity_at_init_on_synthetic_faces():
    faces = SyntheticFaces(4)
    x = as_input([faces.image(i, 32) for i in range(4)])
    g = build_generator(GeneratorSpec(image_size=32, base_channels=4, blocks=2))
    out = np.asarray(g([x, random_attrs(4, 16)]))
    assert out.shape == x.shape
    np.testing.assert_allclose(out, x, atol=1e-5)


def test_generator_is_identity_at_init_on_real_images(celeba_sample):
    source = CelebASource(celeba_sample, "test")
    x = as_input([source.load(i, 64) for i in range(8)])
    g = build_generator(GeneratorSpec())
    out = np.asarray(g([x, random_attrs(8, 16)]))
    assert np.abs(out - x).max() < 1e-5


def test_discriminator_outputs():
    d = build_discriminator(DiscriminatorSpec(image_size=32, num_attributes=5, base_channels=8))
    realness, logits = d([np.zeros((2, 32, 32, 3), np.float32), random_attrs(2, 5)])
    assert realness.shape == (2, 1) and logits.shape == (2, 5)


def test_discriminator_depends_on_attributes():
    d = build_discriminator(DiscriminatorSpec(image_size=32, num_attributes=5, base_channels=8))
    x = np.random.default_rng(1).uniform(-1, 1, (1, 32, 32, 3)).astype(np.float32)
    a, _ = d([x, np.ones((1, 5), np.float32)])
    b, _ = d([x, -np.ones((1, 5), np.float32)])
    assert abs(float(a[0, 0]) - float(b[0, 0])) > 1e-6  # the projection term sees c


def test_bottleneck_is_quarter_resolution():
    assert bottleneck_shape(GeneratorSpec(image_size=64, base_channels=8)) == (16, 16, 128)


def test_save_load_round_trip(tmp_path):
    g = build_generator(GeneratorSpec(image_size=32, base_channels=4, blocks=2))
    # perturb every weight so the round trip is not trivially the identity
    rng = np.random.default_rng(0)
    for v in g.weights:
        v.assign(np.asarray(v) + rng.normal(0, 0.01, v.shape).astype(np.float32))
    x = np.random.default_rng(2).uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
    c = random_attrs(2, 16)
    g.save(tmp_path / "generator.keras")
    loaded, meta = load_model(tmp_path / "generator.keras", "generator.keras", require_meta=False)
    np.testing.assert_allclose(np.asarray(loaded([x, c])), np.asarray(g([x, c])), atol=1e-6)
    assert meta == {}
    assert isinstance(loaded, keras.Model)
