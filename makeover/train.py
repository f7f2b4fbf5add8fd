"""`--run train`: a run folder, callbacks (progress, stats, samples, checkpoints), resume.

A run folder `runs/NNNNN-<name>/` holds:
  config.json          the fully resolved config (and the --source/--target used)
  stats.jsonl          one line per step: losses and the annealing weights in force
  samples/             fixed-seed grids, input | outputs, at step 0 and every N steps
  tensorboard/         the same scalars and grids for TensorBoard
  checkpoints/         ckpt-NNNNNNN.weights.h5 (G, D, both optimizers) + .json, last K kept
  generator.keras      the inference generator at the end (+ generator.json metadata)
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import time
import warnings
from dataclasses import fields
from pathlib import Path

import numpy as np

from makeover.config import ConfigError, drop_retired, save_json
from makeover.data.pipeline import Selection, open_source, select_images, training_dataset

log = logging.getLogger(__name__)
CHECKPOINT_RE = re.compile(r"^ckpt-(\d{7})\.weights\.h5$")
# Attributes flipped in the sample grids of multi-attribute runs (those the model has).
SAMPLE_EDITS = ("Male", "Smiling", "Eyeglasses", "Blond_Hair", "Black_Hair", "Young", "Bangs")


def _spec(cls, section: dict, **extra):
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in section.items() if k in names}, **extra)


def make_strategy(name: str):
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        # Every local GPU; on a machine without one, every logical CPU device (for tests).
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy([d.name for d in devices])
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"unknown strategy '{name}' (default, mirrored, multiworker)")


def build_gan(config: dict, target: np.ndarray | None):
    """The compiled MakeoverGAN for `config`; call inside the strategy's scope."""
    import keras

    from makeover.models.gan import LossSpec, MakeoverGAN
    from makeover.models.networks import (DiscriminatorSpec, GeneratorSpec, build_discriminator,
                                          build_generator)

    size, k = config["data"]["image_size"], len(config["data"]["attributes"])
    keras.utils.set_random_seed(config["train"]["seed"])
    generator = build_generator(_spec(GeneratorSpec, config["generator"], image_size=size, num_attributes=k))
    discriminator = build_discriminator(_spec(DiscriminatorSpec, config["discriminator"],
                                              image_size=size, num_attributes=k))
    gan = MakeoverGAN(generator, discriminator, _spec(LossSpec, config["loss"]),
                      target=None if target is None else target.tolist(), seed=config["train"]["seed"],
                      attributes=list(config["data"]["attributes"]))
    t = config["train"]
    gan.compile(*adam_pair(t, t["g_lr"], t["d_lr"]))
    return gan


def adam_pair(t: dict, g_lr: float, d_lr: float):
    """G's and D's Adam optimizers under the [train] settings; with train.g_ema > 0, G's keeps an
    exponential moving average of G's weights (Keras's use_ema; samples and exports use it)."""
    import keras

    ema = {"use_ema": True, "ema_momentum": t["g_ema"]} if t.get("g_ema", 0) > 0 else {}
    return (keras.optimizers.Adam(g_lr, beta_1=t["beta_1"], beta_2=t["beta_2"], **ema),
            keras.optimizers.Adam(d_lr, beta_1=t["beta_1"], beta_2=t["beta_2"]))


def load_guide(config: dict):
    """[(classifier, columns of the conditioned attributes), ...] for train.guide (a folder or .keras,
    or a list of them: an ensemble), each checked against the data; None when the config names none."""
    return [_load_one_guide(p, config) for p in guide_paths(config["train"].get("guide"))] or None


def guide_paths(value) -> list[str]:
    """train.guide as a list of paths: one path, a list of them, or "" / [] for none (empty entries skipped)."""
    return [p for p in ([value] if isinstance(value, str) else value or []) if p]


def _load_one_guide(path: str, config: dict):
    from makeover.classify import load_classifier

    conditioned, image_size = config["data"]["attributes"], config["data"]["image_size"]
    try:
        classifier, meta = load_classifier(path)
    except FileNotFoundError as e:
        raise FileNotFoundError(f"train.guide: {e}. Train the guide first (with --mode classifier; "
                                f"configs/guide64.toml is an example) or set train.guide = \"\" for none.") from None
    names = list(meta.get("attributes", ()))
    missing = [a for a in conditioned if a not in names]
    if missing or meta.get("image_size") != image_size:
        raise ConfigError(f"train.guide {path}: a classifier at {meta.get('image_size')} px on {names}; "
                         f"the run needs {image_size} px and {missing} too. Train one with --mode classifier.")
    return classifier, [names.index(a) for a in conditioned]


