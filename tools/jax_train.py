"""Train a makeover generator on a GPU machine that has JAX but no TensorFlow (Keras 3's JAX backend).

Our own machines have no GPU, and the GPU machines lent here have JAX and PyTorch but no
TensorFlow (nor room to carry it: 64 MiB travels with the repo). The networks
(makeover.models.networks), the losses (makeover.losses) and the recipe that combines them
(makeover.models.recipe: targets, annealing, the sums for L_G and L_D) are backend-neutral
Keras, so this tool runs MakeoverGAN.train_step's step as one jitted JAX function: the same G
and D, targets, terms and weights, with Keras's Adam and G's moving average written out and R1
as a nested grad. What differs: random draws come from jax.random (not the TF run's stream),
and faces are drawn with replacement.

Three steps, run where each can run:

    # here (no JAX needed): the train split as JPEGs, the guide, the resolved config
    # (--init checkpoints/celeba64 to start from a generator instead of the identity)
    python tools/jax_train.py prepare --config configs/celeba64.toml --dataset ../shared/data/celeba_sample \
        --guide runs/00000-guide64-robust --out gpu/celeba64
    # there: KERAS_BACKEND=jax, Keras itself carried as wheels (keras, namex, optree: see the device
    # tool's README), for a wall-clock budget; --set overrides the config
    KERAS_BACKEND=jax python tools/jax_train.py train gpu/celeba64 --seconds 400 \
        --set generator.base_channels=16 --out $OUT/b16
    # here again: a run folder that `--run evaluate --checkpoint` and `--run train --init` read
    python tools/jax_train.py import $OUT/b16 --out runs/00018-celeba64-gpu-b16

The weights travel as float32 .npz parts under 15 MiB each (the device returns files of at
most 16 MiB). Seen on an H200: compilation 66-70 s, then 28 steps/s at batch 32 for each of
two base-16 generators trained side by side.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import click
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PART_BYTES = 15 * 2 ** 20


# ---------------------------------------------------------------- weights in parts

def save_parts(weights: list[np.ndarray], prefix: Path) -> list[Path]:
    """`weights` (a model's get_weights() order) as prefix.partN.npz files of at most PART_BYTES each."""
    parts, current, size = [], [], 0
    for w in weights:
        if current and size + w.nbytes > PART_BYTES:
            parts.append(current)
            current, size = [], 0
        current.append(np.asarray(w, np.float32))
        size += w.nbytes
    parts.append(current)
    paths = []
    for i, part in enumerate(parts):
        path = prefix.with_name(f"{prefix.name}.part{i}.npz")
        np.savez(path, *part)
        paths.append(path)
    return paths


def load_parts(prefix: Path) -> list[np.ndarray]:
    paths = sorted(prefix.parent.glob(f"{prefix.name}.part*.npz"), key=lambda p: int(p.suffixes[-2][5:]))
    if not paths:
        raise click.ClickException(f"no {prefix.name}.part*.npz in {prefix.parent}")
    weights = []
    for path in paths:
        with np.load(path) as f:
            weights += [f[f"arr_{i}"] for i in range(len(f.files))]
    return weights


def save_jpegs(images: np.ndarray, path: Path, quality: int = 95) -> None:
    """RGB uint8 images as JPEG bytes in one .npz: the CelebA train split at 64 px is 56 MB raw and
    12.9 MiB so (38.3 dB from the raw crops), which fits the 64 MiB that travels with the repo."""
    import cv2
    encoded = [cv2.imencode(".jpg", im[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])[1].ravel() for im in images]
    np.savez(path, data=np.concatenate(encoded), ends=np.cumsum([len(e) for e in encoded]))


def load_jpegs(path: Path) -> np.ndarray:
    import cv2
    with np.load(path) as f:
        data, ends = f["data"], f["ends"]
    starts = np.concatenate([[0], ends[:-1]])
    return np.stack([cv2.imdecode(data[s:e], cv2.IMREAD_COLOR)[..., ::-1] for s, e in zip(starts, ends)])


def parse_sets(sets: tuple[str, ...]) -> dict:
    """--set section.key=value (value read as JSON, else as a string) -> nested overrides."""
    from makeover.config import ConfigError
    from makeover.config import parse_sets as parse

    try:
        return parse(sets)
    except ConfigError as e:
        raise click.BadParameter(str(e), param_hint="--set") from None


def build_generator_for(config: dict):
    """G as the config's [generator] section and data describe it (train.build_gan's way)."""
    from makeover.models.networks import GeneratorSpec, build_generator
    from makeover.train import _spec

    size, k = config["data"]["image_size"], len(config["data"]["attributes"])
    return build_generator(_spec(GeneratorSpec, config["generator"], image_size=size, num_attributes=k))


# ---------------------------------------------------------------- prepare (here)

@click.group()
def main():
    """Train on a JAX-only GPU machine: prepare here, train there, import here."""


@main.command()
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), required=True,
              help="The training config (TOML over configs/default.toml), or a run's config.json.")
