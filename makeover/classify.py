"""`--run train --mode classifier`: the evaluation classifier, and using it.

The run folder holds config.json, classifier.keras and classifier.json (the
attributes, image size, and per-attribute accuracy on the held-out split with
each attribute's majority-class rate beside it, so the accuracy means something).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import numpy as np

from makeover.attributes import CELEBA_ATTRIBUTES
from makeover.config import save_json
from makeover.data.pipeline import image_stream, open_source
from makeover.viz import to_float

log = logging.getLogger(__name__)

ROBUSTNESS_PROBE_EPS = 2.0  # the L2 radius classifier.json's attacked accuracy is measured at (64 px scale)


def train_classifier(config: dict, out: str | Path, name: str, fallback_to_synthetic: bool = True) -> Path:
    import keras
    import tensorflow as tf

    from makeover.models.classifier import AdversarialTraining, ClassifierSpec, build_classifier
    from makeover.train import _spec, new_run_dir, ordered_data_ok

    data, c = config["data"], config["classifier"]
    size, seed = data["image_size"], config["train"]["seed"]
    source = open_source(data["dataset"], "train", data["synthetic_size"], seed, fallback_to_synthetic)
    names = tuple(a for a in CELEBA_ATTRIBUTES if a in source.attributes and _labelled(source, a))
    run = new_run_dir(out, name)
    save_json(config, run / "config.json")
    log.info("%s; classifier on %d attributes; run folder %s", source.describe(), len(names), run)

    keras.utils.set_random_seed(seed)
    model = build_classifier(_spec(ClassifierSpec, c, image_size=size, num_attributes=len(names)))
    eps = c.get("adversarial_eps", 0.0)
    trainer = AdversarialTraining(model, eps, c.get("adversarial_steps", 3)) if eps > 0 else model
    steps = max(1, len(source) // c["batch_size"])
    trainer.compile(keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(c["lr"], c["epochs"] * steps)),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy")])
    stream = image_stream(source, np.arange(len(source)), names, size, seed, 0)
    ds = stream.map(lambda x, y: (x, (y + 1.0) / 2.0)).batch(c["batch_size"], drop_remainder=True)
    if c.get("augment"):  # the judge: photo-like variation that no pixel-scale pattern survives (data/augment.py)
        from makeover.data.augment import augment_faces

        ds = ds.map(lambda x, y: (augment_faces(x), y), num_parallel_calls=tf.data.AUTOTUNE)
    t0 = time.time()
    with ordered_data_ok():
        trainer.fit(ds.prefetch(tf.data.AUTOTUNE), epochs=c["epochs"], steps_per_epoch=steps,
                  verbose=1 if os.isatty(2) else 2)
    wall = time.time() - t0

    held_out = open_source(data["dataset"], "test", max(64, data["synthetic_size"] // 10), seed,
                           fallback_to_synthetic)
    accuracy = attribute_accuracy(model, held_out, names, size)
    accuracy["attacked"] = attacked_accuracy(model, held_out, names, size, ROBUSTNESS_PROBE_EPS)
    val = _val_accuracy(model, data, names, size, seed, fallback_to_synthetic)
    path = run / "classifier.keras"
    inference_only(model).save(path)
    save_json({"attributes": list(names), "image_size": size, "dataset": data["dataset"],
               "train_images": len(source), "epochs": c["epochs"], "augment": bool(c.get("augment")),
               "wall_seconds": round(wall, 1), "held_out_split": "test", "held_out_images": len(held_out),
               **accuracy, **val}, run / "classifier.json")
    log.info("mean accuracy on the test split: %.3f (majority baseline %.3f); %.3f under an L2 attack of %.1f",
             accuracy["mean_accuracy"], accuracy["mean_majority"], accuracy["attacked"]["mean_accuracy"],
             ROBUSTNESS_PROBE_EPS)
    return run


def _val_accuracy(model, data: dict, names, size: int, seed: int, fallback_to_synthetic: bool) -> dict:
    """{"val": mean accuracy on the validation split} where the data set has one, else {}."""
    from makeover.data.celeba import DatasetError

    try:
        val = open_source(data["dataset"], "val", max(64, data["synthetic_size"] // 10), seed, fallback_to_synthetic)
    except DatasetError:  # a CelebA folder without list_eval_partition.txt
        return {}
    result = attribute_accuracy(model, val, names, size)
    return {"val": {"images": len(val), "mean_accuracy": result["mean_accuracy"],
                    "mean_majority": result["mean_majority"]}}


def inference_only(model):
    """A copy without the optimizer state (a third of the file), for shipping."""
    import keras

    return keras.Model(model.inputs[0], model.outputs[0], name=model.name)  # same layers, never compiled


def _labelled(source, attribute: str) -> bool:
    """Synthetic faces label only what they draw: skip attributes that never vary."""
    column = source.values[:, list(source.attributes).index(attribute)]
    return len(np.unique(column)) > 1


def labelled_faces(source, names: tuple[str, ...], size: int, limit: int | None = None):
    """(uint8 faces, their -1/+1 labels of `names`) for the first `limit` faces of `source` that load."""
    n = len(source) if limit is None else min(limit, len(source))
    columns = [list(source.attributes).index(a) for a in names]
    images, labels = [], []
    for i in range(n):
        image = source.load(i, size)
        if image is not None:
            images.append(image)
            labels.append(source.values[i, columns])
    return np.stack(images), np.array(labels)


def attribute_accuracy(model, source, names: tuple[str, ...], size: int, limit: int | None = None) -> dict:
    """Per-attribute accuracy of `model` on `source`, with the majority-class rate as a baseline."""
    images, labels = labelled_faces(source, names, size, limit)
    predicted = np.sign(predict_logits(model, images))
    acc = (predicted == labels).mean(0)
    majority = np.maximum((labels > 0).mean(0), (labels < 0).mean(0))
    return {"per_attribute": {a: {"accuracy": round(float(x), 4), "majority": round(float(m), 4)}
                              for a, x, m in zip(names, acc, majority)},
            "mean_accuracy": round(float(acc.mean()), 4), "mean_majority": round(float(majority.mean()), 4)}


def attacked_accuracy(model, source, names: tuple[str, ...], size: int, eps: float, steps: int = 10,
                      limit: int = 256) -> dict:
    """Mean accuracy on the first `limit` faces of `source` once each is moved by a 10-step L2 attack
    of radius `eps` (images in [-1, 1]; 2.0 at 64 px is an RMS change of 0.018, 1% of the range):
    how much a faint pattern, the kind G learns to draw for a guide, can change the verdict."""
    from makeover.models.classifier import pgd_l2

    images, labels = labelled_faces(source, names, size, limit)
    correct = []
    for i in range(0, len(images), 64):
        x, y = to_float(images[i:i + 64]), (labels[i:i + 64] + 1.0) / 2.0
        moved = pgd_l2(model, x, y.astype(np.float32), eps, steps)
        correct.append(np.sign(np.asarray(model(moved, training=False))) == labels[i:i + 64])
    return {"eps": eps, "steps": steps, "faces": len(images),
            "mean_accuracy": round(float(np.concatenate(correct).mean()), 4)}


def predict_logits(model, images_uint8: np.ndarray, batch: int = 256) -> np.ndarray:
    out = []
    for i in range(0, len(images_uint8), batch):
        out.append(np.asarray(model(to_float(images_uint8[i:i + batch]), training=False)))
    return np.concatenate(out)


def load_classifier(path):
    """(keras model, metadata) from classifier.keras (+ classifier.json) or a folder holding it."""
    from makeover.inference import load_model

    return load_model(path, "classifier.keras")
