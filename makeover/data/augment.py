"""Photo-like augmentation for the judge: what real photos vary, and what wipes out pixel-scale patterns.

A classifier trained on unaugmented faces reads a 4-px dot band as glasses:
the cheapest cue on its training set. Trained on faces that were shrunk and brought back,
blurred, re-encoded as JPEG, shifted and recoloured, no such fine pattern survives into its
training signal, so it has to read an attribute from shape and colour, as a person does.

Everything is a TensorFlow op on a batch of float images in [-1, 1] (one draw per image
except the rescale and blur, drawn per batch), for use inside a tf.data pipeline.
"""

from __future__ import annotations

import tensorflow as tf

MIN_SCALE = 0.5       # shrink to a random side in [MIN_SCALE, 1] of the image, then back
MAX_BLUR = 1.0        # Gaussian sigma in px, drawn in [0, MAX_BLUR]
JPEG_QUALITY = (30, 95)
MAX_SHIFT = 3.0       # px, each axis
BRIGHTNESS, CONTRAST, SATURATION = 0.15, 0.2, 0.3


def augment_faces(x: tf.Tensor) -> tf.Tensor:
    """A batch (B, S, S, 3) in [-1, 1] -> the same faces as another camera, lens and encoder might give them."""
    x = _rescale(x)
    x = _blur(x)
    x = _shift(x)
    x = _colour(x)
    return _jpeg(x)


def diff_augment(x: tf.Tensor, shift: float = 0.125) -> tf.Tensor:
    """DiffAugment (Zhao et al. 2020) for a discriminator: T(x) = colour jitter and a shift of up to `shift`
    of the side, drawn per image, differentiable, applied to real and fake alike (D(T(x)) vs D(T(G(z)))).
    No cutout: it can erase the very glasses the attribute head must read."""
    return _colour(_shift(x, shift * tf.cast(tf.shape(x)[1], tf.float32)))


def _rescale(x):
    size = tf.shape(x)[1]
    side = tf.cast(tf.round(tf.cast(size, tf.float32) * tf.random.uniform([], MIN_SCALE, 1.0)), tf.int32)
    small = tf.image.resize(x, [side, side], method="area")
    return tf.image.resize(small, [size, size], method="bilinear")


def _blur(x):
    sigma = tf.random.uniform([], 0.0, MAX_BLUR) + 1e-3
    t = tf.range(-2.0, 3.0)
    k = tf.exp(-0.5 * (t / sigma) ** 2)
    k = k / tf.reduce_sum(k)
    kernel = tf.tile((k[:, None] * k[None, :])[:, :, None, None], [1, 1, 3, 1])
    padded = tf.pad(x, [[0, 0], [2, 2], [2, 2], [0, 0]], mode="REFLECT")
    return tf.nn.depthwise_conv2d(padded, kernel, [1, 1, 1, 1], "VALID")


def _shift(x, max_shift=MAX_SHIFT):
    batch = tf.shape(x)[0]
    d = tf.random.uniform([batch, 2], -max_shift, max_shift)
    one, zero = tf.ones([batch, 1]), tf.zeros([batch, 1])
    # projective transforms [a0 a1 a2 b0 b1 b2 c0 c1]: output (x, y) samples input (x + dx, y + dy)
    transforms = tf.concat([one, zero, d[:, :1], zero, one, d[:, 1:], zero, zero], axis=1)
    return tf.raw_ops.ImageProjectiveTransformV3(images=x, transforms=transforms, output_shape=tf.shape(x)[1:3],
                                                 fill_value=0.0, interpolation="BILINEAR", fill_mode="REFLECT")


def _colour(x):
    batch = tf.shape(x)[0]
    draw = lambda low, high: tf.random.uniform([batch, 1, 1, 1], low, high)  # noqa: E731
    grey = tf.reduce_mean(x, axis=3, keepdims=True)
    x = grey + (x - grey) * draw(1 - SATURATION, 1 + SATURATION)
    mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
    x = mean + (x - mean) * draw(1 - CONTRAST, 1 + CONTRAST)
    return tf.clip_by_value(x + 2 * draw(-BRIGHTNESS, BRIGHTNESS), -1.0, 1.0)


def _jpeg(x):
    def one(image):
        return tf.image.random_jpeg_quality((image + 1.0) / 2.0, *JPEG_QUALITY) * 2.0 - 1.0

    return tf.map_fn(one, x, fn_output_signature=tf.float32)