@click.option("--dataset", required=True, help="A CelebA folder, or 'synthetic' for the built-in faces.")
@click.option("--guide", type=click.Path(exists=True, file_okay=False), default=None,
              help="Classifier run folder used as the guide (default: the config's train.guide).")
@click.option("--init", "init", type=click.Path(exists=True), default=None,
              help="A generator.keras (or a folder holding one) to start G from; default: identity init.")
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Folder to write (carry it).")
def prepare(config_path, dataset, guide, init, out):
    """Write OUT/{faces.npz, attrs.npy, config.json, guide.keras, guide.json[, init.*.npz]}."""
    from makeover.classify import labelled_faces
    from makeover.config import load_config, merge
    from makeover.data.pipeline import open_source
    from makeover.train import guide_paths

    if config_path.endswith(".json"):  # a run's resolved config, over today's defaults (newer keys)
        saved = json.loads(Path(config_path).read_text())
        defaults = load_config(None)
        config = merge(defaults, {k: v for k, v in saved.items() if k in defaults})
    else:
        config = load_config(config_path)
    if dataset != "synthetic" and not Path(dataset).is_dir():
        raise click.BadParameter(f"no folder {dataset}: give a CelebA folder or 'synthetic'", param_hint="--dataset")
    config["data"]["dataset"] = dataset
    if config["loss"].get("paired", 0) > 0:
        raise click.BadParameter("this tool has no counterfactual stream: set loss.paired = 0, or train with "
                                 "dm_main.py --run train", param_hint="--config")
    guides = [guide] if guide else guide_paths(config["train"]["guide"])
    if len(guides) != 1:
        raise click.BadParameter(f"this tool trains with one guide, and train.guide names {len(guides)} "
                                 f"({guides}): pass one with --guide", param_hint="--guide")
    guide = Path(guides[0])
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    source = open_source(dataset, "train", config["data"]["synthetic_size"])
    size = config["data"]["image_size"]
    images, labels = labelled_faces(source, tuple(config["data"]["attributes"]), size)  # unreadable ones skipped
    save_jpegs(images, out / "faces.npz")
    np.save(out / "attrs.npy", labels.astype(np.float32))
    shutil.copy(guide / "classifier.keras", out / "guide.keras")
    shutil.copy(guide / "classifier.json", out / "guide.json")
    config["train"]["guide"] = str(guide)
    if init:
        from makeover.inference import load_model
        generator, meta = load_model(init, "generator.keras")
        save_parts(generator.get_weights(), out / "init")
        config["init_from"] = str(init)
    (out / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True))
    click.echo(f"{len(images)} train faces at {size} px ({source.describe()}) -> {out}")


# ---------------------------------------------------------------- train (there)

def adam(params, grads, m, v, t, lr, b1, b2, eps=1e-7):
    """Keras's Adam: m, v moments; step alpha = lr sqrt(1 - b2^t) / (1 - b1^t) at t >= 1."""
    import jax.numpy as jnp
    m = [b1 * mi + (1 - b1) * g for mi, g in zip(m, grads)]
    v = [b2 * vi + (1 - b2) * g * g for vi, g in zip(v, grads)]
    alpha = lr * jnp.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    return [p - alpha * mi / (jnp.sqrt(vi) + eps) for p, mi, vi in zip(params, m, v)], m, v


