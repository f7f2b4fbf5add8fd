"""The evaluation classifier: predicts attributes from an aligned face crop.

It is trained apart from the GAN (never by the discriminator's loss), so it
can judge the GAN's edits and generated faces without having shaped them
(issue 5), and `describe` uses it to put a face into words. A VGG-style net
(two conv-BN-ReLU per stage, max-pooling down to 4x4, global average pooling,
dropout, one logit per attribute): batch norm matters here, a first version
without it barely beat the majority class after 8 epochs.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
from keras import layers


@dataclass(frozen=True)
class ClassifierSpec:
    image_size: int = 64
    num_attributes: int = 40
    base_channels: int = 32


def build_classifier(spec: ClassifierSpec) -> keras.Model:
    x = keras.Input((spec.image_size, spec.image_size, 3), name="image")
    h, size, ch, i = x, spec.image_size, spec.base_channels, 0
    while size > 4:
        for j in range(2):
            h = layers.Conv2D(ch, 3, padding="same", use_bias=False, name=f"conv{i}_{j}")(h)
            h = layers.BatchNormalization(name=f"bn{i}_{j}")(h)
            h = layers.ReLU(name=f"relu{i}_{j}")(h)
        h = layers.MaxPooling2D(2, name=f"pool{i}")(h)
        size, ch, i = size // 2, min(ch * 2, 512), i + 1
    h = layers.GlobalAveragePooling2D(name="gap")(h)
    h = layers.Dropout(0.3, name="dropout")(h)
    logits = layers.Dense(spec.num_attributes, name="logits")(h)
    return keras.Model(x, logits, name="classifier")


class AdversarialTraining(keras.Model):
    """Trains `classifier` on L2 PGD adversarial examples (Madry et al. 2018):

        min_theta E[ max_{||delta||_2 <= eps} BCE(f_theta(x + delta), y) ]

    A classifier trained so is hard to fool with a faint pattern, and its input
    gradients look like the attribute (Santurkar et al. 2019, "Image synthesis
    with a single robust classifier"). That is what a guide needs: the plain
    guide paid G for a dot band over the eyes that classifiers read as glasses
    and people do not. Wraps the classifier for fit();
    save the classifier, never this wrapper.
    """

    def __init__(self, classifier: keras.Model, eps: float, steps: int = 3, **kwargs):
        super().__init__(**kwargs)
        self.classifier, self.eps, self.steps = classifier, float(eps), int(steps)

    def call(self, x, training=False):
        return self.classifier(x, training=training)

    def train_step(self, data):
        x, y, weight = keras.utils.unpack_x_y_sample_weight(data)
        # Attacked in training mode, the function being trained (batch-norm statistics lag early on).
        x_adv = pgd_l2(self.classifier, x, y, self.eps, self.steps, training=True)
        return super().train_step((x_adv, y, weight))  # the metrics are on the attacked faces


def pgd_l2(classifier, x, y, eps: float, steps: int, training: bool = False):
    """The faces x (in [-1, 1]) moved to raise the classifier's BCE against labels y (0/1):
    `steps` normalised-gradient steps of size 2.5 eps / steps, each projected back onto the
    L2 ball of radius eps around x and into [-1, 1] (Madry et al.'s PGD)."""
    import tensorflow as tf

    delta, size = tf.zeros_like(x), 2.5 * eps / steps
    for _ in range(steps):
        with tf.GradientTape() as tape:
            tape.watch(delta)
            logits = classifier(x + delta, training=training)
            loss = tf.reduce_mean(keras.losses.binary_crossentropy(y, logits, from_logits=True))
        g = tape.gradient(loss, delta)
        delta = delta + size * g / (_l2(g) + 1e-12)
        delta = delta * tf.minimum(1.0, eps / (_l2(delta) + 1e-12))
        delta = tf.clip_by_value(x + delta, -1.0, 1.0) - x
    return tf.stop_gradient(x + delta)


def _l2(t):
    """Per-example L2 norm, shaped to broadcast against the batch."""
    from keras import ops

    return ops.sqrt(ops.sum(ops.square(t), axis=(1, 2, 3), keepdims=True))
