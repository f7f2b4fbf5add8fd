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
