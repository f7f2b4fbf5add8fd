"""The generator (identity at init) and the matching-aware discriminator.

Generator: stem conv -> two lossless downsamplings (space-to-depth + 1x1 conv)
-> conditioned residual blocks at 1/4 resolution -> two upsamplings
(1x1 conv + depth-to-space) -> RGB conv, blended with the input through a
learned mask. Every trunk layer starts as a (partial) identity and every
residual branch starts at zero, so G(x, c) == x before training
(deep-makeover). The mask keeps background and identity where no attribute
lives (GANimation/AttGAN-style attention); the text path of issue 4 can use
the decoder's RGB output on its own.

The encoder, the conditioned core and the decoder are separate Keras models so
that another path (text -> bottleneck) can reuse core and decoder.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
from keras import layers, ops

from makeover.models.layers import (DepthToSpace, DownBlock, MaskedBlend, PartialIdentity,
                                    ResBlock, SpaceToDepth)


@dataclass(frozen=True)
class GeneratorSpec:
    image_size: int = 64
    num_attributes: int = 16
    base_channels: int = 8      # stem width; the bottleneck has 16x as many channels
    blocks: int = 6             # conditioned residual blocks at 1/4 resolution
    masked: bool = True


@dataclass(frozen=True)
class DiscriminatorSpec:
    image_size: int = 64
    num_attributes: int = 16
    base_channels: int = 16


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
    h = DepthToSpace(2, name="d2s1")(_pointwise(16 * c0, "up1")(h_in))
    h32 = ResBlock(4 * c0, name="dec_block")(h)
    h = DepthToSpace(2, name="d2s2")(_pointwise(4 * c0, "up2")(h32))
    # A full-resolution block gives G the capacity to smooth the 2x2 pattern
    # that depth-to-space leaves where sub-pixel channels learn different edits.
    h = ResBlock(c0, groups=min(8, c0), name="dec_block_full")(h)
    rgb = layers.Conv2D(3, 3, padding="same", kernel_initializer=PartialIdentity(), name="to_rgb")(h)
    mask = layers.Conv2D(1, 3, padding="same", kernel_initializer="zeros", name="to_mask")(h)
    # h32 is exposed for the text path's multi-scale (MSG-GAN) RGB heads.
    return keras.Model(h_in, [rgb, mask, h32], name="decoder")


def build_generator(spec: GeneratorSpec) -> keras.Model:
    """G(image, attributes) -> image; attributes in [-1, 1], 0 = keep as is."""
    x = keras.Input((spec.image_size, spec.image_size, 3), name="image")
    c = keras.Input((spec.num_attributes,), name="attributes")
    encoder, core, decoder = build_encoder(spec), build_core(spec), build_decoder(spec)
    rgb, mask, _ = decoder(core([encoder(x), c]))
    out = MaskedBlend(name="blend")(x, rgb, mask) if spec.masked else rgb
    return keras.Model([x, c], out, name="generator")


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
    size, mult = spec.image_size, 1
    i = 0
    while size > 4:
        mult = min(mult * 2, 16)
        h = DownBlock(ch * mult, name=f"down{i}")(h)
        size //= 2
        i += 1
    phi = ops.sum(ops.relu(h), axis=(1, 2))
    phi = layers.Identity(name="features")(phi)
    projection = ops.sum(layers.Dense(phi.shape[-1], use_bias=False, name="embed")(c) * phi,
                         axis=-1, keepdims=True)
    realness = layers.Add(name="realness")([layers.Dense(1, name="psi")(phi), projection])
    logits = layers.Dense(spec.num_attributes, name="classifier")(phi)
    return keras.Model([x, c], [realness, logits], name="discriminator")