# ---------------------------------------------------------------- run folder

def check_paired(config: dict) -> None:
    """loss.paired needs the renderer's exact counterfactuals: synthetic faces only."""
    if config["loss"].get("paired", 0) > 0 and config["data"]["dataset"] != "synthetic":
        raise ConfigError(f"loss.paired needs exact counterfactuals, which only --dataset synthetic has "
                          f"(not {config['data']['dataset']}): set loss.paired = 0 for photos")


def new_run_dir(out: str | Path, name: str) -> Path:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    numbers = [int(p.name[:5]) for p in out.iterdir() if p.is_dir() and p.name[:5].isdigit()]
    run = out / f"{max(numbers, default=-1) + 1:05d}-{name}"
    for sub in ("samples", "checkpoints"):
        (run / sub).mkdir(parents=True)
    return run


def checkpoints(run: Path) -> list[Path]:
    """The run's checkpoints, oldest first (the step is zero-padded, so names sort by step)."""
    return sorted(p for p in (run / "checkpoints").glob("ckpt-*.weights.h5") if CHECKPOINT_RE.match(p.name))


def latest_checkpoint(run: Path) -> Path | None:
    found = checkpoints(run)
    return found[-1] if found else None


def checkpoint_file(run: Path, step: int) -> Path:
    return run / "checkpoints" / f"ckpt-{step:07d}.weights.h5"


def checkpoint_meta(ckpt: Path) -> Path:
    """The .json beside checkpoint `ckpt` ({"step", "time"})."""
    return ckpt.with_name(ckpt.name.replace(".weights.h5", ".json"))


def save_checkpoint(gan, run: Path, keep: int) -> Path:
    """Write G, D and optimizer state atomically (temp file + rename); keep the last `keep`."""
    step = gan.steps_done()
    folder = run / "checkpoints"
    final = checkpoint_file(run, step)
    tmp = folder / f"tmp-{os.getpid()}.weights.h5"
    gan.save_weights(tmp)
    os.replace(tmp, final)
    save_json({"step": step, "time": time.time()}, checkpoint_meta(final))
    old = checkpoints(run)[:-keep]
    for path in old:
        path.unlink(missing_ok=True)
        checkpoint_meta(path).unlink(missing_ok=True)
    return final


def export_generator(gan, config: dict, run: Path) -> Path:
    """Save the inference generator (.keras) and what a user of it needs to know."""
    path = run / "generator.keras"
    tmp = run / "generator.tmp.keras"
    with gan.averaged_generator():
        gan.generator.save(tmp)
    os.replace(tmp, path)
    save_json(generator_meta(config, gan.steps_done(), gan.target), run / "generator.json")
    return path


def export_checkpoint(config: dict, ckpt: Path, folder: Path) -> int:
    """Export the generator of the run checkpoint `ckpt` (trained under `config`) to `folder`; its step."""
    gan = build_gan(config, None)  # the target vector is not part of the weights
    gan.load_weights(ckpt)
    export_generator(gan, config, folder)
    return gan.steps_done()


def generator_meta(config: dict, steps: int, target: list[float] | None = None) -> dict:
    """generator.json: what a user of generator.keras needs to know (also written by tools/jax_train.py).
    A source->target generator was only ever asked for its `target`: transform asks for it by default."""
    names = list(config["data"]["attributes"])
    meta = {"attributes": names, "image_size": config["data"]["image_size"], "steps": steps,
            "dataset": config["data"]["dataset"], "selection": config.get("selection", {}),
            "ema": config["train"].get("g_ema", 0.0)}
    if target is not None:
        meta["target"] = {name: float(v) for name, v in zip(names, target) if v != 0}
    return meta


# ---------------------------------------------------------------- samples

def sample_inputs(source, selection: Selection, conditioned, image_size: int, count: int = 8):
    """A fixed set of source images (the same in every grid of a run, and across resumes)."""
    rng = np.random.default_rng(12345)
    picks = rng.choice(selection.src_indices, size=min(count, len(selection.src_indices)), replace=False)
    columns = [list(source.attributes).index(a) for a in conditioned]
    images, attrs = [], []
    for i in picks:
        image = source.load(int(i), image_size)
        if image is not None:
            images.append(image.astype(np.float32) / 127.5 - 1.0)
            attrs.append(source.values[i, columns].astype(np.float32))
    return np.stack(images), np.stack(attrs)