def make_step(generator, discriminator, guide, config: dict, flip_logits, guide_columns):
    """A jitted function running `n` training steps (lax.scan) from a state; see MakeoverGAN.train_step."""
    import jax
    import jax.numpy as jnp

    from makeover import losses
    from makeover.models.recipe import (LossSpec, annealed_weights, discriminator_loss, flip_targets,
                                        generator_loss, reconstruction_error)

    spec, t = LossSpec(**config["loss"]), config["train"]
    attrs = list(config["data"]["attributes"])
    batch = t["batch_size"]
    ema = t.get("g_ema", 0.0)

    def G(gp, x, c):
        return generator.stateless_call(gp, [], [x, c], training=True)[0]

    def D(dp, x, c):
        return discriminator.stateless_call(dp, [], [x, c], training=True)[0]

    def judge(guide_state, x):
        logits = guide.stateless_call(*guide_state, x, training=False)[0]
        return logits[:, guide_columns]

    def targets(key, src_y):
        k1, k2, k3 = jax.random.split(key, 3)
        dropped = jax.random.uniform(k1, src_y.shape) < spec.keep_prob
        which = jax.random.categorical(k2, flip_logits, shape=(src_y.shape[0],))
        extra = jax.random.uniform(k3, src_y.shape) < spec.extra_flips
        return flip_targets(src_y, which, extra, dropped, attrs)

    def self_targets(key, src_y):
        k1, k2 = jax.random.split(key)
        rate = jax.random.uniform(k1, (src_y.shape[0], 1))
        return jnp.where(jax.random.uniform(k2, src_y.shape) < rate, 0.0, src_y)

    def draw(key, images, labels):
        k1, k2 = jax.random.split(key)
        index = jax.random.randint(k1, (batch,), 0, images.shape[0])
        x = images[index].astype(jnp.float32) / 127.5 - 1.0
        flip = jax.random.uniform(k2, (batch, 1, 1, 1)) < 0.5
        return jnp.where(flip, x[:, :, ::-1], x), labels[index]

    def one_step(state, key, data, guide_state):
        gp, dp, gm, gv, dm, dv, g_ema, step = state
        images, labels = data
        keys = jax.random.split(key, 5)
        src_x, src_y = draw(keys[0], images, labels)
        real_x, real_y = draw(keys[1], images, labels)
        c = targets(keys[2], src_y)
        c_eff = jnp.where(c != 0, c, src_y)
        c_back = jnp.where(c != 0, src_y, 0.0)
        a, w_pixel, w_adv = annealed_weights(step, spec)
        n = batch

        def g_loss_fn(gp):
            both = G(gp, jnp.concatenate([src_x, src_x]), jnp.concatenate([c, self_targets(keys[3], src_y)]))
            fake = both[:n]
            self_recon = reconstruction_error(both[n:], src_x)
            logits, cls = D(dp, jnp.concatenate([src_x, fake]), jnp.concatenate([real_y, c_eff]))
            g_adv = losses.g_hinge(logits[n:])
            g_cls = losses.edit_loss(cls[n:], cls[:n], c, src_y)
            judged = judge(guide_state, jnp.concatenate([fake, src_x]))
            g_guide = losses.edit_loss(judged[:n], judged[n:], c, src_y)
            cycle = reconstruction_error(G(gp, fake, c_back), src_x)
            pixel = reconstruction_error(fake, src_x)
            phase = losses.subpixel_phase(fake - src_x)
            terms = {"pixel": pixel, "phase": phase, "g_adv": g_adv, "g_cls": g_cls, "g_guide": g_guide,
                     "cycle": cycle, "self_recon": self_recon}
            g_loss = generator_loss(terms, spec, a, w_pixel, w_adv)
            return g_loss, (fake, {"g_loss": g_loss, **terms})

        (_, (fake, g_values)), g_grads = jax.value_and_grad(g_loss_fn, has_aux=True)(gp)
        fake = jax.lax.stop_gradient(fake)

        def d_loss_fn(dp):
            def real_sum(rx):  # R1 differentiates D's realness on the real images
                logits, cls = D(dp, jnp.concatenate([rx, src_x, fake]), jnp.concatenate([real_y, real_y, c_eff]))
                return jnp.sum(logits[:n]), (logits, cls)
            (_, (logits, cls)), real_grads = jax.value_and_grad(real_sum, has_aux=True)(real_x)
            d_adv = losses.d_hinge(logits[:n], logits[2 * n:], logits[n:2 * n])
            d_cls = 0.5 * (losses.attribute_bce(cls[:n], real_y) + losses.attribute_bce(cls[n:2 * n], src_y))
            drift = losses.drift_penalty(logits[:n])
            r1 = losses.r1_penalty(real_grads)
            terms = {"d_adv": d_adv, "d_cls": d_cls, "r1": r1, "drift": drift}
            d_loss = discriminator_loss(terms, spec)
            return d_loss, {"d_loss": d_loss, **terms}

        (_, d_values), d_grads = jax.value_and_grad(d_loss_fn, has_aux=True)(dp)
        count = (step + 1).astype(jnp.float32)
        gp, gm, gv = adam(gp, g_grads, gm, gv, count, t["g_lr"], t["beta_1"], t["beta_2"])
        dp, dm, dv = adam(dp, d_grads, dm, dv, count, t["d_lr"], t["beta_1"], t["beta_2"])
        if ema > 0:
            g_ema = [ema * e + (1 - ema) * p for e, p in zip(g_ema, gp)]
        return (gp, dp, gm, gv, dm, dv, g_ema, step + 1), {**g_values, **d_values}

    def steps(state, key, data, guide_state, n: int):
        keys = jax.random.split(key, n)
        state, values = jax.lax.scan(lambda s, k: one_step(s, k, data, guide_state), state, keys)
        return state, jax.tree_util.tree_map(jnp.mean, values)

    return jax.jit(steps, static_argnames="n", donate_argnums=0)


