"""The command line: `python dm_main.py --run <command> ...` (or `makeover <command> ...`).

TensorFlow is imported only inside the commands that need it, so `--help`
answers at once.
"""

from __future__ import annotations

import logging
import os
import sys

import click

DEFAULT_DATASET = "dataset"


def _quiet_tensorflow() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # oneDNN kernels were the fastest measured on these CPUs at 64 px (see benchmarks/).
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")


def _user_errors():
    """Exceptions that are the user's to fix: shown as one line, no traceback."""
    from makeover.attributes import AttributeError_
    from makeover.config import ConfigError
    from makeover.data.celeba import DatasetError

    return (AttributeError_, ConfigError, DatasetError, FileNotFoundError)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("-v", "--verbose", is_flag=True, help="Show debug messages.")
def cli(verbose: bool) -> None:
    """makeover: edit faces from plain-language attributes; draw faces from text.

    Run a command as `python dm_main.py --run COMMAND [OPTIONS]`, e.g.

      python dm_main.py --run train --source male --target female
    """
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format="makeover: %(message)s")
    _quiet_tensorflow()


@cli.command()
@click.option("--dataset", default=DEFAULT_DATASET, show_default=True,
              help="CelebA folder (list_attr_celeba.txt, img_align_celeba/) or 'synthetic'. "
                   "If the default folder is absent, the built-in synthetic faces are used.")
@click.option("--source", help="Images to edit, e.g. 'male' or 'Male,!Eyeglasses,!Blurry'.")
@click.option("--target", help="What they should become, e.g. 'female' or '!Male,Smiling'.")
@click.option("--preset", help="Named source/target pair from configs/presets.toml (m2f, f2m, m2m, f2f).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="TOML merged over configs/default.toml (e.g. configs/gpu.toml).")
@click.option("--steps", type=click.IntRange(1), help="Total training steps [config: 300].")
@click.option("--batch-size", type=click.IntRange(1), help="Global batch size [config: 16].")
@click.option("--image-size", type=click.IntRange(16, 1024), help="Square image size, a multiple of 16 [config: 64].")
@click.option("--out", default="runs", show_default=True, type=click.Path(file_okay=False),
              help="Folder that receives the run folder NNNNN-<name>/.")
@click.option("--name", help="Run name [default: from source/target, or 'multi'].")
@click.option("--resume", type=click.Path(exists=True), help="Run folder (or checkpoint) to continue.")
@click.option("--seed", type=int, help="Seed for weights, data order and sampling [config: 0].")
@click.option("--strategy", type=click.Choice(["default", "mirrored", "multiworker"]),
              help="tf.distribute strategy: one device, all local GPUs, or workers from TF_CONFIG.")
def train(dataset, source, target, preset, config_path, steps, batch_size, image_size, out, name, resume,
          seed, strategy):
    """Train a makeover model (source -> target, or multi-attribute without them)."""
    from makeover.config import load_config, load_preset

    try:
        if preset:
            if source or target:
                raise click.BadParameter("give --preset or --source/--target, not both", param_hint="--preset")
            p = load_preset(preset)
            source, target = p["source"], p["target"]
        overrides = {"data": {"dataset": dataset}, "train": {}}
        for key, value in (("image_size", image_size),):
            if value is not None:
                overrides["data"][key] = value
        for key, value in (("steps", steps), ("batch_size", batch_size), ("seed", seed), ("strategy", strategy)):
            if value is not None:
                overrides["train"][key] = value
        config = load_config(config_path, overrides)
        if config["data"]["image_size"] % 16:
            raise click.BadParameter("must be a multiple of 16 (e.g. 64 or 128)", param_hint="--image-size")
        config["selection"] = {"source": source, "target": target}
        from makeover.train import train as run_training

        run_name = name or (f"{_slug(source)}-to-{_slug(target)}" if source else "multi")
        run = run_training(config, out, run_name, resume, fallback_to_synthetic=dataset == DEFAULT_DATASET)
    except _user_errors() as e:
        raise click.ClickException(str(e)) from None
    except KeyboardInterrupt as e:
        click.echo(f"\nmakeover: {e}" if str(e) else "\nmakeover: interrupted", err=True)
        sys.exit(130)
    click.echo(f"done: {run} (samples in {run / 'samples'}, generator in {run / 'generator.keras'})")


@cli.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="TOML merged over the default config.")
@click.option("--steps", type=click.IntRange(1), default=10, show_default=True, help="Timed training steps.")
@click.option("--batch-size", type=click.IntRange(1), help="Batch size [config: 16].")
@click.option("--record/--no-record", default=True, show_default=True,
              help="Append the result to benchmarks/README.md.")
def bench(config_path, steps, batch_size, record):
    """Measure training images/s, FLOP/s, share of a matmul peak and peak memory."""
    from makeover.config import load_config

    try:
        config = load_config(config_path, {"train": {"batch_size": batch_size}} if batch_size else None)
    except _user_errors() as e:
        raise click.ClickException(str(e)) from None
    from makeover.bench import run_bench

    r = run_bench(config, steps=steps, record=record)
    click.echo(f"training: {r['images_per_s']:.2f} images/s ({r['seconds_per_step']:.2f} s/step at batch "
               f"{r['batch']}, {r['image_size']} px) on {r['device']}")
    click.echo(f"compute:  {r['gflop_per_step']:.1f} GFLOP/step -> {r['gflops']:.1f} GFLOP/s = "
               f"{r['percent_of_peak']:.0f}% of a {r['peak_gflops']:.1f} GFLOP/s float32 matmul peak")
    click.echo(f"memory:   peak RSS {r['peak_rss_mb']:.0f} MB")


def _slug(text: str | None) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in (text or "").lower()).strip("_")[:24] or "x"


def main(argv: list[str] | None = None) -> None:
    """Entry point; `--run COMMAND` selects the command (`makeover COMMAND` works too)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    for i, arg in enumerate(argv):
        if arg == "--run" and i + 1 < len(argv):
            argv = [argv[i + 1]] + argv[:i] + argv[i + 2:]
            break
        if arg.startswith("--run="):
            argv = [arg.split("=", 1)[1]] + argv[:i] + argv[i + 1:]
            break
    # Group-level flags (-v) must precede the command name for click.
    flags = [a for a in argv if a in ("-v", "--verbose")]
    rest = [a for a in argv if a not in ("-v", "--verbose")]
    cli.main(args=flags + rest, prog_name="dm_main.py")