def sample_targets(attrs: np.ndarray, conditioned, target: np.ndarray | None):
    """Columns of the grid: (title, per-row target vectors)."""
    if target is not None:
        return [("output", np.broadcast_to(target, attrs.shape).copy())]
    from makeover.attributes import flip_targets

    return [("keep", np.zeros_like(attrs))] + [
        (f"flip {name}", flip_targets(attrs, list(conditioned).index(name), tuple(conditioned)))
        for name in SAMPLE_EDITS if name in conditioned]


def render_grid(generator, images, attrs, conditioned, target, target_name: str | None = None) -> np.ndarray:
    """uint8 grid: one row per face, columns input | output(s), enlarged and titled (the source -> target
    column by `target_name`, e.g. "as female")."""
    from makeover.viz import labelled_grid

    columns, titles = [images], ["input"]
    for title, c in sample_targets(attrs, conditioned, target):
        columns.append(np.asarray(generator([images, c], training=False)))
        titles.append(f"as {target_name}" if target_name and title == "output" else title)
    return labelled_grid(columns, titles)


# ---------------------------------------------------------------- callbacks

def make_callbacks(gan, run: Path, config: dict, total_steps: int, render):
    """`render()` returns the uint8 sample grid of the model as it is now."""
    import keras
    import tensorflow as tf
    from tqdm.auto import tqdm

    from makeover.viz import save_png

    t = config["train"]
    batch = t["batch_size"]
    writer = tf.summary.create_file_writer(str(run / "tensorboard"))

    class Training(keras.callbacks.Callback):
        """Progress bar, stats.jsonl, TensorBoard, sample grids and periodic checkpoints."""

        def on_train_begin(self, logs=None):
            self.start_step = gan.steps_done()
            self.bar = tqdm(total=total_steps, initial=self.start_step, unit="step", dynamic_ncols=True,
                            desc="train", disable=None)
            self.stats = open(run / "stats.jsonl", "a", encoding="utf-8")
            self.t0 = self.t_last = time.time()
            if self.start_step == 0:
                self.sample(0)

        def sample(self, step):
            with gan.averaged_generator():
                grid = render()
            save_png(grid, run / "samples" / f"grid-{step:07d}.png")
            with writer.as_default():
                tf.summary.image("samples", grid[None], step=step)

        def on_train_batch_end(self, index, logs=None):
            step = gan.steps_done()
            now = time.time()
            values = {k: float(v) for k, v in (logs or {}).items()}
            rate = batch / max(now - self.t_last, 1e-9)
            self.t_last = now
            self.stats.write(json.dumps({"step": step, "time": round(now - self.t0, 3),
                                         "images_per_s": round(rate, 3), **values}) + "\n")
            self.stats.flush()
            with writer.as_default():
                for k, v in values.items():
                    tf.summary.scalar(f"train/{k}", v, step=step)
            self.bar.update(1)
            shown = {k: f"{values[k]:.3f}" for k in ("g_loss", "d_loss", "pixel", "kl", "w_adv") if k in values}
            self.bar.set_postfix(**shown, ips=f"{rate:.1f}", refresh=False)
            if step % t["sample_every"] == 0 or step == total_steps:
                self.sample(step)
                if self.bar.disable:  # no terminal: a progress line in the log instead
                    done = step - self.start_step
                    eta = (now - self.t0) / max(done, 1) * (total_steps - step)
                    shown = "  ".join(f"{k} {values[k]:.3f}" for k in ("g_loss", "d_loss", "pixel", "kl", "w_adv")
                                      if k in values)
                    log.info("step %d/%d  %s  %.1f images/s  ETA %.0f s", step, total_steps, shown, rate, eta)
            if step % t["checkpoint_every"] == 0 or step == total_steps:
                save_checkpoint(gan, run, t["keep_checkpoints"])

        def on_train_end(self, logs=None):
            self.bar.close()
            self.stats.close()
            writer.flush()

    return [Training()]


# ---------------------------------------------------------------- entry point