@main.command()
@click.argument("prepared", type=click.Path(exists=True, file_okay=False))
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Folder for the weights and the log.")
@click.option("--seconds", type=click.FloatRange(min=1), default=300.0, show_default=True,
              help="Wall-clock budget from start to the last step (compilation included).")
@click.option("--steps", "max_steps", type=click.IntRange(min=1), default=10 ** 9, help="Stop after this many.")
@click.option("--chunk", type=click.IntRange(min=1), default=50, show_default=True,
              help="Steps per jitted call (one log line each --log-every).")
@click.option("--log-every", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option("--set", "sets", multiple=True, help="Config override section.key=value (JSON value), repeatable.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--guide", "guide_dir", type=click.Path(exists=True, file_okay=False), default=None,
              help="A classifier folder (classifier.keras + .json) to guide with instead of the prepared one.")
@click.option("--init", "init", type=click.Path(exists=True), default=None,
              help="A generator.keras (or a folder holding one, e.g. checkpoints/celeba64) to start G from, "
                   "instead of the prepared one or the identity.")
def train(prepared, out, seconds, max_steps, chunk, log_every, sets, seed, guide_dir, init):
    """Train for --seconds; write OUT/generator.part*.npz (G's moving average) and OUT/run.json (config, log)."""
    start = time.time()
    import jax
    import keras

    import makeover.models.classifier  # noqa: F401  (registers what the guide needs)
    import makeover.models.layers  # noqa: F401
    from makeover.config import merge
    from makeover.models.recipe import flip_log_weights
    from makeover.models.networks import DiscriminatorSpec, build_discriminator
    from makeover.train import _spec

    prepared, out = Path(prepared), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    config = merge(json.loads((prepared / "config.json").read_text()), parse_sets(sets))
    size, names = config["data"]["image_size"], config["data"]["attributes"]
    keras.utils.set_random_seed(seed)
    generator = build_generator_for(config)
    discriminator = build_discriminator(_spec(DiscriminatorSpec, config["discriminator"], image_size=size,
                                              num_attributes=len(names)))
    if init:
        init = Path(init) / "generator.keras" if Path(init).is_dir() else Path(init)
        generator.set_weights(keras.saving.load_model(init).get_weights())
        config["init_from"] = str(init)
    elif (prepared / "init.part0.npz").exists():
        generator.set_weights(load_parts(prepared / "init"))
    guide_file, guide_meta = ((Path(guide_dir) / "classifier.keras", Path(guide_dir) / "classifier.json") if guide_dir
                              else (prepared / "guide.keras", prepared / "guide.json"))
    guide = keras.saving.load_model(guide_file)
    guide_names = json.loads(guide_meta.read_text())["attributes"]
    if guide_dir:
        config["train"]["guide"] = str(guide_dir)
    guide_columns = np.array([guide_names.index(a) for a in names])
    flip_logits = flip_log_weights(config["loss"]["flip_weights"], names)
    flip_logits = np.zeros(len(names), np.float32) if flip_logits is None else flip_logits
    if config["loss"].get("diffaugment", 0) > 0:
        raise click.ClickException("this trainer runs the shipped recipe only: loss.diffaugment = 0")
    if generator.non_trainable_variables or discriminator.non_trainable_variables:
        raise click.ClickException("G and D must have no non-trainable state (batch statistics) here")

    step_fn = make_step(generator, discriminator, guide, config, flip_logits, guide_columns)
    zeros = lambda vs: [jax.numpy.zeros(v.shape, v.dtype) for v in vs]  # noqa: E731
    copies = lambda vs: [jax.numpy.array(v.value, copy=True) for v in vs]  # noqa: E731  (the state is donated)
    gp, dp = copies(generator.trainable_variables), copies(discriminator.trainable_variables)
    state = (gp, dp, zeros(gp), zeros(gp), zeros(dp), zeros(dp), copies(generator.trainable_variables),
             jax.numpy.int32(0))
    data = (jax.device_put(load_jpegs(prepared / "faces.npz")), jax.device_put(np.load(prepared / "attrs.npy")))
    guide_state = ([v.value for v in guide.trainable_variables], [v.value for v in guide.non_trainable_variables])
    key, done, log = jax.random.PRNGKey(seed), 0, []
    print(f"{jax.devices()[0]}: {len(data[0])} faces, G {generator.count_params():,} params, "
          f"D {discriminator.count_params():,}, batch {config['train']['batch_size']}", flush=True)
    first = None
    while done < max_steps and time.time() - start < seconds:
        key, sub = jax.random.split(key)
        state, values = step_fn(state, sub, data, guide_state, n=chunk)
        done += chunk
        if first is None:
            jax.block_until_ready(values)
            first = time.time()
            print(f"compiled and ran {chunk} steps in {first - start:.0f} s", flush=True)
        if done % log_every == 0:
            record = {"step": done, "seconds": round(time.time() - start, 1),
                      **{k: round(float(v), 5) for k, v in values.items()}}
            log.append(record)
            rate = (done - chunk) / max(time.time() - first, 1e-9)
            print(f"step {done} ({rate:.0f} steps/s): " + " ".join(
                f"{k} {record[k]:.4f}" for k in ("g_loss", "pixel", "g_guide", "self_recon", "d_loss", "r1")),
                flush=True)
    final = state[6] if config["train"].get("g_ema", 0) > 0 else state[0]
    for variable, value in zip(generator.trainable_variables, final):
        variable.assign(value)
    save_parts(generator.get_weights(), out / "generator")
    # one file beside the weights: the device returns at most 8
    (out / "run.json").write_text(json.dumps({"config": config, "steps": done, "seconds": round(time.time() - start, 1),
                                              "ema": config["train"].get("g_ema", 0.0), "device": str(jax.devices()[0]),
                                              "log": log}, indent=1))
    print(f"{done} steps in {time.time() - start:.0f} s -> {out}", flush=True)


# ---------------------------------------------------------------- import (here)

@main.command(name="import")
@click.argument("trained", type=click.Path(exists=True, file_okay=False))
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Run folder to write.")
def import_(trained, out):
    """Turn a trained OUT folder into a run folder with generator.keras and generator.json."""
    from makeover.config import save_json
    from makeover.train import generator_meta

    trained, out = Path(trained), Path(out)
    meta = json.loads((trained / "run.json").read_text())
    config = meta["config"]
    generator = build_generator_for(config)
    generator.set_weights(load_parts(trained / "generator"))
    out.mkdir(parents=True, exist_ok=True)
    generator.save(out / "generator.keras")
    save_json({**config, "trainer": {"tool": "tools/jax_train.py", "device": meta["device"], "steps": meta["steps"],
                                     "seconds": meta["seconds"]}}, out / "config.json")
    save_json(generator_meta(config, meta["steps"]), out / "generator.json")
    (out / "stats.jsonl").write_text("".join(json.dumps(r) + "\n" for r in meta["log"]))
    click.echo(f"{trained} ({meta['steps']} steps) -> {out / 'generator.keras'}")


if __name__ == "__main__":
    main()
