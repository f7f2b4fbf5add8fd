"""Face sources (CelebA on disk, synthetic) and the tf.data streams that feed training.

A stream is a deterministic function of (seed, start position): epoch e visits
the selected images in the order of `default_rng([seed, e]).permutation(n)`,
and random flips are keyed on each sample's position. A run resumed at step s
therefore starts its streams at position s * batch and sees exactly what an
uninterrupted run would have seen. Only the selected indices (int32) and one
epoch's permutation are held in memory; images are read as they are needed.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from makeover.attributes import (CELEBA_ATTRIBUTES, AttributeError_, apply_conflict_rules, explain_empty_selection,
                                 flip_targets, parse_expression, select, terms_to_vector)
from makeover.data import celeba
from makeover.data.synthetic import SyntheticFaces
from makeover.data.template import CELEBA_FRAME, CROP_SIZE, CROP_X, CROP_Y

log = logging.getLogger(__name__)


class CelebASource:
    """Aligned CelebA images: decode, crop the face square (see template.py), resize."""

    def __init__(self, root: str | Path, split: str | None = "train"):
        self.root = Path(root)
        self.table = celeba.load_celeba(self.root, split)
        self.attributes = self.table.attributes
        self.values = self.table.values
        self.skipped = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.table)

    def describe(self) -> str:
        return f"CelebA at {self.root} ({len(self)} images)"

    def load(self, i: int, size: int) -> np.ndarray | None:
        path = self.root / celeba.IMAGE_DIR / self.table.names[i]
        data = np.fromfile(path, dtype=np.uint8) if path.is_file() else np.zeros(0, np.uint8)
        image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
        if image is None:
            with self._lock:
                self.skipped += 1
                if self.skipped == 1:
                    log.warning("unreadable image %s skipped (further ones are counted and "
                                "reported at the end)", path)
            return None
        return crop_celeba(image[..., ::-1], size)


def crop_celeba(image_rgb: np.ndarray, size: int) -> np.ndarray:
    """The template's face square of an aligned CelebA frame at any scale (178x218, or celeba_large's
    89x109), resized to size x size the way a photo's face is (faces.crop_face: at CelebA scale, 148 px,
    then INTER_AREA).

    The frame's pixel centres map exactly onto the full-size frame's, so the same face cropped from a
    half-size copy matches its full-size crop within JPEG noise (tests/test_celeba.py); at full size the
    warp is a whole-pixel shift, an exact copy of the square.
    """
    h, w = image_rgb.shape[:2]
    sx, sy = w / CELEBA_FRAME[0], h / CELEBA_FRAME[1]
    # a pixel centre u + 0.5 of this frame is at (u + 0.5) / s in the full-size one; minus the crop's corner
    to_crop = np.array([[1 / sx, 0, 0.5 / sx - 0.5 - CROP_X], [0, 1 / sy, 0.5 / sy - 0.5 - CROP_Y]])
    square = cv2.warpAffine(image_rgb, to_crop, (CROP_SIZE, CROP_SIZE), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REFLECT_101)
    return cv2.resize(square, (size, size), interpolation=cv2.INTER_AREA)


class SyntheticSource:
    """The built-in synthetic faces (see synthetic.py)."""

    def __init__(self, size: int = 20000, seed: int = 0, split: str | None = "train"):
        # Identities are disjoint across splits: train, val and test use other seeds.
        offset = {"train": 0, "val": 1, "test": 2, None: 0}[split]
        self.faces = SyntheticFaces(size, seed=seed * 10 + offset)
        self.attributes = CELEBA_ATTRIBUTES
        self.values = self.faces.values
        self.skipped = 0

    def __len__(self) -> int:
        return len(self.faces)

    def describe(self) -> str:
        return f"synthetic faces ({len(self)} identities)"

    def load(self, i: int, size: int) -> np.ndarray:
        return self.faces.image(i, size)


def open_source(dataset: str, split: str | None = "train", synthetic_size: int = 20000,
                seed: int = 0, fallback_to_synthetic: bool = False):
    """`dataset` is 'synthetic' or a CelebA folder; an absent default folder falls back."""
    if dataset == "synthetic":
        return SyntheticSource(synthetic_size, seed, split)
    if fallback_to_synthetic and not Path(dataset).exists():
        log.warning("no data set at '%s'; using the built-in synthetic faces "
                    "(pass --dataset PATH for CelebA)", dataset)
        return SyntheticSource(synthetic_size, seed, split)
    return CelebASource(dataset, split)


@dataclass
class Selection:
    """Which images feed each stream, and the target vector in source->target mode."""

    src_indices: np.ndarray
    real_indices: np.ndarray
    target: np.ndarray | None  # over the conditioned attributes; None = multi-attribute

    def describe(self) -> str:
        mode = "multi-attribute" if self.target is None else "source->target"
        return f"{mode}: {len(self.src_indices)} source images, {len(self.real_indices)} target images"


def select_images(source, conditioned: tuple[str, ...], source_expr: str | None,
                  target_expr: str | None) -> Selection:
    """Resolve --source/--target expressions against the source's labels."""
    everything = np.arange(len(source), dtype=np.int32)
    if not source_expr and not target_expr:
        return Selection(everything, everything, None)
    if not (source_expr and target_expr):
        raise AttributeError_("give both --source and --target (or neither, for multi-attribute training)")
    picked = []
    for expr in (source_expr, target_expr):
        terms = parse_expression(expr, tuple(source.attributes))
        mask = select(source.values, terms, tuple(source.attributes))
        if not mask.any():
            raise AttributeError_(explain_empty_selection(source.values, expr, terms, tuple(source.attributes)))
        picked.append((terms, np.flatnonzero(mask).astype(np.int32)))
    (_, src), (target_terms, real) = picked
    target = terms_to_vector(target_terms, conditioned)
    if not target.any():
        raise AttributeError_(f"target '{target_expr}' sets none of the conditioned attributes "
                              f"({', '.join(conditioned)})")
    return Selection(src, real, defining_attributes(source, conditioned, src, real, target))


