"""The command line: `python dm_main.py --run <command> ...` (or `makeover <command> ...`).

TensorFlow is imported only inside the commands that need it, so `--help`
answers at once.
"""

from __future__ import annotations

import logging
import sys

import click

from makeover.tfload import load_tensorflow as _load_tensorflow
from makeover.tfload import quiet_tensorflow as _quiet_tensorflow

DEFAULT_DATASET = "dataset"


def _default(section: str, key: str):
    """A value of configs/default.toml, for the help text (tomllib: no TensorFlow, a millisecond)."""
    from makeover.config import DEFAULT_CONFIG, read_toml

    return read_toml(DEFAULT_CONFIG)[section][key]

# What the last net in main() says of an exception no command expected (the fuzz tests look for it).
INTERNAL_ERROR = "internal error"


def _user_errors():
    """Exceptions that are the user's to fix: shown as one line, no traceback."""
    from makeover.attributes import AttributeError_
    from makeover.config import ConfigError
    from makeover.data.celeba import DatasetError
    from makeover.imageio import ImageReadError
    from makeover.inference import ModelFileError

    return (AttributeError_, ConfigError, DatasetError, FileNotFoundError, ImageReadError, ModelFileError)


# transform and describe find faces the same way.
DETECTOR_OPTION = click.option(
    "--detector", type=click.Choice(["auto", "blazeface", "mtcnn"]), default="auto", show_default=True,
    help="blazeface: BlazeFace + FaceMesh (milliseconds a photo, no TensorFlow); mtcnn: MTCNN (0.2-0.4 s); "
         "auto: BlazeFace, and MTCNN for photos where it finds no face.")

# transform and evaluate must make edits the same way: one option for both.
RESIDUAL_OPTION = click.option(
    "--residual/--direct", default=True, show_default=True,
    help="residual: add G(x,c) - G(x,0) to the face, the change asked for without G's own error when asked "
         "for nothing (a colour cast, grain); direct: add G(x,c) - x.")


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
@click.option("--mode", type=click.Choice(["makeover", "generate", "classifier"]), default="makeover",
              show_default=True,
              help="makeover: the editing GAN; generate: the text-to-face path on top of a trained makeover "
                   "generator (--base); classifier: the evaluation classifier used by describe/evaluate.")
@click.option("--base", type=click.Path(exists=True),
              help="--mode generate: the makeover run folder or generator.keras whose core and decoder the "
                   "text path reuses (frozen, or tuned in a copy with text.tune_decoder) [default: checkpoints/celeba64].")
@click.option("--dataset",
              help="CelebA folder (list_attr_celeba.txt, img_align_celeba/) or 'synthetic' [config: "
                   f"'{DEFAULT_DATASET}']. If the default folder is absent, the built-in synthetic faces are used.")
