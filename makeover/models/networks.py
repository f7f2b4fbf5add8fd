"""The generator (identity at init) and the matching-aware discriminator.

Generator: stem conv -> two lossless downsamplings (space-to-depth + 1x1 conv)
-> conditioned residual blocks at 1/4 resolution -> two upsamplings
(1x1 conv + depth-to-space) -> RGB conv, the output (as in StarGAN and
AttGAN). Every trunk layer starts as a (partial) identity and every
residual branch starts at zero, so G(x, c) == x before training
(deep-makeover). The decoder's RGB is the output, as in StarGAN and AttGAN:
blending it into the input through a learned mask (GANimation) was tried,
and the mask closed on CelebA and on synthetic faces alike (logits near -5
with a floor, -16 without), holding edits to faint tints.

The encoder, the conditioned core and the decoder are separate Keras models so
that another path (text -> bottleneck) can reuse core and decoder.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
from keras import layers, ops

from makeover.models.layers import (Blur, ConditioningAugmentation, DepthToSpace, DownBlock, PartialIdentity,
                                    ResBlock, SpaceToDepth, SubPixelAverage)


@dataclass(frozen=True)
class GeneratorSpec:
    image_size: int = 64
    num_attributes: int = 16
    base_channels: int = 8      # stem width; the bottleneck has 16x as many channels
    blocks: int = 6             # conditioned residual blocks at 1/4 resolution


@dataclass(frozen=True)
class DiscriminatorSpec:
    image_size: int = 64
    num_attributes: int = 16
    base_channels: int = 16


@dataclass(frozen=True)
class TextPathSpec:
    noise_dim: int = 64         # identity noise z
    ca_dim: int = 32            # conditioning-augmentation sample size
    channels: int = 96          # width of the up-sampling network to the bottleneck
    antialias: bool = False     # draw through the decoder with a Blur after each depth-to-space (see below)


def _pointwise(channels: int, name: str) -> layers.Conv2D:
    return layers.Conv2D(channels, 1, kernel_initializer=PartialIdentity(), name=name)


def build_encoder(spec: GeneratorSpec) -> keras.Model:
    c0 = spec.base_channels
    x = keras.Input((spec.image_size, spec.image_size, 3), name="image")
    h = layers.Conv2D(c0, 3, padding="same", kernel_initializer=PartialIdentity(seed=1), name="stem")(x)
    h = _pointwise(4 * c0, "down1")(SpaceToDepth(2, name="s2d1")(h))
    h = ResBlock(4 * c0, name="enc_block")(h)
    h = _pointwise(16 * c0, "down2")(SpaceToDepth(2, name="s2d2")(h))
    return keras.Model(x, h, name="encoder")


def bottleneck_shape(spec: GeneratorSpec) -> tuple[int, int, int]:
    return spec.image_size // 4, spec.image_size // 4, 16 * spec.base_channels


def build_core(spec: GeneratorSpec) -> keras.Model:
    h_in = keras.Input(bottleneck_shape(spec), name="features")
    c = keras.Input((spec.num_attributes,), name="attributes")
    h = h_in
    for i in range(spec.blocks):
        h = ResBlock(16 * spec.base_channels, conditioned=True, name=f"core_block{i}")(h, c)
    return keras.Model([h_in, c], h, name="core")


def build_decoder(spec: GeneratorSpec) -> keras.Model:
    c0 = spec.base_channels
    h_in = keras.Input(bottleneck_shape(spec), name="features")
    named = {layer.name: layer for layer in (
        _pointwise(16 * c0, "up1"), DepthToSpace(2, name="d2s1"), ResBlock(4 * c0, name="dec_block"),
        _pointwise(4 * c0, "up2"), DepthToSpace(2, name="d2s2"),
        # A full-resolution block gives G the capacity to smooth the 2x2 pattern
        # that depth-to-space leaves where sub-pixel channels learn different edits.
        ResBlock(c0, groups=min(8, c0), name="dec_block_full"),
        layers.Conv2D(3, 3, padding="same", kernel_initializer=PartialIdentity(), name="to_rgb"))}
    rgb, h, h32 = decode(named.__getitem__, h_in)
    # Unused: the head of the retired masked output, kept so that the shipped generators' weights
    # (which have it) load into a generator built now (train --init checkpoints/celeba64).
    mask = layers.Conv2D(1, 3, padding="same", kernel_initializer="zeros", name="to_mask")(h)
    # h32 is exposed for the text path's multi-scale (MSG-GAN) RGB heads.
    return keras.Model(h_in, [rgb, mask, h32], name="decoder")


def decode(layer, f, antialias: bool = False):
    """(rgb, last full-size features, 32 px features) of the decoder's layers, `layer(name)` giving
    each, applied to the bottleneck f. With `antialias`, a Blur after each depth-to-space (the text
    path's `text.antialias`): the pattern that repeats every 2 px there cannot pass."""
    def blur(name):
        return Blur(name=name) if antialias else (lambda t: t)

    h = blur("aa1")(layer("d2s1")(layer("up1")(f)))
    h32 = layer("dec_block")(h)
    h = layer("dec_block_full")(blur("aa2")(layer("d2s2")(layer("up2")(h32))))
    return layer("to_rgb")(h), h, h32


def build_generator(spec: GeneratorSpec) -> keras.Model:
    """G(image, attributes) -> image; attributes in [-1, 1], 0 = keep as is."""
    x = keras.Input((spec.image_size, spec.image_size, 3), name="image")
    c = keras.Input((spec.num_attributes,), name="attributes")
    encoder, core, decoder = build_encoder(spec), build_core(spec), build_decoder(spec)
    rgb, _, _ = decoder(core([encoder(x), c]))
    return keras.Model([x, c], rgb, name="generator")


def build_discriminator(spec: DiscriminatorSpec) -> keras.Model:
    """D(image, attributes) -> (realness logit, attribute logits).

    Realness = psi(phi(x)) + <embed(c), phi(x)>: the projection discriminator
    (Miyato & Koyama 2018), which scores how well the image matches the
    attributes; the classification head is StarGAN's auxiliary classifier.
    """
    ch = spec.base_channels
    x = keras.Input((spec.image_size, spec.image_size, 3), name="image")
    c = keras.Input((spec.num_attributes,), name="attributes")
    h = layers.Conv2D(ch, 3, padding="same", name="stem")(x)
    h = _down_to_4(h, ch, spec.image_size)
    return _judge(h, c, spec.num_attributes, [x], "discriminator")


def _judge(h, c, num_attributes: int, inputs, name: str) -> keras.Model:
    """Realness (psi + projection on c) and attribute logits from the last feature map."""
    phi = ops.sum(ops.relu(h), axis=(1, 2))
    phi = layers.Identity(name="features")(phi)
    projection = ops.sum(layers.Dense(phi.shape[-1], use_bias=False, name="embed")(c) * phi,
                         axis=-1, keepdims=True)
    realness = layers.Add(name="realness")([layers.Dense(1, name="psi")(phi), projection])
    logits = layers.Dense(num_attributes, name="classifier")(phi)
    return keras.Model([*inputs, c], [realness, logits], name=name)


def _down_to_4(h, ch: int, size: int, extra: dict | None = None):
    """DownBlocks to 4x4; MSG-GAN: at each size in `extra`, concatenate that RGB input."""
    mult, i = 1, 0
    while size > 4:
        mult = min(mult * 2, 16)
        h = DownBlock(ch * mult, name=f"down{i}")(h)
        size //= 2
        i += 1
        if extra and size in extra:
            rgb = layers.Conv2D(ch, 1, name=f"from_rgb{size}")(extra[size])
            h = layers.Concatenate(name=f"join{size}")([h, rgb])
    return h


def build_text_to_face(gspec: GeneratorSpec, tspec: TextPathSpec, core: keras.Model,
                       decoder: keras.Model) -> keras.Model:
    """(attributes, noise z, CA noise eps) -> (rgb at full, 1/2 and 1/4 size, mu, log_var, features).

    Conditioning augmentation turns the attribute vector into a sample; with z
    it goes through a small up-sampling network to a feature map of exactly
    the generator's bottleneck shape; from there the makeover generator's own
    `core` and `decoder` draw the face. The 1/2 and 1/4 RGB heads (MSG-GAN)
    start as average pooling of the full-size image (SubPixelAverage).
    `features` (what the path feeds the core) is there for the feature anchor
    of text_gan.py.
    """
    h16, w16, bottleneck_channels = bottleneck_shape(gspec)
    c = keras.Input((gspec.num_attributes,), name="attributes")
    z = keras.Input((tspec.noise_dim,), name="noise")
    eps = keras.Input((tspec.ca_dim,), name="ca_noise")
    sample, mu, log_var = ConditioningAugmentation(tspec.ca_dim, name="ca")(c, eps)
    h = layers.Concatenate(name="code")([sample, z])
    h = layers.Dense(4 * 4 * 128, name="project")(h)
    h = layers.Reshape((4, 4, 128))(h)
    size, i = 4, 0
    while size < h16:
        h = layers.UpSampling2D(2, name=f"up{i}")(ops.relu(h))
        h = layers.Conv2D(tspec.channels, 3, padding="same", name=f"conv{i}")(h)
        h = layers.GroupNormalization(8, name=f"norm{i}")(h)
        size, i = size * 2, i + 1
    features = layers.Conv2D(bottleneck_channels, 1, name="to_bottleneck")(ops.relu(h))
    f = core([features, c])
    if tspec.antialias:
        rgb, h32 = _decode_antialiased(decoder, f)
    else:
        rgb, _, h32 = decoder(f)
    c0 = gspec.base_channels
    rgb_half = layers.Conv2D(3, 1, kernel_initializer=SubPixelAverage(c0), name="rgb_half")(h32)
    rgb_quarter = layers.Conv2D(3, 1, kernel_initializer=SubPixelAverage(c0), name="rgb_quarter")(f)
    return keras.Model([c, z, eps], [rgb, rgb_half, rgb_quarter, mu, log_var, features], name="text_to_face")


def _decode_antialiased(decoder: keras.Model, f):
    """The trained decoder's own layers (weights shared) with the Blurs of `decode`; a model of its
    own, so that the decoder's layer names do not meet the path's own ("up1")."""
    f_in = keras.Input(tuple(f.shape[1:]), name="features")
    rgb, _, h32 = decode(decoder.get_layer, f_in, antialias=True)
    return keras.Model(f_in, [rgb, h32], name="decoder_antialiased")(f)


def build_msg_discriminator(spec: DiscriminatorSpec) -> keras.Model:
    """D(image, image at 1/2, image at 1/4, attributes) -> (realness, attribute logits) (MSG-GAN)."""
    s = spec.image_size
    x = keras.Input((s, s, 3), name="image")
    x2 = keras.Input((s // 2, s // 2, 3), name="image_half")
    x4 = keras.Input((s // 4, s // 4, 3), name="image_quarter")
    c = keras.Input((spec.num_attributes,), name="attributes")
    h = layers.Conv2D(spec.base_channels, 3, padding="same", name="stem")(x)
    h = _down_to_4(h, spec.base_channels, s, {s // 2: x2, s // 4: x4})
    return _judge(h, c, spec.num_attributes, [x, x2, x4], "msg_discriminator")