@contextlib.contextmanager
def ordered_data_ok():
    """Silence Keras's warning that it won't shuffle a tf.data.Dataset: ours is ordered on purpose."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*shuffle=True.*tf.data.Dataset")
        yield


def run_folder(path: str | Path) -> Path:
    """The run folder of a run folder or of one of its checkpoint files."""
    path = Path(path)
    return path.parent.parent if path.is_file() else path


def saved_steps(resume: str | Path) -> int | None:
    """The step total in the config of the run folder (or checkpoint) `resume`, if it has one."""
    path = run_folder(resume) / "config.json"
    return read_run_config(path)["train"]["steps"] if path.is_file() else None


def read_run_config(path: Path) -> dict:
    """A run folder's config.json; a damaged one is a one-line ConfigError."""
    try:
        config = drop_retired(json.loads(path.read_text(encoding="utf-8")))
        if not isinstance(config["train"]["steps"], int):  # the one key every command reads from it
            raise TypeError("train.steps is not an integer")
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ConfigError(f"{path}: a damaged run config ({type(e).__name__}: {e}); start a new run") from None
    return config


def prepare_run(config: dict, out: str | Path, name: str, resume: str | Path | None):
    """(run folder, config) for a new run, or for the run being resumed."""
    if resume:
        run = run_folder(resume)
        if not (run / "config.json").is_file():
            raise FileNotFoundError(f"--resume: {run} is not a run folder (no config.json)")
        saved = read_run_config(run / "config.json")
        if saved["train"]["steps"] != config["train"]["steps"]:  # an extended run: its config says how far it goes
            saved["train"]["steps"] = config["train"]["steps"]
            save_json(saved, run / "config.json")
        return run, saved
    run = new_run_dir(out, name)
    save_json(config, run / "config.json")
    return run, config


def train(config: dict, out: str | Path = "runs", name: str = "makeover", resume: str | Path | None = None,
          fallback_to_synthetic: bool = True, extra_callbacks: list | None = None,
          init_from: str | Path | None = None) -> Path:
    """Train (or resume) a makeover GAN; returns the run folder.

    `init_from` (a run folder or checkpoint) starts a new run from that
    checkpoint's state, step count included, under `config`; config.json
    records it as `init_from`.

    Ctrl-C stops after the current step, saves a checkpoint and the generator,
    and raises KeyboardInterrupt with a message saying how to resume.
    """
    init_ckpt = find_init(init_from) if init_from else None
    if init_ckpt is not None:
        config = {**config, **init_record(init_ckpt)}
    guide = None if resume else load_guide(config)  # a bad guide: say so before a run folder exists
    if not resume:
        from makeover.models.gan import flip_logits

        flip_logits(config["loss"].get("flip_weights"), config["data"]["attributes"])  # likewise
        check_paired(config)
    if resume:
        run, config = prepare_run(config, out, name, resume)
        guide = load_guide(config)  # the saved config's
    data, t = config["data"], config["train"]
    conditioned = tuple(data["attributes"])
    source = open_source(data["dataset"], "train", data["synthetic_size"], t["seed"], fallback_to_synthetic)
    sel = config.get("selection", {})
    selection = select_images(source, conditioned, sel.get("source"), sel.get("target"))
    if not resume:  # the data is readable and the selection not empty: only now a run folder
        run, config = prepare_run(config, out, name, resume)
    with kept_only_if_started(run, new=not resume):
        return _train_in(run, config, guide, source, selection, resume, init_ckpt, extra_callbacks)


@contextlib.contextmanager
def kept_only_if_started(run: Path, new: bool):
    """A new run folder whose run fails before its first checkpoint is removed: nothing half-written stays."""
    try:
        yield
    except BaseException:
        if new and latest_checkpoint(run) is None:
            shutil.rmtree(run, ignore_errors=True)
        raise


def _train_in(run: Path, config: dict, guide, source, selection, resume, init_ckpt, extra_callbacks) -> Path:
    """train()'s work once the run folder `run` exists (see train)."""
    data, t = config["data"], config["train"]
    conditioned = tuple(data["attributes"])
    log.info("%s; %s; run folder %s", source.describe(), selection.describe(), run)
    strategy = make_strategy(t["strategy"])
    with strategy.scope():
        gan = build_gan(config, selection.target)
    if guide is not None:
        gan.set_guides(guide)
    if resume:
        load_latest_checkpoint(gan, run)
    elif init_ckpt is not None and init_ckpt.suffix == ".keras":
        load_generator_weights(gan, init_ckpt)
        log.info("started from the generator %s; a new discriminator, step 0", init_ckpt)
    elif init_ckpt is not None:
        load_checkpoint(gan, init_ckpt)
        log.info("started from %s at step %d", init_ckpt.name, gan.steps_done())
    start, total = gan.steps_done(), t["steps"]
    if start >= total:
        log.info("run already at step %d of %d: nothing to do", start, total)
        export_generator(gan, config, run)
        return run

    from makeover.models.recipe import flip_log_weights

    pairs = config["loss"].get("paired", 0) > 0  # the pair stream draws its flips as the step does
    dataset = training_dataset(source, selection, conditioned, data["image_size"], t["batch_size"],
                               t["seed"], start_step=start, pairs=pairs,
                               flip_log_weights=flip_log_weights(config["loss"].get("flip_weights"), list(conditioned))
                               if pairs else None)
    sample_batch = sample_inputs(source, selection, conditioned, data["image_size"])

    def render():
        return render_grid(gan.generator, *sample_batch, conditioned, selection.target,
                           config.get("selection", {}).get("target"))

    callbacks = make_callbacks(gan, run, config, total, render) + list(extra_callbacks or [])
    return fit_run(gan, dataset, run, config, callbacks, source, lambda: export_generator(gan, config, run))


