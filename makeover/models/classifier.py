"""The evaluation classifier: predicts attributes from an aligned face crop.

It is trained apart from the GAN (never by the discriminator's loss), so it
can judge the GAN's edits and generated faces without having shaped them
(issue 5), and `describe` uses it to put a face into words. A plain ResNet:
stem, four pooled residual blocks down to 4x4, global average pooling, one
logit per attribute.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
from keras import layers, ops

from makeover.models.layers import DownBlock


@dataclass(frozen=True)
class ClassifierSpec:
    image_size: int = 64
    num_attributes: int = 40
    base_channels: int = 24


def build_classifier(spec: ClassifierSpec) -> keras.Model:
    x = keras.Input((spec.image_size, spec.image_size, 3), name="image")
    h = layers.Conv2D(spec.base_channels, 3, padding="same", name="stem")(x)
    size, ch, i = spec.image_size, spec.base_channels, 0
    while size > 4:
        h = DownBlock(ch, name=f"down{i}")(h)
        size, ch, i = size // 2, min(ch * 2, 512), i + 1
    h = layers.GlobalAveragePooling2D(name="pool")(ops.relu(h))
    logits = layers.Dense(spec.num_attributes, name="logits")(h)
    return keras.Model(x, logits, name="classifier")
