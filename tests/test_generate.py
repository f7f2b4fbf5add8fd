"""The text-to-face path: shapes, shared decoder, CA/KL, determinism, save/load, the stage-2 step."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from makeover import losses
from makeover.generate import TextToFace, draw, interpolation, make_noise
from makeover.models.networks import (DiscriminatorSpec, GeneratorSpec, TextPathSpec, bottleneck_shape,
                                      build_generator, build_msg_discriminator, build_text_to_face)
from makeover.models.text_gan import TextLossSpec, TextToFaceGAN, pyramid

SPEC = GeneratorSpec(image_size=32, num_attributes=16, base_channels=4, blocks=2)
TEXT = TextPathSpec(noise_dim=8, ca_dim=4, channels=16)


def _models():
    keras.utils.set_random_seed(0)
    generator = build_generator(SPEC)
    text = build_text_to_face(SPEC, TEXT, generator.get_layer("core"), generator.get_layer("decoder"))
    return generator, text


def _inputs(n=2, seed=0):
    rng = np.random.default_rng(seed)
    c = rng.choice([-1.0, 0.0, 1.0], (n, 16)).astype(np.float32)
    z, eps = make_noise(seed, n, TEXT.noise_dim, TEXT.ca_dim)
    return c, z, eps


def test_shapes_at_every_scale_and_the_shared_decoder():
    generator, text = _models()
    rgb, half, quarter, mu, log_var, features = text(list(_inputs()))
    assert rgb.shape == (2, 32, 32, 3) and half.shape == (2, 16, 16, 3) and quarter.shape == (2, 8, 8, 3)
    assert mu.shape == log_var.shape == (2, TEXT.ca_dim)
    assert tuple(features.shape[1:]) == bottleneck_shape(SPEC)
    # The text path ends in the makeover generator's own core and decoder (same weights, not copies).
    core = generator.get_layer("core")
    assert text.get_layer("core") is core and text.get_layer("decoder") is generator.get_layer("decoder")
    to_bottleneck = text.get_layer("to_bottleneck").output
    assert tuple(to_bottleneck.shape[1:]) == bottleneck_shape(SPEC) == tuple(core.inputs[0].shape[1:])
    # MSG heads start as average pooling of the full-size image.
    r, h, q = pyramid(rgb)
    np.testing.assert_allclose(half, h, atol=1e-5)
    np.testing.assert_allclose(quarter, q, atol=1e-5)


def test_antialiased_path_filters_the_decoders_subpixel_pattern(tmp_path):
    generator, plain = _models()
    decoder = generator.get_layer("decoder")
    rng = np.random.default_rng(0)
    for name in ("up1", "up2"):  # sub-pixel channels that disagree: depth-to-space paints a 2x2 / 4x4 pattern
        kernel, bias = decoder.get_layer(name).get_weights()
        decoder.get_layer(name).set_weights([kernel + rng.normal(0, 0.5, kernel.shape).astype("float32"), bias])
    aa = build_text_to_face(SPEC, TextPathSpec(noise_dim=8, ca_dim=4, channels=16, antialias=True),
                            generator.get_layer("core"), decoder)
    for layer in aa.layers:  # the path up to the bottleneck the same as the plain one's
        if layer.name in {l.name for l in plain.layers} and layer.weights and layer.name != "decoder":
            layer.set_weights(plain.get_layer(layer.name).get_weights())
    inputs = list(_inputs(4))
    pattern = [float(losses.subpixel_phase(m(inputs)[0], period=4)) for m in (plain, aa)]
    assert pattern[1] < 0.25 * pattern[0], pattern
    # the decoder's own weights, shared; Blur saves and loads
    assert aa.get_layer("decoder_antialiased").get_layer("dec_block_full") is decoder.get_layer("dec_block_full")
    aa.save(tmp_path / "aa.keras")
    np.testing.assert_allclose(keras.saving.load_model(tmp_path / "aa.keras")(inputs)[0], aa(inputs)[0], atol=1e-5)
    # at 64 px the path's own layers include an "up1", as the decoder's do: no name clash
    big = GeneratorSpec(image_size=64, num_attributes=16, base_channels=4, blocks=2)
    big_generator = build_generator(big)
    build_text_to_face(big, TextPathSpec(noise_dim=8, ca_dim=4, channels=16, antialias=True),
                       big_generator.get_layer("core"), big_generator.get_layer("decoder"))


def test_conditioning_augmentation_and_kl():
    _, text = _models()
    c, z, eps = _inputs()
    _, _, _, mu, log_var, _ = text([c, z, np.zeros_like(eps)])
    ca = text.get_layer("ca")
    sample, mu2, log_var2 = ca(c, eps)
    np.testing.assert_allclose(sample, mu2 + np.exp(0.5 * np.asarray(log_var2)) * eps, rtol=1e-5, atol=1e-6)
    # KL(N(mu, sigma^2) || N(0, 1)) = 0.5 * sum(mu^2 + sigma^2 - log sigma^2 - 1), averaged over the batch
    m, lv = np.array([[1.0, -2.0]]), np.array([[0.5, -1.0]])
    expected = 0.5 * np.sum(m ** 2 + np.exp(lv) - lv - 1.0)
    assert float(losses.kl_standard_normal(tf.constant(m, tf.float32), tf.constant(lv, tf.float32))) == \
        pytest.approx(expected, rel=1e-5)


def test_same_seed_same_faces_different_seed_different_faces():
    _, text = _models()
    c = np.repeat(_inputs()[0][:1], 3, 0)
    a = draw(text, c, *make_noise(7, 3, TEXT.noise_dim, TEXT.ca_dim))
    b = draw(text, c, *make_noise(7, 3, TEXT.noise_dim, TEXT.ca_dim))
    other = draw(text, c, *make_noise(8, 3, TEXT.noise_dim, TEXT.ca_dim))
    np.testing.assert_array_equal(a, b)
    assert np.abs(a.astype(int) - other).mean() > 0.5
    assert np.abs(a[0].astype(int) - a[1]).mean() > 0.5  # faces within one seed differ too
    # face i of a seed does not depend on how many are drawn
    np.testing.assert_array_equal(make_noise(7, 5, 8, 4)[0][:3], make_noise(7, 3, 8, 4)[0])


def test_interpolation_ends_at_both_descriptions():
    a, b = np.array([1.0, -1.0, 0.0]), np.array([-1.0, 1.0, 1.0])
    path = interpolation(a, b, 5)
    np.testing.assert_allclose(path[0], a)
    np.testing.assert_allclose(path[-1], b)
    np.testing.assert_allclose(path[2], (a + b) / 2)


def test_save_load_round_trip(tmp_path):
    _, text = _models()
    text.get_layer("project").kernel.assign(text.get_layer("project").kernel * 1.5)
    text.save(tmp_path / "text_to_face.keras")
    (tmp_path / "text_to_face.json").write_text('{"attributes": %s, "image_size": 32}'
                                                % str([f"a{i}" for i in range(16)]).replace("'", '"'))
    loaded = TextToFace.load(tmp_path)
    c, z, eps = _inputs()
    np.testing.assert_allclose(loaded.model([c, z, eps])[0], text([c, z, eps])[0], atol=1e-5)


def test_stage_two_step_trains_the_text_path_only():
    generator, text = _models()
    core, decoder = generator.get_layer("core"), generator.get_layer("decoder")
    core.trainable = decoder.trainable = False
    frozen = [v.numpy().copy() for v in core.weights + decoder.weights]
    d = build_msg_discriminator(DiscriminatorSpec(image_size=32, num_attributes=16, base_channels=8))
    gan = TextToFaceGAN(text, d, TextLossSpec())
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    project = text.get_layer("project").kernel.numpy().copy()
    x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
    y = np.random.default_rng(1).choice([-1.0, 1.0], (2, 16)).astype(np.float32)
    logs = gan.train_on_batch(x, y, return_dict=True)
    assert np.isfinite(list(logs.values())).all() and logs["kl"] >= 0
    assert np.abs(text.get_layer("project").kernel.numpy() - project).max() > 0
    for before, v in zip(frozen, core.weights + decoder.weights):
        np.testing.assert_array_equal(before, v.numpy())


def _stage_two_gan(classifier=None, optimizers=None, **loss):
    """A stage-2 GAN on the tiny models, fully annealed unless `loss` says otherwise."""
    generator, text = _models()
    d = build_msg_discriminator(DiscriminatorSpec(image_size=32, num_attributes=16, base_channels=8))
    gan = TextToFaceGAN(text, d, TextLossSpec(**{"anneal_start": 0, "anneal_steps": 0, **loss}))
    if classifier is not None:
        gan.set_guide(classifier, list(range(16)))
    gan.compile(*(optimizers or (keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))))
    return gan, text


def test_guide_classifier_joins_the_text_path_loss():
    from makeover.models.classifier import ClassifierSpec, build_classifier

    guide = build_classifier(ClassifierSpec(image_size=32, num_attributes=16, base_channels=4))
    x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
    y = np.random.default_rng(1).choice([-1.0, 1.0], (2, 16)).astype(np.float32)
    guide_weights = [w.copy() for w in guide.get_weights()]
    steps = {}
    for weight in (0.0, 5.0):
        gan, text = _stage_two_gan(guide, guide=weight)
        logs = gan.train_on_batch(x, y, return_dict=True)
        steps[weight] = (logs, text.get_layer("project").kernel.numpy())
    assert steps[5.0][0]["g_guide"] > 0 and steps[0.0][0]["g_guide"] == pytest.approx(steps[5.0][0]["g_guide"])
    assert np.abs(steps[5.0][1] - steps[0.0][1]).max() > 0       # its gradient reached the text path
    for before, after in zip(guide_weights, guide.get_weights()):  # and it stayed frozen
        np.testing.assert_array_equal(before, after)
    plain, _ = _stage_two_gan()
    assert plain.train_on_batch(x, y, return_dict=True)["g_guide"] == 0


def test_text_guide_weight_without_a_guide_is_refused(tmp_path):
    from makeover.config import load_config
    from makeover.generate import train_text_to_face

    config = load_config(overrides={"text": {"guide": 5.0}, "train": {"guide": ""}})
    with pytest.raises(ValueError, match="train.guide"):
        train_text_to_face(config, tmp_path, "t", None, None)
    assert not any(tmp_path.iterdir())   # refused before a run folder exists


def test_moving_average_of_the_text_path_is_what_samples_and_exports_see():
    from makeover.train import adam_pair

    gan, text = _stage_two_gan(optimizers=adam_pair({"beta_1": 0.5, "beta_2": 0.999, "g_ema": 0.75}, 1e-3, 1e-3),
                               anneal_start=100, anneal_steps=400)   # TextLossSpec's schedule
    x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
    y = np.random.default_rng(1).choice([-1.0, 1.0], (2, 16)).astype(np.float32)
    trained = []
    for _ in range(2):
        gan.train_on_batch(x, y, return_dict=True)
        trained.append([v.numpy().copy() for v in text.trainable_variables])
    with gan.averaged_generator() as g:   # the average starts at step 1's weights: 0.75 w1 + 0.25 w2
        assert g is text
        for w1, w2, v in zip(*trained, text.trainable_variables):
            np.testing.assert_allclose(v.numpy(), 0.75 * w1 + 0.25 * w2, rtol=1e-5, atol=1e-6)
    assert max(np.abs(a - b).max() for a, b in zip(*trained)) > 0
    for w2, v in zip(trained[1], text.trainable_variables):  # the trained weights are back
        np.testing.assert_array_equal(w2, v.numpy())
    plain, _ = _stage_two_gan()
    with plain.averaged_generator() as g:   # no average: G as it is
        assert g is plain.generator


def test_diversity_term_pays_the_text_path_for_using_its_noise():
    x = np.random.default_rng(0).uniform(-1, 1, (4, 32, 32, 3)).astype(np.float32)
    y = np.random.default_rng(1).choice([-1.0, 1.0], (4, 16)).astype(np.float32)
    kernels = {}
    for weight in (0.0, 2.0):
        gan, text = _stage_two_gan(diversity=weight)
        logs = gan.train_on_batch(x, y, return_dict=True)
        kernels[weight] = text.get_layer("project").kernel.numpy()
        assert (logs["diversity"] < 0) == (weight > 0)    # off: not computed; on: some change is paid for
    assert np.abs(kernels[2.0] - kernels[0.0]).max() > 0


def test_diffaugment_changes_what_the_text_d_sees_and_is_checked():
    """text.diffaugment: same weights, same batch, same seeds; only D's view (and so its loss) differs."""
    x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
    y = np.random.default_rng(1).choice([-1.0, 1.0], (2, 16)).astype(np.float32)
    d_loss = {}
    for amount in (0.0, 0.125):
        gan, _ = _stage_two_gan(diffaugment=amount)
        logs = gan.train_on_batch(x, y, return_dict=True)
        assert np.isfinite(list(logs.values())).all()
        d_loss[amount] = logs["d_adv"]
    assert d_loss[0.125] != pytest.approx(d_loss[0.0], abs=1e-6)
    with pytest.raises(ValueError, match="diffaugment"):
        TextLossSpec(diffaugment=0.5)


