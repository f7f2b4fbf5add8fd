"""Text to face: draw faces with a trained text path (`--run generate`, and stage-2 training).

Noise is drawn from numpy generators seeded by the user's --seed, never inside
the model, so the same seed gives the same faces on every run and machine.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from makeover.config import save_json
from makeover.prior import AttributePrior

log = logging.getLogger(__name__)

# Rows of the stage-2 sample grid: one description each, the same noise across rows.
SAMPLE_PROMPTS = ("a young woman with blond hair", "an old man with a beard", "a smiling woman with black hair",
                  "a man with glasses", "a young man with brown hair, not smiling", "a woman with bangs and lipstick",
                  "a bald man", "an old woman with gray hair")


def make_noise(seed: int, count: int, noise_dim: int, ca_dim: int) -> tuple[np.ndarray, np.ndarray]:
    """(z, eps) for `count` faces: face i of seed s is the same whatever `count` is."""
    z = np.stack([np.random.default_rng([seed, i, 0]).standard_normal(noise_dim) for i in range(count)])
    eps = np.stack([np.random.default_rng([seed, i, 1]).standard_normal(ca_dim) for i in range(count)])
    return z.astype(np.float32), eps.astype(np.float32)


def draw(model, vectors: np.ndarray, z: np.ndarray, eps: np.ndarray, batch: int = 64) -> np.ndarray:
    """Faces (N x S x S x 3 uint8) for attribute vectors and noise, row by row."""
    from makeover.viz import to_uint8

    out = []
    for i in range(0, len(vectors), batch):
        sl = slice(i, i + batch)
        rgb = model([vectors[sl].astype(np.float32), z[sl], eps[sl]], training=False)[0]
        out.append(to_uint8(np.asarray(rgb)))
    return np.concatenate(out)


class TextToFace:
    """A loaded text_to_face.keras with its metadata."""

    def __init__(self, model, meta: dict):
        self.model = model
        self.meta = meta
        self.conditioned = tuple(meta["attributes"])
        self.size = int(meta.get("image_size") or model.outputs[0].shape[1])
        self.noise_dim = model.inputs[1].shape[-1]
        self.ca_dim = model.inputs[2].shape[-1]
        self.prior = AttributePrior.from_json(meta["prior"]) if meta.get("prior") else None
        if self.prior is not None and self.prior.names != self.conditioned:
            raise ValueError(f"text_to_face.json: the prior's attributes {self.prior.names} are not the "
                             f"model's {self.conditioned}; retrain or re-export the text path")

    @classmethod
    def load(cls, checkpoint: str | Path | None = None) -> "TextToFace":
        from makeover.inference import load_model

        return cls(*load_model(checkpoint, "text_to_face.keras"))

    def faces(self, vectors: np.ndarray, seed: int, same_identity: bool = False, vary: bool = True) -> np.ndarray:
        """One face per vector; with `same_identity` all share the noise of face 0 (a character sheet).
        With `vary`, the attributes a vector leaves open are drawn per face (see `fill_open`)."""
        z, eps = make_noise(seed, 1 if same_identity else len(vectors), self.noise_dim, self.ca_dim)
        if same_identity:
            z, eps = np.repeat(z, len(vectors), 0), np.repeat(eps, len(vectors), 0)
        if vary:
            vectors = self.fill_open(vectors, seed, same_identity)
        return draw(self.model, vectors, z, eps)

    def fill_open(self, vectors: np.ndarray, seed: int, same_identity: bool = False) -> np.ndarray:
        """The open (0) attributes of each vector drawn from the prior (prior.py), as often as they go with
        what was asked in real faces; face i of a seed draws the same whatever the count (`same_identity`:
        every face draws like face 0). Without a prior (older text paths) the vectors come back as they are."""
        from makeover.attributes import apply_conflict_rules

        if self.prior is None:
            return np.asarray(vectors, np.float32)
        rows = [0] * len(vectors) if same_identity else range(len(vectors))
        return apply_conflict_rules(self.prior.fill(vectors, self.prior.draws(seed, rows)), self.conditioned)


def prompt_sheet(t2f: "TextToFace", prompts=SAMPLE_PROMPTS, seeds: int = 8, seed: int = 12345,
                 min_side: int = 64) -> np.ndarray:
    """uint8 grid: one column per identity (noise), one row per description, each face enlarged pixel for
    pixel to at least `min_side` so that a 32 px face can be looked at."""
    from makeover.text import parse_text
    from makeover.viz import enlarge, image_grid

    vectors = np.stack([parse_text(p, t2f.conditioned).vector for p in prompts])
    return image_grid([enlarge(t2f.faces(vectors, seed + k, same_identity=True), min_side) for k in range(seeds)])


def interpolation(a: np.ndarray, b: np.ndarray, steps: int) -> np.ndarray:
    """Attribute vectors from a to b (GAN-INT-CLS: the condition is interpolated, the noise kept)."""
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
    return (1.0 - t) * a[None] + t * b[None]


# ---------------------------------------------------------------- stage-2 training

def train_text_to_face(config: dict, out: str | Path, name: str, resume: str | Path | None, base: str | Path | None,
                       fallback_to_synthetic: bool = True, init_from: str | Path | None = None) -> Path:
    """Train the text path on top of a trained makeover generator (see models/text_gan.py). `init_from` (a text
    run folder or checkpoint) starts a new run from its weights, optimizer state and step count, on its base,
    under this config (e.g. a second stage with other loss weights); config.json records it as `init_from`."""
    from makeover.config import ConfigError
    from makeover.data.pipeline import open_source
    from makeover.inference import load_generator, resolve_model
    from makeover.train import (find_init, init_record, kept_only_if_started, load_guide, prepare_run,
                                read_run_config, run_folder)

    if config["text"].get("guide", 0) > 0 and not config["train"].get("guide"):
        raise ConfigError(f"text.guide = {config['text']['guide']} needs a classifier: set train.guide to one (a run "
                          f"folder of --mode classifier, e.g. configs/guide64_robust.toml's) or text.guide = 0.")
    init_ckpt = find_init(init_from) if init_from else None
    if init_ckpt is not None:
        if not init_ckpt.name.endswith(".weights.h5"):
            raise ConfigError(f"--init {init_from}: --mode generate starts from a text run's checkpoint "
                              f"(a run folder or ckpt-*.weights.h5), not {init_ckpt.name}")
        base = base or read_run_config(run_folder(init_ckpt) / "config.json")["text"]["base"]
        config = {**config, **init_record(init_ckpt)}
    if resume:
        run, config = prepare_run(config, out, name, resume)
    else:
        config["text"]["base"] = str(resolve_model(base or config["text"]["base"] or None, "generator.keras"))
    data, t, tc = config["data"], config["train"], config["text"]
    generator, meta = load_generator(tc["base"])
    conditioned, size = tuple(meta["attributes"]), int(meta["image_size"])
    data["attributes"], data["image_size"] = list(conditioned), size
    guide = load_guide(config) if tc.get("guide", 0) > 0 else None
    source = open_source(data["dataset"], "train", data["synthetic_size"], t["seed"], fallback_to_synthetic)
    if not resume:  # the base, guide and data are readable: only now a run folder
        run, config = prepare_run(config, out, name, resume)
    with kept_only_if_started(run, new=not resume):
        return _fit_text_path(run, config, generator, conditioned, size, guide, source, resume, init_ckpt)


def _fit_text_path(run, config, generator, conditioned, size, guide, source, resume, init_ckpt=None) -> Path:
    """train_text_to_face's work once the run folder exists."""
    import keras
    import tensorflow as tf

    from makeover.data.pipeline import image_stream
    from makeover.models.networks import (DiscriminatorSpec, GeneratorSpec, TextPathSpec, build_msg_discriminator,
                                          build_text_to_face)
    from makeover.models.text_gan import TextLossSpec, TextToFaceGAN
    from makeover.train import (_spec, adam_pair, fit_run, load_checkpoint, load_latest_checkpoint, make_callbacks,
                                make_strategy)

    data, t, tc = config["data"], config["train"], config["text"]
    log.info("%s; text path on top of %s; run folder %s", source.describe(), tc["base"], run)

    with make_strategy(t["strategy"]).scope():
        core, decoder = generator.get_layer("core"), generator.get_layer("decoder")
        # Frozen: the path learns to reach what the decoder renders. Tuned: they learn with it, inside
        # text_to_face.keras only; the makeover generator's own file is never written.
        core.trainable = decoder.trainable = bool(tc.get("tune_decoder", False))   # absent in older runs
        gspec = GeneratorSpec(image_size=size, num_attributes=len(conditioned),
                              base_channels=decoder.outputs[2].shape[-1] // 4)
        keras.utils.set_random_seed(t["seed"])
        text_model = build_text_to_face(gspec, _spec(TextPathSpec, tc), core, decoder)
        d = build_msg_discriminator(_spec(DiscriminatorSpec, config["discriminator"], image_size=size,
                                          num_attributes=len(conditioned)))
        gan = TextToFaceGAN(text_model, d, _spec(TextLossSpec, tc), seed=t["seed"])
        gan.set_encoder(generator.get_layer("encoder"))
        if guide is not None:
            gan.set_guides(guide)
        gan.compile(*adam_pair(t, tc["g_lr"], tc["d_lr"]))
    if resume:
        load_latest_checkpoint(gan, run)
    elif init_ckpt is not None:
        load_checkpoint(gan, init_ckpt)
        log.info("started from %s at step %d", init_ckpt, gan.steps_done())

    prior = AttributePrior.fit(conditioned, source.values[:, [list(source.attributes).index(a) for a in conditioned]])
    meta = {"attributes": list(conditioned), "prior": prior.to_json()}

    def export():
        path = run / "text_to_face.keras"
        tmp = run / "text_to_face.tmp.keras"
        with gan.averaged_generator():
            text_model.save(tmp)
        tmp.replace(path)
        save_json({"attributes": list(conditioned), "image_size": size, "steps": gan.steps_done(),
                   "dataset": data["dataset"], "base": tc["base"], "ema": t.get("g_ema", 0.0), "time": time.time(),
                   "prior": meta["prior"]},
                  run / "text_to_face.json")

    if gan.steps_done() >= t["steps"]:
        export()
        return run
    start = gan.steps_done() * t["batch_size"]
    stream = image_stream(source, np.arange(len(source), dtype=np.int32), conditioned, size, t["seed"] * 2 + 3, start)
    dataset = stream.batch(t["batch_size"], drop_remainder=True).prefetch(tf.data.AUTOTUNE)

    def render():
        return prompt_sheet(TextToFace(text_model, meta))

    callbacks = make_callbacks(gan, run, config, t["steps"], render)
    return fit_run(gan, dataset, run, config, callbacks, source, export)