def load_checkpoint(gan, path: Path) -> None:
    """gan.load_weights(path), a broken file (truncated, not HDF5, another model's) as a one-line ModelFileError."""
    from makeover.inference import ModelFileError

    try:
        gan.load_weights(path)
    except Exception as e:  # noqa: BLE001 - h5py and Keras raise many kinds for a damaged file
        raise ModelFileError(f"{path}: unreadable checkpoint ({type(e).__name__}: {' '.join(str(e).split())[:160]})") \
            from None


def load_latest_checkpoint(gan, run: Path) -> None:
    """Resume from the newest checkpoint of `run` that loads; damaged newer ones are skipped with a warning."""
    from makeover.inference import ModelFileError

    found = checkpoints(run)
    for path in reversed(found):
        try:
            load_checkpoint(gan, path)
        except ModelFileError as e:
            log.warning("%s; skipped", e)
            continue
        log.info("resumed from %s at step %d", path.name, gan.steps_done())
        return
    if found:
        raise ModelFileError(f"--resume {run}: none of its {len(found)} checkpoints can be read; "
                         "start a new run (or --init from its generator.keras)")


def find_init(init_from: str | Path) -> Path:
    """What --init starts from: a checkpoint file or a run folder's latest checkpoint (the whole GAN),
    else a generator.keras file or a folder holding one, e.g. a shipped model (the generator alone)."""
    path = Path(init_from)
    if path.is_file():
        return path
    ckpt = latest_checkpoint(path) if (path / "checkpoints").is_dir() else None
    if ckpt is None and (path / "generator.keras").is_file():
        return path / "generator.keras"
    if ckpt is None:
        raise FileNotFoundError(f"--init: no checkpoint and no generator.keras in {init_from}")
    return ckpt


def init_record(ckpt: Path) -> dict:
    """What config.json keeps of where an --init run started: the path and, for a generator
    alone, its step count, read now because a shipped generator.keras is later replaced in place."""
    record = {"init_from": str(ckpt)}
    meta = ckpt.with_suffix(".json")
    if ckpt.suffix == ".keras" and meta.is_file():
        record["init_steps"] = json.loads(meta.read_text()).get("steps")
    return record


def load_generator_weights(gan, path: Path) -> None:
    """Copy a saved generator's weights into the GAN's generator (same architecture required).

    The discriminator and both optimizers start fresh, at step 0: restarting Adam's step
    count with empty moments keeps its bias correction honest (see configs/celeba64.toml)."""
    from makeover.inference import ModelFileError, load_model

    saved, _ = load_model(path, "generator.keras", require_meta=False)
    try:
        gan.generator.set_weights(saved.get_weights())
    except ValueError as e:
        raise ModelFileError(f"--init {path}: its generator does not fit this config's [generator] "
                         f"section ({e}); use the config it was trained with") from None


def fit_run(gan, dataset, run: Path, config: dict, callbacks: list, source, export) -> Path:
    """Fit to config's step count; on Ctrl-C save, export and raise with the resume command."""
    t = config["train"]
    interrupted = False
    try:
        with ordered_data_ok():
            gan.fit(dataset, steps_per_epoch=t["steps"] - gan.steps_done(), epochs=1, verbose=0,
                    callbacks=callbacks)
    except KeyboardInterrupt:
        interrupted = True
        callbacks[0].on_train_end()
    path = save_checkpoint(gan, run, t["keep_checkpoints"])
    export()
    if source.skipped:
        log.warning("%d unreadable images were skipped", source.skipped)
    if interrupted:
        raise KeyboardInterrupt(f"stopped at step {gan.steps_done()}; saved {path}. "
                                f"Continue with: --resume {run}")
    return run