@pytest.mark.parametrize("tune", [False, True])
def test_tune_decoder_trains_a_copy_of_core_and_decoder_and_never_the_base(tmp_path, tiny_run, tune):
    """text.tune_decoder: the path's own core and decoder learn; the makeover generator's file stays."""
    from conftest import tiny_config

    from makeover.generate import train_text_to_face
    from makeover.inference import load_generator

    base = tiny_run / "generator.keras"
    before = base.read_bytes()
    config = tiny_config(steps=2)
    config["text"].update(tune_decoder=tune, noise_dim=8, ca_dim=4, channels=16)
    run = train_text_to_face(config, tmp_path, "t", None, str(base))
    assert base.read_bytes() == before
    generator, _ = load_generator(base)
    text = keras.saving.load_model(run / "text_to_face.keras")
    moved = max(np.abs(a - b).max() for a, b in zip(generator.get_layer("core").get_weights(),
                                                      text.get_layer("core").get_weights()))
    assert (moved > 0) == tune


def test_open_attributes_vary_per_face_with_a_prior_and_stay_open_without(tmp_path):
    from makeover.prior import AttributePrior

    _, text = _models()
    names = [f"a{i}" for i in range(16)]
    labels = np.random.default_rng(0).choice([-1.0, 1.0], (500, 16))
    plain = TextToFace(text, {"attributes": names, "image_size": 32})
    varied = TextToFace(text, {"attributes": names, "image_size": 32,
                               "prior": AttributePrior.fit(names, labels).to_json()})
    asked = np.zeros((6, 16), np.float32)
    asked[:, 0] = 1.0
    np.testing.assert_array_equal(plain.fill_open(asked, 3), asked)   # an older path: nothing drawn
    filled = varied.fill_open(asked, 3)
    assert (filled[:, 0] == 1).all() and (filled[:, 1:] != 0).all()
    assert len({tuple(row) for row in filled}) > 1                     # every face its own draw ...
    sheet = varied.fill_open(asked, 3, same_identity=True)
    assert len({tuple(row) for row in sheet}) == 1                     # ... one character: one draw
    np.testing.assert_array_equal(varied.faces(asked, 3, vary=False), plain.faces(asked, 3))
    assert not np.array_equal(varied.faces(asked, 3), plain.faces(asked, 3))
    with pytest.raises(ValueError, match="prior"):
        TextToFace(text, {"attributes": names[::-1], "prior": AttributePrior.fit(names, labels).to_json()})