# An attribute the target set nearly always shows, and the source set often does not, is part of what
# the target is: "female" is also "no beard". Left at 0 ("keep"), D's pairing and its attribute head
# asked G to keep the man's beard on the woman.
DEFINING_SHARE = 0.99   # at least this share of the target images has the value ...
SOURCE_SHARE = 0.9      # ... and under this share of the source images


def defining_attributes(source, conditioned: tuple[str, ...], src: np.ndarray, real: np.ndarray,
                        target: np.ndarray) -> np.ndarray:
    """`target` with its 0s set where the target images define the attribute (see DEFINING_SHARE)."""
    names = list(source.attributes)
    out = target.copy()
    for k, name in enumerate(conditioned):
        if out[k] != 0 or name not in names:
            continue
        column = names.index(name)
        value = 1.0 if np.mean(source.values[real, column] > 0) >= 0.5 else -1.0
        if (np.mean(source.values[real, column] == value) >= DEFINING_SHARE
                and np.mean(source.values[src, column] == value) < SOURCE_SHARE):
            out[k] = value
    implied = apply_conflict_rules(out, conditioned)
    for k in np.flatnonzero(implied != target):
        log.info("target also asks %s%s: the target images nearly all show it, the source images often do not",
                 "" if implied[k] > 0 else "!", conditioned[k])
    return implied


def stream_positions(n: int, seed: int, start: int):
    """Yield (index into the selection, global position) forever, from position `start`."""
    epoch, offset = divmod(start, n)
    while True:
        order = np.random.default_rng([seed, epoch]).permutation(n)
        for k in range(offset, n):
            yield int(order[k]), epoch * n + k
        epoch, offset = epoch + 1, 0


