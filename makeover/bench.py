"""`--run bench`: training throughput, the FLOP/s it implies, and the share of a matmul peak.

A benchmark, not a test: it measures on whatever device is present and
appends one row to benchmarks/README.md so results accumulate over time.
"""

from __future__ import annotations

import platform
import resource
import time
from datetime import date
from pathlib import Path

import numpy as np

BENCH_FILE = Path(__file__).resolve().parent.parent / "benchmarks" / "README.md"
HEADER = ("| date | machine | config | batch | images/s | GFLOP/step | GFLOP/s | matmul peak GFLOP/s | "
          "% of peak | peak RSS MB |\n|---|---|---|---|---|---|---|---|---|---|\n")


def matmul_peak(n: int = 2048, repeats: int = 10) -> float:
    """Best float32 GFLOP/s of an n x n matmul, the reference for the training step."""
    import tensorflow as tf

    a = tf.random.normal((n, n))
    b = tf.random.normal((n, n))
    mm = tf.function(lambda x, y: tf.matmul(x, y))
    mm(a, b).numpy()
    best = 0.0
    for _ in range(repeats):
        t = time.perf_counter()
        mm(a, b).numpy()
        best = max(best, 2 * n ** 3 / (time.perf_counter() - t) / 1e9)
    return best


def step_flops(gan, batch: dict) -> float:
    """FLOPs of one compiled train step, counted by TensorFlow's profiler on its graph."""
    import tensorflow as tf
    from tensorflow.python.profiler import model_analyzer, option_builder

    fn = tf.function(gan.train_step)
    graph = fn.get_concrete_function(batch).graph
    opts = option_builder.ProfileOptionBuilder.float_operation()
    opts["output"] = "none"
    return float(model_analyzer.profile(graph, options=opts).total_float_ops)


def run_bench(config: dict, steps: int = 10, warmup: int = 3, record: bool = True) -> dict:
    import tensorflow as tf

    from makeover.data.pipeline import open_source, select_images, training_dataset
    from makeover.train import build_gan

    data, t = config["data"], config["train"]
    conditioned = tuple(data["attributes"])
    source = open_source("synthetic", "train", data["synthetic_size"], t["seed"])
    selection = select_images(source, conditioned, "male", "female")
    gan = build_gan(config, selection.target)
    dataset = training_dataset(source, selection, conditioned, data["image_size"], t["batch_size"], t["seed"])
    # Time the step on a fixed batch so that data loading is not part of the figure.
    batch = next(iter(dataset))
    step = tf.function(gan.train_step)
    for _ in range(warmup):
        step(batch)
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        out = step(batch)
        float(out["g_loss"])
        times.append(time.perf_counter() - t0)
    seconds = float(np.median(times))
    flops = step_flops(gan, batch)
    peak = matmul_peak()
    result = {
        "images_per_s": t["batch_size"] / seconds, "seconds_per_step": seconds,
        "gflop_per_step": flops / 1e9, "gflops": flops / seconds / 1e9, "peak_gflops": peak,
        "percent_of_peak": 100 * flops / seconds / 1e9 / peak,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "batch": t["batch_size"], "image_size": data["image_size"],
        "device": ", ".join(d.device_type for d in tf.config.list_logical_devices()),
    }
    if record:
        append_row(result, config)
    return result


def machine() -> str:
    import os

    return f"{platform.machine()} {os.cpu_count()} cores, {platform.processor() or platform.system()}"


def append_row(r: dict, config: dict) -> None:
    BENCH_FILE.parent.mkdir(exist_ok=True)
    if not BENCH_FILE.is_file():
        BENCH_FILE.write_text("# Benchmarks\n\nRows appended by `python dm_main.py --run bench`.\n\n" + HEADER)
    label = f"{config['data']['image_size']}px G{config['generator']['base_channels']}x{config['generator']['blocks']} D{config['discriminator']['base_channels']}"
    with open(BENCH_FILE, "a", encoding="utf-8") as f:
        f.write(f"| {date.today()} | {machine()} [{r['device']}] | {label} | {r['batch']} | {r['images_per_s']:.2f} | "
                f"{r['gflop_per_step']:.1f} | {r['gflops']:.1f} | {r['peak_gflops']:.1f} | "
                f"{r['percent_of_peak']:.0f}% | {r['peak_rss_mb']:.0f} |\n")
