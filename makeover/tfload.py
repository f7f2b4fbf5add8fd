"""Importing TensorFlow quietly, once, only where it is needed (it takes ~5 s here).

The CLI's commands, and MTCNN when transform falls back to it, call load_tensorflow() first.
"""

from __future__ import annotations

import contextlib
import os
import sys


def quiet_tensorflow() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # oneDNN kernels were the fastest measured on these CPUs at 64 px (see benchmarks/).
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")


def load_tensorflow() -> None:
    """Import TensorFlow with its start-up banner hidden.

    With oneDNN switched on, TF 2.21 prints absl lines at import whatever
    TF_CPP_MIN_LOG_LEVEL says; they would bury the one-line answers of this
    CLI. File descriptor 2 is pointed at /dev/null for the import only;
    a failing import still raises (and its traceback prints afterwards).
    """
    if "tensorflow" in sys.modules:
        return
    with stderr_hidden():
        import tensorflow  # noqa: F401


@contextlib.contextmanager
def stderr_hidden():
    """File descriptor 2 pointed at /dev/null: silences what C++ libraries print (TF's absl banner, LiteRT's
    "Created TensorFlow Lite XNNPACK delegate"); Python exceptions still raise."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
