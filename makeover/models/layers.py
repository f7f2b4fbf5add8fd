"""Serialisable building blocks shared by the generator and the discriminator."""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

PACKAGE = "makeover"


@keras.saving.register_keras_serializable(package=PACKAGE)
class PartialIdentity(keras.initializers.Initializer):
    """Conv kernel that copies input channel i to output channel i (i < min(cin, cout)).

    Output channels beyond the input's get He-normal noise, so that a widening
    stem both carries the image unchanged and starts computing new features.
    This is what makes the generator compute the identity before training.
    """

    def __init__(self, seed: int | None = None):
        self.seed = seed

    def __call__(self, shape, dtype=None):
        kh, kw, cin, cout = shape
        kernel = np.zeros(shape, dtype="float32")
        n = min(cin, cout)
        kernel[kh // 2, kw // 2, np.arange(n), np.arange(n)] = 1.0
        if cout > cin:
            rng = np.random.default_rng(self.seed)
            kernel[..., cin:] = rng.normal(0, np.sqrt(2.0 / (kh * kw * cin)), (kh, kw, cin, cout - cin))
        return ops.convert_to_tensor(kernel, dtype=dtype)

    def get_config(self):
        return {"seed": self.seed}


class _Rearrange(layers.Layer):
    """A parameter-free layer that moves pixels between space and depth in b x b blocks."""

    def __init__(self, block: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.block = block

    def get_config(self):
        return {**super().get_config(), "block": self.block}


@keras.saving.register_keras_serializable(package=PACKAGE)
class SpaceToDepth(_Rearrange):
    """(H, W, C) -> (H/b, W/b, b*b*C): a lossless, invertible downsampling."""

    def call(self, x):
        b = self.block
        _, h, w, c = ops.shape(x)
        x = ops.reshape(x, (-1, h // b, b, w // b, b, c))
        x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
        return ops.reshape(x, (-1, h // b, w // b, b * b * c))

    def compute_output_shape(self, shape):
        b = self.block
        return (shape[0], None if shape[1] is None else shape[1] // b,
                None if shape[2] is None else shape[2] // b, shape[3] * b * b)


@keras.saving.register_keras_serializable(package=PACKAGE)
class DepthToSpace(_Rearrange):
    """The exact inverse of SpaceToDepth."""

    def call(self, x):
        b = self.block
        _, h, w, c = ops.shape(x)
        x = ops.reshape(x, (-1, h, w, b, b, c // (b * b)))
        x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
        return ops.reshape(x, (-1, h * b, w * b, c // (b * b)))

    def compute_output_shape(self, shape):
        b = self.block
        return (shape[0], None if shape[1] is None else shape[1] * b,
                None if shape[2] is None else shape[2] * b, shape[3] // (b * b))


@keras.saving.register_keras_serializable(package=PACKAGE)
class ResBlock(layers.Layer):
    """Pre-activation residual block x + F(x, c), optionally FiLM-conditioned on c.

    F = conv(relu(film(norm(conv(relu(norm(x))))))). The last conv starts at
    zero, so the block starts as the identity (deep-makeover's init); FiLM
    (gamma, beta from c) lets the attribute vector steer every block.
    """

    def __init__(self, filters: int, conditioned: bool = False, groups: int = 8, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.conditioned = conditioned
        self.groups = groups
        self.norm1 = layers.GroupNormalization(groups)
        self.conv1 = layers.Conv2D(filters, 3, padding="same")
        self.norm2 = layers.GroupNormalization(groups, center=not conditioned, scale=not conditioned)
        self.conv2 = layers.Conv2D(filters, 3, padding="same", kernel_initializer="zeros")
        self.film = layers.Dense(2 * filters, kernel_initializer="zeros") if conditioned else None

    def build(self, x_shape, c_shape=None):
        self.norm1.build(x_shape)
        self.conv1.build(x_shape)
        inner = (*x_shape[:-1], self.filters)
        self.norm2.build(inner)
        self.conv2.build(inner)
        if self.film is not None:
            self.film.build(c_shape)

    def call(self, x, c=None):
        h = self.conv1(ops.relu(self.norm1(x)))
        h = self.norm2(h)
        if self.film is not None:
            gamma, beta = ops.split(self.film(c), 2, axis=-1)
            h = h * (1.0 + gamma[:, None, None, :]) + beta[:, None, None, :]
        return x + self.conv2(ops.relu(h))

    def compute_output_shape(self, x_shape, c_shape=None):
        return x_shape

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "conditioned": self.conditioned,
                "groups": self.groups}


@keras.saving.register_keras_serializable(package=PACKAGE)
class DownBlock(layers.Layer):
    """Discriminator block: relu-conv-relu-conv, average-pool, plus a 1x1 pooled shortcut."""

    def __init__(self, filters: int, downsample: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.downsample = downsample
        self.conv1 = layers.Conv2D(filters, 3, padding="same")
        self.conv2 = layers.Conv2D(filters, 3, padding="same")
        self.skip = layers.Conv2D(filters, 1)
        self.pool = layers.AveragePooling2D(2) if downsample else None

    def build(self, shape):
        self.conv1.build(shape)
        self.conv2.build((*shape[:-1], self.filters))
        self.skip.build(shape)

    def call(self, x):
        h = self.conv2(ops.relu(self.conv1(ops.relu(x))))
        s = self.skip(x)
        if self.pool is not None:
            h, s = self.pool(h), self.pool(s)
        return h + s

    def compute_output_shape(self, shape):
        f = 2 if self.downsample else 1
        return (shape[0], shape[1] // f if shape[1] else None, shape[2] // f if shape[2] else None, self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "downsample": self.downsample}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Blur(layers.Layer):
    """A fixed [1, 2, 1] x [1, 2, 1] / 16 low-pass per channel, edges reflected.

    Its response is zero at the Nyquist frequency, so a pattern that repeats
    every 2 pixels (what depth-to-space leaves where its sub-pixel channels
    disagree) cannot pass; the layers after it are shift-equivariant and
    cannot make one again (StyleGAN2's filtered upsampling, in its simplest form).
    """

    def build(self, input_shape):
        taps = np.array([1.0, 2.0, 1.0], "float32")
        kernel = np.outer(taps, taps) / 16.0
        self.kernel = np.tile(kernel[:, :, None, None], (1, 1, input_shape[-1], 1))   # a constant, not a weight

    def call(self, x):
        x = ops.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="reflect")
        return ops.depthwise_conv(x, ops.cast(self.kernel, x.dtype), strides=1, padding="valid")

    def compute_output_shape(self, shape):
        return shape


@keras.saving.register_keras_serializable(package=PACKAGE)
class SubPixelAverage(keras.initializers.Initializer):
    """1x1 kernel (block^2 * c0 -> 3) that averages the RGB copies in a space-to-depth layout.

    The generator's stem keeps RGB in channels 0-2 of its `stem_channels`;
    after space-to-depth the same channel sits at k * stem_channels + c for
    every sub-pixel k. Averaging them is average pooling, so an MSG-GAN RGB
    head initialised this way starts as the downsampled full-resolution image.
    """

    def __init__(self, stem_channels: int = 8):
        self.stem_channels = stem_channels

    def __call__(self, shape, dtype=None):
        _, _, cin, cout = shape
        kernel = np.zeros(shape, dtype="float32")
        subpixels = cin // self.stem_channels
        for k in range(subpixels):
            for c in range(cout):
                kernel[0, 0, k * self.stem_channels + c, c] = 1.0 / subpixels
        return ops.convert_to_tensor(kernel, dtype=dtype)

    def get_config(self):
        return {"stem_channels": self.stem_channels}


@keras.saving.register_keras_serializable(package=PACKAGE)
class ConditioningAugmentation(layers.Layer):
    """StackGAN/T2F conditioning augmentation: c -> (mu, log_var) -> mu + exp(log_var / 2) * eps.

    eps is an input (not drawn inside), so the same seed always gives the same
    face; the KL term to N(0, I) is computed from the returned mu and log_var.
    """

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = layers.Dense(2 * units)

    def build(self, c_shape, eps_shape=None):
        self.dense.build(c_shape)

    def call(self, c, eps):
        mu, log_var = ops.split(self.dense(c), 2, axis=-1)
        log_var = ops.clip(log_var, -10.0, 10.0)
        return mu + ops.exp(0.5 * log_var) * eps, mu, log_var

    def compute_output_shape(self, c_shape, eps_shape=None):
        shape = (c_shape[0], self.units)
        return shape, shape, shape

    def get_config(self):
        return {**super().get_config(), "units": self.units}
