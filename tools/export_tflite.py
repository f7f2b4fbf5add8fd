"""Export a generator.keras to generator.tflite beside it, for transform's fast path (LiteRT, no TensorFlow).

    python tools/export_tflite.py checkpoints/celeba64
    python tools/export_tflite.py runs/00014-celeba64 --check-inputs 256

The .keras file stays the source of truth: the export is checked against it on random faces and
requests (the largest difference is printed and kept in generator.json with the .keras file's
sha256), and transform uses the .tflite only while that sha256 still matches.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("checkpoint", type=click.Path(exists=True))
@click.option("--check-inputs", type=click.IntRange(1, 4096), default=64, show_default=True,
              help="Random faces and requests on which the export must match the Keras model.")
def main(checkpoint, check_inputs):
    """Export CHECKPOINT's generator.keras (a run folder, a shipped model's folder or the file) to .tflite."""
    from makeover.cli import _load_tensorflow, _user_errors

    _load_tensorflow()
    from makeover.inference import export_lite_generator, resolve_model

    try:
        record = export_lite_generator(checkpoint, check_inputs)
        target = resolve_model(checkpoint, "generator.keras").with_suffix(".tflite")
    except _user_errors() as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"wrote {target} ({target.stat().st_size / 1e6:.1f} MB); on {check_inputs} random inputs the largest "
               f"difference from the Keras model is {record['max_abs_error']:.2e} "
               f"({record['max_abs_error'] * 127.5:.3f} of an 8-bit level)")


if __name__ == "__main__":
    main()
