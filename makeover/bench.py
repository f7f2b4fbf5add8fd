"""`--run bench`: training throughput, the FLOP/s it implies and the share of a matmul peak;
transform cold start and warm photos/s; generate faces/s; peak memory.

A benchmark, not a test: it measures on whatever device is present and
appends rows to benchmarks/README.md (training) and benchmarks/inference.md
so results accumulate over time.
"""

from __future__ import annotations

import contextlib
import logging
import platform
import resource
import time
from datetime import date
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
BENCH_FILE = Path(__file__).resolve().parent.parent / "benchmarks" / "README.md"
INFERENCE_FILE = BENCH_FILE.with_name("inference.md")
INFERENCE_HEADER = ("| date | machine | model | transform cold s (1024x768) | transform warm photos/s | "
                    "faces found | generate faces/s (batch 64) | peak RSS MB |\n|---|---|---|---|---|---|---|---|\n")
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


# ---------------------------------------------------------------- inference

def photo_1024x768(photos: list[Path], folder: Path) -> Path:
    """A 1024x768 copy of the first wild photo that is at least that large (else the largest)."""
    import cv2

    from makeover.imageio import Photo, read_image, write_image

    best = max(photos[:50], key=lambda p: np.prod(read_image(p).rgb.shape[:2]))
    rgb = cv2.resize(read_image(best).rgb, (1024, 768), interpolation=cv2.INTER_AREA)
    return write_image(folder / "bench_1024x768.jpg", Photo(rgb, None))


# The transform paths timed side by side: (name, --runtime, --detector).
PATHS = (("keras+mtcnn", "keras", "mtcnn"), ("litert+auto", "auto", "auto"))


def transform_cold_seconds(photo: Path, checkpoint: Path, folder: Path, runtime: str, detector: str) -> float:
    """Wall time of the whole CLI in a fresh process, as a user would see it."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    t = time.perf_counter()
    subprocess.run([sys.executable, str(root / "dm_main.py"), "--run", "transform", str(photo), "--text", "smiling",
                    "--checkpoint", str(checkpoint), "--out", str(folder / "cold.jpg"), "--runtime", runtime,
                    "--detector", detector], check=True, capture_output=True)
    return time.perf_counter() - t


def transform_warm(photos: list[Path], checkpoint: Path, runtime: str, detector: str) -> tuple[float, int]:
    """(photos/s, faces found) for reading (ahead, as transform does), detecting, editing and pasting back,
    model loaded once."""
    from makeover.edit import FaceEditor, NoFaceError
    from makeover.imageio import read_ahead, read_image

    editor = FaceEditor.load(checkpoint, runtime=runtime, detector=detector)
    vector = np.zeros(len(editor.conditioned), np.float32)
    vector[0] = 1.0
    with contextlib.suppress(NoFaceError):
        editor.edit(read_image(photos[0]), vector)  # warm-up
    found, t = 0, time.perf_counter()
    for _, photo in read_ahead(photos):
        try:
            editor.edit(photo.result(), vector)
            found += 1
        except NoFaceError:
            pass
    return len(photos) / (time.perf_counter() - t), found


def generate_faces_per_s(config: dict, batch: int = 64, repeats: int = 3) -> float:
    """Faces/s of the text path at `batch` (untrained weights: the speed does not depend on them)."""
    from makeover.generate import draw, make_noise
    from makeover.models.networks import GeneratorSpec, TextPathSpec, build_generator, build_text_to_face
    from makeover.train import _spec

    spec = _spec(GeneratorSpec, config["generator"], image_size=config["data"]["image_size"],
                 num_attributes=len(config["data"]["attributes"]))
    generator = build_generator(spec)
    text = build_text_to_face(spec, _spec(TextPathSpec, config["text"]), generator.get_layer("core"),
                              generator.get_layer("decoder"))
    c = np.zeros((batch, spec.num_attributes), np.float32)
    z, eps = make_noise(0, batch, text.inputs[1].shape[-1], text.inputs[2].shape[-1])
    draw(text, c, z, eps)
    t = time.perf_counter()
    for _ in range(repeats):
        draw(text, c, z, eps)
    return batch * repeats / (time.perf_counter() - t)


def bench_model(checkpoint, config: dict) -> Path:
    """The model to time: --checkpoint, the shipped one, or an untrained export of the config
    (the speed does not depend on the weights)."""
    import json
    import tempfile

    from makeover.inference import DEFAULT_MODEL
    from makeover.models.networks import GeneratorSpec, build_generator
    from makeover.train import _spec

    path = Path(checkpoint) if checkpoint else DEFAULT_MODEL
    if (path / "generator.keras").is_file() or path.suffix == ".keras":
        return path
    folder = Path(tempfile.mkdtemp(prefix="makeover-bench-")) / "untrained"
    folder.mkdir()
    data = config["data"]
    spec = _spec(GeneratorSpec, config["generator"], image_size=data["image_size"],
                 num_attributes=len(data["attributes"]))
    build_generator(spec).save(folder / "generator.keras")
    (folder / "generator.json").write_text(json.dumps({"attributes": data["attributes"],
                                                       "image_size": data["image_size"]}))
    from makeover.inference import export_lite_generator

    export_lite_generator(folder, check_inputs=4)
    return folder


def run_inference_bench(config: dict, checkpoint: Path, photos_dir: Path | None, limit: int = 100,
                        record: bool = True) -> dict:
    import subprocess
    import tempfile

    from makeover.imageio import list_images

    """Time generate, and transform cold and warm on each of PATHS, in this one process; a row per path."""
    generate = generate_faces_per_s(config)
    results = []
    for name, runtime, detector in PATHS:
        result = {"model": f"{checkpoint.name} {name}", "generate_faces_per_s": generate}
        if photos_dir is not None and photos_dir.is_dir():
            photos = list_images([photos_dir])[:limit]
            with tempfile.TemporaryDirectory() as tmp:
                big = photo_1024x768(photos, Path(tmp))
                try:
                    result["transform_cold_s"] = transform_cold_seconds(big, checkpoint, Path(tmp), runtime, detector)
                except subprocess.CalledProcessError as e:  # e.g. no face in the chosen photo
                    log.warning("cold transform failed, not timed: %s", e.stderr.decode()[-300:].strip())
            result["transform_photos_per_s"], result["faces_found"] = transform_warm(photos, checkpoint, runtime,
                                                                                     detector)
            result["photos"] = len(photos)
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if record:
            append_inference_row(result)
        results.append(result)
    return results


def append_inference_row(r: dict) -> None:
    if not INFERENCE_FILE.is_file():
        INFERENCE_FILE.write_text("# Inference benchmarks\n\nRows appended by `python dm_main.py --run bench`.\n\n"
                                  + INFERENCE_HEADER)
    cold = f"{r['transform_cold_s']:.2f}" if r.get("transform_cold_s") else "-"
    warm = f"{r['transform_photos_per_s']:.2f}" if "transform_photos_per_s" in r else "-"
    found = f"{r['faces_found']}/{r['photos']}" if "photos" in r else "-"
    with open(INFERENCE_FILE, "a", encoding="utf-8") as f:
        f.write(f"| {date.today()} | {machine()} | {r['model']} | {cold} | {warm} | {found} | "
                f"{r['generate_faces_per_s']:.1f} | {r['peak_rss_mb']:.0f} |\n")