@click.option("--source", help="Images to edit, e.g. 'male' or 'Male,!Eyeglasses,!Blurry'.")
@click.option("--target", help="What they should become, e.g. 'female' or '!Male,Smiling'.")
@click.option("--preset", help="Named source/target pair from configs/presets.toml (m2f, f2m, m2m, f2f).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="TOML merged over configs/default.toml (e.g. configs/gpu.toml).")
@click.option("--steps", type=click.IntRange(1), help=f"Total training steps [config: {_default('train', 'steps')}].")
@click.option("--batch-size", type=click.IntRange(1), help=f"Global batch size [config: {_default('train', 'batch_size')}].")
@click.option("--image-size", type=click.IntRange(16, 1024), help=f"Square image size, a multiple of 16 [config: {_default('data', 'image_size')}].")
@click.option("--out", default="runs", show_default=True, type=click.Path(file_okay=False),
              help="Folder that receives the run folder NNNNN-<name>/.")
@click.option("--name", help="Run name [default: from source/target, or 'multi'].")
@click.option("--resume", type=click.Path(exists=True), help="Run folder (or checkpoint) to continue.")
@click.option("--init", "init_from", type=click.Path(exists=True),
              help="Start a new run from this run folder's (or checkpoint's) weights, optimizer state and step "
                   "count, under this run's config (e.g. to go on with other loss weights); --mode makeover also "
                   "from a generator.keras alone (e.g. checkpoints/celeba64), with a new discriminator.")
@click.option("--seed", type=int, help=f"Seed for weights, data order and sampling [config: {_default('train', 'seed')}].")
@click.option("--strategy", type=click.Choice(["default", "mirrored", "multiworker"]),
              help="tf.distribute strategy: one device, all local GPUs, or workers from TF_CONFIG.")
def train(mode, base, dataset, source, target, preset, config_path, steps, batch_size, image_size, out, name, resume,
          init_from, seed, strategy):
    """Train a makeover model (source -> target, or multi-attribute without them)."""
    _load_tensorflow()
    from makeover.config import load_config, load_preset

    try:
        if preset:
            if source or target:
                raise click.BadParameter("give --preset or --source/--target, not both", param_hint="--preset")
            p = load_preset(preset)
            source, target = p["source"], p["target"]
        overrides = {"data": {}, "train": {}}
        for key, value in (("dataset", dataset), ("image_size", image_size)):
            if value is not None:
                overrides["data"][key] = value
        if resume and steps is None:  # go on to the run's own total, not the default's
            from makeover.train import saved_steps

            steps = saved_steps(resume)
        for key, value in (("steps", steps), ("batch_size", batch_size), ("seed", seed), ("strategy", strategy)):
            if value is not None:
                overrides["train"][key] = value
        config = load_config(config_path, overrides)
        if config["data"]["image_size"] % 16:
            raise click.BadParameter("must be a multiple of 16 (e.g. 64 or 128)", param_hint="--image-size")
        fallback = config["data"]["dataset"] == DEFAULT_DATASET  # the default folder only: a named one must exist
        if mode == "classifier":
            from makeover.classify import train_classifier

            run = train_classifier(config, out, name or "classifier", fallback_to_synthetic=fallback)
            click.echo(f"done: {run} (classifier.keras, accuracy in classifier.json)")
            return
        if init_from and resume:
            raise click.BadParameter("give --init (a new run) or --resume (the same run), not both",
                                     param_hint="--init")
        if mode == "generate":
            from makeover.generate import train_text_to_face

            run = train_text_to_face(config, out, name or "text", resume, base, fallback_to_synthetic=fallback,
                                     init_from=init_from)
            click.echo(f"done: {run} (samples in {run / 'samples'}, model in {run / 'text_to_face.keras'})")
            return
        config["selection"] = {"source": source, "target": target}
        from makeover.train import train as run_training

        run_name = name or (f"{_slug(source)}-to-{_slug(target)}" if source else "multi")
        run = run_training(config, out, run_name, resume, fallback_to_synthetic=fallback, init_from=init_from)
    except _user_errors() as e:
        raise click.ClickException(str(e)) from None
    except KeyboardInterrupt as e:
        click.echo(f"\nmakeover: {e}" if str(e) else "\nmakeover: interrupted", err=True)
        sys.exit(130)
    click.echo(f"done: {run} (samples in {run / 'samples'}, generator in {run / 'generator.keras'})")


@cli.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="TOML merged over the default config.")
@click.option("--steps", type=click.IntRange(1), default=10, show_default=True, help="Timed training steps.")
@click.option("--batch-size", type=click.IntRange(1), help=f"Batch size [config: {_default('train', 'batch_size')}].")
@click.option("--record/--no-record", default=True, show_default=True,
              help="Append the results to benchmarks/README.md and benchmarks/inference.md.")
@click.option("--checkpoint", type=click.Path(),
              help="Model for the transform timings [default: checkpoints/celeba64; else an untrained one].")
@click.option("--photos", type=click.Path(file_okay=False), default="../shared/data/celeba_wild_dev/img_celeba",
              show_default=True, help="Folder of photos for the transform timings (skipped if absent).")
@click.option("--photo-limit", type=click.IntRange(2), default=100, show_default=True,
              help="Photos for the warm transform timing (all 482 wild dev photos: 482).")
