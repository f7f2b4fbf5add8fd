"""Inference without TensorFlow: .tflite models on the LiteRT runtime (`ai-edge-litert`).

`import tensorflow` takes ~5 s on these machines; the LiteRT interpreter imports in ~0.1 s.
`transform` runs the face detector (BlazeFace + FaceMesh, makeover/assets/) and an exported
generator (`generator.tflite`, made by `tools/export_tflite.py` from `generator.keras`,
which stays the source of truth) here, and falls back to Keras where either is missing.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

ASSETS = Path(__file__).resolve().parent / "assets"
THREADS = max(1, min(4, os.cpu_count() or 1))


def available() -> bool:
    """Whether the LiteRT runtime is installed."""
    try:
        from ai_edge_litert.interpreter import Interpreter  # noqa: F401
    except ImportError:
        return False
    return True


class LiteModel:
    """A .tflite model: call it with arrays (in the model's input order, or by name) for its outputs."""

    def __init__(self, path: str | Path, threads: int = THREADS):
        from ai_edge_litert.interpreter import Interpreter

        from makeover.tfload import stderr_hidden

        self.path = Path(path)
        with stderr_hidden():  # LiteRT announces its XNNPACK delegate on stderr
            self.interpreter = Interpreter(str(path), num_threads=threads)
            self.interpreter.allocate_tensors()
        self.inputs = self.interpreter.get_input_details()
        self.outputs = self.interpreter.get_output_details()

    def input_index(self, name: str) -> int:
        """Position of the input whose tensor name contains `name` (exported names look like
        'serving_default_image:0')."""
        for k, detail in enumerate(self.inputs):
            if detail["name"].split(":")[0].endswith(name):
                return k
        raise KeyError(f"{self.path}: no input named {name!r}")

    def __call__(self, *arrays: np.ndarray) -> list[np.ndarray]:
        interpreter = self.interpreter
        resized = False
        for detail, array in zip(self.inputs, arrays):
            if tuple(detail["shape"]) != array.shape:
                interpreter.resize_tensor_input(detail["index"], array.shape)
                resized = True
        if resized:
            interpreter.allocate_tensors()
            self.inputs = interpreter.get_input_details()
            self.outputs = interpreter.get_output_details()
        for detail, array in zip(self.inputs, arrays):
            interpreter.set_tensor(detail["index"], np.ascontiguousarray(array, dtype=detail["dtype"]))
        interpreter.invoke()
        return [interpreter.get_tensor(detail["index"]) for detail in self.outputs]


def file_digest(path: str | Path) -> str:
    """sha256 of a file: ties an exported generator.tflite to the generator.keras it was made from."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class LiteGenerator:
    """generator.tflite behind the Keras generator's call: G([x, c]) -> images, as numpy."""

    def __init__(self, path: str | Path):
        self.model = LiteModel(path)
        self.order = (self.model.input_index("image"), self.model.input_index("attributes"))

    def __call__(self, inputs, training: bool = False) -> np.ndarray:
        arrays = [None, None]
        for position, array in zip(self.order, inputs):
            arrays[position] = np.asarray(array, np.float32)
        return self.model(*arrays)[0]