def image_stream(source, indices: np.ndarray, conditioned: tuple[str, ...], image_size: int,
                 seed: int, start: int, flip: bool = True):
    """tf.data stream of (image in [-1, 1], attributes in {-1, +1}) from `source`."""
    import tensorflow as tf

    columns = [list(source.attributes).index(a) for a in conditioned]
    attrs = source.values[indices][:, columns].astype(np.float32)

    def generate():
        for k, position in stream_positions(len(indices), seed, start):
            yield int(indices[k]), attrs[k], position

    def load(index):
        image = source.load(int(index), image_size)
        if image is None:
            return np.zeros((image_size, image_size, 3), np.uint8), False
        return image, True

    def tf_load(index, attributes, position):
        image, ok = tf.numpy_function(load, [index], [tf.uint8, tf.bool], stateful=False)
        image.set_shape((image_size, image_size, 3))
        ok.set_shape(())
        return image, attributes, position, ok

    def finish(image, attributes, position, ok):
        image = tf.cast(image, tf.float32) / 127.5 - 1.0
        if flip:
            u = tf.random.stateless_uniform((), seed=tf.stack([tf.cast(seed, tf.int64), position]))
            image = tf.cond(u < 0.5, lambda: tf.reverse(image, axis=[1]), lambda: image)
        return image, attributes

    signature = (tf.TensorSpec((), tf.int64), tf.TensorSpec((len(conditioned),), tf.float32),
                 tf.TensorSpec((), tf.int64))
    ds = tf.data.Dataset.from_generator(generate, output_signature=signature)
    ds = ds.map(tf_load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    ds = ds.filter(lambda image, attributes, position, ok: ok)
    return ds.map(finish, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def counterfactual_stream(source, indices: np.ndarray, conditioned: tuple[str, ...], image_size: int,
                          seed: int, start: int, flip_log_weights: np.ndarray | None = None):
    """tf.data stream of (face, request, truth) from synthetic `source`: a face in [-1, 1], one of its
    attributes flipped as `evaluate` asks for counterfactuals (attributes.flip_targets: the rest 0 =
    keep, conflict rules applied), and the same identity drawn with that request (exact). The one
    flipped attribute is drawn in proportion to exp(flip_log_weights), uniformly when None; both
    images share one random mirror. Keyed on position, as image_stream is."""
    import tensorflow as tf

    faces = getattr(source, "faces", None)
    if faces is None:
        raise ValueError(f"exact counterfactuals exist only for the synthetic faces, not for {source.describe()}")
    columns = [list(source.attributes).index(a) for a in conditioned]
    attrs = source.values[indices][:, columns].astype(np.float32)
    weights = None if flip_log_weights is None else np.exp(flip_log_weights)
    p = None if weights is None else weights / weights.sum()

    def generate():
        for k, position in stream_positions(len(indices), seed, start):
            which = np.random.default_rng([seed, position]).choice(len(conditioned), p=p)
            c = flip_targets(attrs[k][None], int(which), conditioned)[0]
            yield int(indices[k]), c, position

    def render(index, c):
        overrides = {a: int(v) for a, v in zip(conditioned, c) if v != 0}
        return faces.image(int(index), image_size), faces.image(int(index), image_size, overrides)

    def finish(index, c, position):
        x, truth = tf.numpy_function(render, [index, c], [tf.uint8, tf.uint8], stateful=False)
        pair = tf.cast(tf.stack([x, truth]), tf.float32) / 127.5 - 1.0
        pair.set_shape((2, image_size, image_size, 3))
        u = tf.random.stateless_uniform((), seed=tf.stack([tf.cast(seed, tf.int64), position]))
        pair = tf.cond(u < 0.5, lambda: tf.reverse(pair, axis=[2]), lambda: pair)
        return pair[0], c, pair[1]

    signature = (tf.TensorSpec((), tf.int64), tf.TensorSpec((len(conditioned),), tf.float32),
                 tf.TensorSpec((), tf.int64))
    ds = tf.data.Dataset.from_generator(generate, output_signature=signature)
    return ds.map(finish, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def training_dataset(source, selection: Selection, conditioned: tuple[str, ...], image_size: int,
                     batch_size: int, seed: int, start_step: int = 0, pairs: bool = False,
                     flip_log_weights: np.ndarray | None = None):
    """Batches of {src_image, src_attrs, real_image, real_attrs} from step `start_step` on; with
    `pairs` (synthetic data only) also {pair_image, pair_attrs, pair_truth} (counterfactual_stream)."""
    import tensorflow as tf

    start = start_step * batch_size
    src = image_stream(source, selection.src_indices, conditioned, image_size, seed * 2 + 1, start)
    real = image_stream(source, selection.real_indices, conditioned, image_size, seed * 2 + 2, start)
    streams = [src.batch(batch_size, drop_remainder=True), real.batch(batch_size, drop_remainder=True)]
    if pairs:
        streams.append(counterfactual_stream(source, selection.src_indices, conditioned, image_size, seed * 2 + 3,
                                             start, flip_log_weights).batch(batch_size, drop_remainder=True))

    def named(s, r, *pair):
        batch = {"src_image": s[0], "src_attrs": s[1], "real_image": r[0], "real_attrs": r[1]}
        if pair:
            batch.update(zip(("pair_image", "pair_attrs", "pair_truth"), pair[0]))
        return batch

    return tf.data.Dataset.zip(*streams).map(named).prefetch(tf.data.AUTOTUNE)