@click.option("--only", type=click.Choice(["all", "train", "inference"]), default="all", show_default=True)
def bench(config_path, steps, batch_size, record, checkpoint, photos, photo_limit, only):
    """Measure training images/s (FLOP/s, share of a matmul peak), transform cold start and warm
    photos/s, generate faces/s, and peak memory, in one process on whatever device is present."""
    _load_tensorflow()
    from pathlib import Path

    from makeover.config import load_config

    try:
        config = load_config(config_path, {"train": {"batch_size": batch_size}} if batch_size else None)
    except _user_errors() as e:
        raise click.ClickException(str(e)) from None
    from makeover.bench import bench_model, run_bench, run_inference_bench

    if only in ("all", "train"):
        r = run_bench(config, steps=steps, record=record)
        click.echo(f"training: {r['images_per_s']:.2f} images/s ({r['seconds_per_step']:.2f} s/step at batch "
                   f"{r['batch']}, {r['image_size']} px) on {r['device']}")
        click.echo(f"compute:  {r['gflop_per_step']:.1f} GFLOP/step -> {r['gflops']:.1f} GFLOP/s = "
                   f"{r['percent_of_peak']:.0f}% of a {r['peak_gflops']:.1f} GFLOP/s float32 matmul peak")
    if only in ("all", "inference"):
        model = bench_model(checkpoint, config)
        rows = run_inference_bench(config, model, Path(photos), photo_limit, record)
        for r in rows:
            if "photos" in r:
                cold = f"{r['transform_cold_s']:.2f} s" if "transform_cold_s" in r else "not timed"
                click.echo(f"transform ({r['model']}): cold {cold} for one 1024x768 photo (fresh process); warm "
                           f"{r['transform_photos_per_s']:.2f} photos/s; a face in {r['faces_found']}/{r['photos']}")
            else:
                click.echo(f"transform: skipped (no photos at {photos})")
        click.echo(f"generate: {rows[0]['generate_faces_per_s']:.1f} faces/s at batch 64")
    import resource

    click.echo(f"memory:   peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def _batch(files, work, desc: str, max_pixels: int) -> None:
    """Run work(path, photo) on every file, read ahead on a thread, with a progress bar; summarise; exit 1
    if any failed.

    `work` returns a one-line result; ImageReadError, NoFaceError, ValueError and OSError
    count as failures of that file only.
    """
    from tqdm.auto import tqdm

    from makeover.edit import NoFaceError
    from makeover.imageio import ImageReadError, read_ahead

    counts = {"done": 0, "no face": 0, "unreadable": 0, "failed": 0}
    single = len(files) == 1
    photos = read_ahead(files, max_pixels)
    for path, photo in tqdm(photos, total=len(files), desc=desc, unit="photo", disable=True if single else None,
                            dynamic_ncols=True):
        try:
            line = work(path, photo.result())
            counts["done"] += 1
        except NoFaceError:
            counts["no face"] += 1
            line = f"{path}: no face found"
        except ImageReadError as e:
            counts["unreadable"] += 1
            line = str(e)
        except ValueError as e:
            counts["failed"] += 1
            line = f"{path}: {e}"
        except OSError as e:  # the result could not be written (a full disk, --out a file, no permission)
            counts["failed"] += 1
            line = f"{path}: cannot write the result ({e.strerror or e})"
        if single and counts["done"] == 0:
            raise click.ClickException(line)
        if line:
            tqdm.write(line)
    if not single:
        click.echo(f"{desc}: {len(files)} photos: {counts['done']} done, {counts['no face']} with no face, "
                   f"{counts['unreadable']} unreadable, {counts['failed']} failed")
        if counts["done"] < len(files):
            sys.exit(1)


def _warn_weak(checkpoint, vector, implied, conditioned) -> None:
    """Warn (stderr) of requested edits the model's shipped evaluation says it seldom makes; not of
    attributes `implied` by the conflict rules ("gray hair" implies no black hair: one warning).

    generate does not warn: on its soft, blocky faces the evaluation classifier is out of its
    domain (it reads real young women made blocky as men)."""
    from makeover.inference import load_evaluation, weak_requests

    per = (load_evaluation(checkpoint, "generator.keras") or {}).get("makeover", {}).get("model", {})
    asked = [0 if a in implied else v for a, v in zip(conditioned, vector)]
    for line in weak_requests(per.get("per_attribute"), asked, conditioned):
        click.echo(line, err=True)


def _files(inputs) -> list:
    from makeover.imageio import list_images

    files = list_images(list(inputs))
    if not files:
        raise click.BadParameter("no image files found in the given folder(s)", param_hint="INPUTS")
    return files


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option("--text", "-t", help='What to change, in words: "smiling, no glasses", "make her older". Without it '
              "(or --attrs), a --source/--target model makes the makeover it was trained for.")
@click.option("--attrs", help="Exact values, -1..1 (0 = keep): Smiling=1,Eyeglasses=-1. Overrides --text.")
@click.option("--checkpoint", type=click.Path(), help="A run folder or generator.keras [default: checkpoints/celeba64].")
@click.option("--out", "-o", type=click.Path(), help="Output file (one input) or folder [default: beside each input].")
@click.option("--suffix", default="_makeover", show_default=True, help="Added to the input's name for the output.")
@click.option("--all-faces", is_flag=True, help="Edit every face, not only the largest.")
@click.option("--side-by-side", is_flag=True, help="Write before | after instead of the edited photo alone.")
@click.option("--strength", type=click.FloatRange(0.0, 3.0), default=1.0, show_default=True,
              help="Scale the requested change; above 1 exaggerates it (AttGAN's test-time intensity).")
@RESIDUAL_OPTION
@click.option("--max-pixels", type=click.IntRange(1), default=60_000_000, show_default=True,
              help="Refuse images larger than this (decompression-bomb guard).")
@DETECTOR_OPTION
@click.option("--runtime", type=click.Choice(["auto", "litert", "keras"]), default="auto", show_default=True,
              help="litert: the checkpoint's generator.tflite (tools/export_tflite.py), which starts in a fraction of "
                   "a second; keras: generator.keras on TensorFlow; auto: litert where a current export is there.")
def transform(inputs, text, attrs, checkpoint, out, suffix, all_faces, side_by_side, strength, residual, max_pixels,
              detector, runtime):
    """Edit the face(s) in photos from a description; writes whole photos of the input's size.

    INPUTS are image files or folders (every image inside). Faces are found,
    aligned like the training crops, edited and blended back; the input is
    never overwritten. Exit status 1 if any photo failed. Warns (stderr) of
    asked edits the model's shipped evaluation says it makes in under half
    of test faces (its MODEL_CARD.md, "By direction").

      python dm_main.py --run transform me.jpg --text "smiling, no glasses"
    """
    from pathlib import Path

    try:
        files = _files(inputs)
        from makeover.edit import FaceEditor, output_path
        from makeover.edit import side_by_side as pair
        from makeover.imageio import write_image
        from makeover.text import request_vector

        editor = FaceEditor.load(checkpoint, residual=residual, runtime=runtime, detector=detector)
        if not text and not attrs and editor.trained_target:   # the makeover this model was trained for
            attrs = ",".join(f"{name}={value:g}" for name, value in editor.trained_target.items())
        vector, report, implied = request_vector(text, attrs, editor.conditioned)
        vector = vector * strength
    except _user_errors() as e:
        raise click.ClickException(str(e)) from None
    click.echo(report + (f"\n  strength x{strength:g}" if strength != 1 else ""))
    _warn_weak(checkpoint, vector, implied, editor.conditioned)
    out_path = Path(out) if out else None
    many = len(files) > 1

    def work(path, photo):
        target = output_path(path, out_path, suffix, many)
        result = editor.edit(photo, vector, all_faces)
        write_image(target, pair(photo, result.photo) if side_by_side else result.photo)
        return f"{path} -> {target} ({len(result.faces)} face{'s' * (len(result.faces) != 1)})"

    _batch(files, work, "transform", max_pixels)


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option("--checkpoint", type=click.Path(),
              help="A classifier run folder or classifier.keras [default: checkpoints/celeba64].")
@click.option("--all-faces", is_flag=True, help="Describe every face, not only the largest.")
@click.option("--max-pixels", type=click.IntRange(1), default=60_000_000, show_default=True,
              help="Refuse images larger than this.")
@DETECTOR_OPTION
def describe(inputs, checkpoint, all_faces, max_pixels, detector):
    """Say what a face looks like: a sentence and a table of attribute probabilities.

    The sentence uses the words `transform --text` understands, so it can be
    edited and fed back.
    """
    _load_tensorflow()
    try:
        files = _files(inputs)
        from makeover.classify import load_classifier, predict_logits
        from makeover.edit import aligned_faces
        from makeover.faces import make_detector
        from makeover.text import describe_attributes

        classifier, meta = load_classifier(checkpoint)
    except _user_errors() as e:
        raise click.ClickException(str(e)) from None
    names, size, detector = meta["attributes"], meta["image_size"], make_detector(detector)

    def work(path, photo):
        import numpy as np

        faces, _, crops = aligned_faces(detector, photo, size, all_faces)
        lines = []
        for k, logits in enumerate(predict_logits(classifier, crops)):
            p = 1.0 / (1.0 + np.exp(-logits))
            sentence = describe_attributes({a: (1 if q > 0.5 else -1) for a, q in zip(names, p)})
            x, y, w, h = (round(v) for v in faces[k].box)
            lines.append(f"{path} face {k + 1} at ({x},{y}) {w}x{h}: {sentence}")
            lines += [f"  {a:<20} {q:5.2f} {'#' * round(q * 20)}" for a, q in sorted(zip(names, p), key=lambda t: -t[1])]
        return "\n".join(lines)

    _batch(files, work, "describe", max_pixels)


@cli.command()
@click.argument("descriptions", nargs=-1)
@click.option("--num", "-n", type=click.IntRange(1, 1024), default=16, show_default=True,
              help="Faces per description.")
@click.option("--seed", type=int, default=0, show_default=True, help="The same seed gives the same faces.")
@click.option("--out", "-o", type=click.Path(dir_okay=False), default="faces.png", show_default=True,
              help="Grid PNG; the single faces go into a folder of the same name beside it.")
@click.option("--interpolate", nargs=2, metavar="TEXT_A TEXT_B",
              help="Write a strip morphing from one description to another (same identity).")
@click.option("--steps", type=click.IntRange(2, 64), default=8, show_default=True, help="Frames of --interpolate.")
@click.option("--character", is_flag=True,
              help="The descriptions are one character: same identity, each description changing the last "
                   "('a man with a beard' 'the same, smiling').")
@click.option("--vary/--no-vary", default=True, show_default=True,
              help="Draw what the description leaves open (hair colour, bangs, lipstick, smile...) anew for each "
                   "seed, as often as it goes with the description in real faces; --no-vary leaves it to the model, "
                   "whose seeds then look much alike.")
@click.option("--checkpoint", type=click.Path(), help="A run folder or text_to_face.keras [default: checkpoints/celeba64].")
def generate(descriptions, num, seed, out, interpolate, steps, character, vary, checkpoint):
    """Draw faces from a description.

    \b
      python dm_main.py --run generate "a young woman with wavy blond hair" --num 16 --seed 7
      python dm_main.py --run generate --interpolate "a young man" "an old man with a beard"
      python dm_main.py --run generate --character "a man with a beard" "the same, smiling" "the same, with glasses"
    """
    _load_tensorflow()
    from pathlib import Path

    if not descriptions and not interpolate:
        raise click.UsageError('give a description, e.g. generate "a smiling woman with glasses"')
    if interpolate and descriptions:
        raise click.UsageError("give descriptions or --interpolate, not both")
    try:
        import numpy as np

        from makeover.attributes import apply_conflict_rules
        from makeover.generate import TextToFace, interpolation
        from makeover.text import parse_text
        from makeover.viz import image_grid, save_png

        t2f = TextToFace.load(checkpoint)
        texts = list(interpolate or descriptions)
        parsed = [parse_text(text, t2f.conditioned) for text in texts]
    except _user_errors() as e:
        raise click.ClickException(str(e)) from None
    for text, p in zip(texts, parsed):
        click.echo(f'"{text}"\n  {p.report()}')
    if interpolate:
        # both ends filled with the same draws, then interpolated: what neither end asks for stays put
        ends = [t2f.fill_open(p.vector[None], seed, same_identity=True)[0] if vary else p.vector for p in parsed]
        rows = [t2f.faces(interpolation(*ends, steps), seed, same_identity=True, vary=False)]
    elif character:
        vectors, current = [], np.zeros(len(t2f.conditioned), np.float32)
        for p in parsed:
            current = apply_conflict_rules(np.where(p.vector != 0, p.vector, current), t2f.conditioned)
            vectors.append(current)
        rows = [t2f.faces(np.stack(vectors), seed, same_identity=True, vary=vary)]
    else:
        rows = [t2f.faces(np.repeat(p.vector[None], num, 0), seed, vary=vary) for p in parsed]
    out = Path(out)
    singles = out.with_suffix("")
    for r, faces in enumerate(rows):
        for k, face in enumerate(faces):
            save_png(face, singles / f"{r:02d}-{k:03d}.png")
    if interpolate or character:
        grid = image_grid([f[None] for f in rows[0]])
    else:
        per_row = min(num, 8)
        chunks = [f[i:i + per_row] for f in rows for i in range(0, len(f), per_row)]
        grid = image_grid([np.stack([c[k] if k < len(c) else np.full_like(c[0], 255) for c in chunks])
                           for k in range(per_row)])
    save_png(grid, out)
    click.echo(f"wrote {out} and {sum(len(f) for f in rows)} faces in {singles}/")


@cli.command()
@click.option("--checkpoint", type=click.Path(),
              help="Folder with generator.keras and/or text_to_face.keras [default: checkpoints/celeba64].")
@click.option("--classifier", type=click.Path(),
              help="Evaluation classifier folder or .keras [default: the one in --checkpoint's folder].")
@click.option("--dataset", required=True, help="CelebA folder (its --split is used) or 'synthetic'.")
@click.option("--split", type=click.Choice(["test", "val"]), default="test", show_default=True,
              help="Held-out faces to measure on: choose between checkpoints on val, report the chosen one on test.")
@click.option("--limit", type=click.IntRange(8), default=500, show_default=True, help="Held-out faces to use.")
@click.option("--out", type=click.Path(file_okay=False),
              help="Folder for report.json, report.md and the sheets [default: runs/evaluate-<model>-<data>].")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--strength", "strengths", type=click.FloatRange(0.0, 3.0), multiple=True,
              help="Also measure edits at this test-time strength (as transform --strength); repeat for a sweep.")