def test_export_checkpoint_tool_exports_a_text_runs_checkpoint_as_the_run_did(tmp_path, tiny_run):
    """tools/export_checkpoint.py on a text run: the step asked for, the same model the run exported there."""
    from click.testing import CliRunner
    from conftest import load_tool, tiny_config

    from makeover.generate import train_text_to_face

    config = tiny_config(steps=2, checkpoint_every=1, keep_checkpoints=3)
    config["text"].update(noise_dim=8, ca_dim=4, channels=16)
    run = train_text_to_face(config, tmp_path, "t", None, str(tiny_run / "generator.keras"))
    result = CliRunner().invoke(load_tool("export_checkpoint").main, [str(run), "--step", "2", "--out",
                                                                       str(tmp_path / "two")])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "two" / "text_to_face.json").read_text())["steps"] == 2
    exported, own = (TextToFace.load(folder) for folder in (tmp_path / "two", run))
    vectors = np.zeros((3, 16), np.float32)
    np.testing.assert_array_equal(exported.faces(vectors, 5), own.faces(vectors, 5))


def test_init_starts_a_new_text_run_from_another_ones_checkpoint_under_its_own_config(tmp_path, tiny_run):
    """--init for --mode generate: the weights and step count of the first run, the second's loss weights."""
    from conftest import tiny_config

    from makeover.config import ConfigError
    from makeover.generate import train_text_to_face

    config = tiny_config(steps=2)
    config["text"].update(noise_dim=8, ca_dim=4, channels=16)
    first = train_text_to_face(config, tmp_path, "first", None, str(tiny_run / "generator.keras"))
    second_config = tiny_config(steps=3)
    second_config["text"].update(noise_dim=8, ca_dim=4, channels=16, g_classification=0.0)
    second = train_text_to_face(second_config, tmp_path, "second", None, None, init_from=first)
    saved = json.loads((second / "config.json").read_text())
    assert saved["init_from"].endswith("ckpt-0000002.weights.h5") and saved["text"]["g_classification"] == 0.0
    assert saved["text"]["base"] == str(tiny_run / "generator.keras")
    assert json.loads((second / "text_to_face.json").read_text())["steps"] == 3
    stats = [json.loads(line) for line in (second / "stats.jsonl").read_text().splitlines()]
    assert [s["step"] for s in stats] == [3]                      # one step, from step 2 on
    with pytest.raises(ConfigError, match="text run's checkpoint"):
        train_text_to_face(second_config, tmp_path, "third", None, None, init_from=tiny_run / "generator.keras")