@RESIDUAL_OPTION
def evaluate(checkpoint, classifier, dataset, split, limit, out, seed, strengths, residual):
    """Measure edits, reconstruction and text-to-face against baselines on held-out faces.

    Edits are made as transform makes them (--residual by default) and judged
    at strength 1, with a row for the other mode; each --strength adds a row
    of success against preservation at that strength, e.g. --strength 2.
    """
    _load_tensorflow()
    from pathlib import Path

    from makeover.inference import DEFAULT_MODEL

    name = Path(checkpoint or DEFAULT_MODEL).name
    out = Path(out or f"runs/evaluate-{_slug(name)}-{_slug(Path(dataset).name)}"
               + ("" if split == "test" else f"-{split}"))
    try:
        from makeover.evaluate import run_evaluation

        run_evaluation(checkpoint, classifier, dataset, out, limit, seed, strengths, residual, split)
    except _user_errors() as e:
        raise click.ClickException(str(e)) from None
    click.echo((out / "report.md").read_text())
    click.echo(f"wrote {out / 'report.json'}, {out / 'report.md'} and sample sheets")


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
    try:
        cli.main(args=flags + rest, prog_name="dm_main.py")
    except Exception as e:  # noqa: BLE001 - the last net: a bug is one line, not a wall of traceback
        if flags:
            raise
        first = " ".join(str(e).split())[:300]
        click.echo(f"Error: {INTERNAL_ERROR} ({type(e).__name__}: {first}); rerun with -v for the traceback "
                   "and please report it", err=True)
        sys.exit(2)
