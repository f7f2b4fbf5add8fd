import importlib.util
import os
import struct
import sys
import zlib
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pytest  # noqa: E402

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
CELEBA_SAMPLE = SHARED / "celeba_sample"
FULL_LABELS = SHARED / "list_attr_celeba_full.zip"


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height but holds almost no data (a decompression-bomb stand-in)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


def load_tool(name: str):
    """The module of tools/NAME.py (tools are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parent.parent / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", help="also run tests marked slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def celeba_sample():
    if not (CELEBA_SAMPLE / "list_attr_celeba.txt").is_file():
        pytest.skip(f"CelebA sample not present at {CELEBA_SAMPLE}")
    return CELEBA_SAMPLE


def tiny_config(**train):
    """A config small enough for a test: 32 px, narrow networks, batch 2."""
    from makeover.config import load_config

    return load_config(overrides={
        "data": {"dataset": "synthetic", "image_size": 32, "synthetic_size": 64},
        "generator": {"base_channels": 4, "blocks": 2},
        "discriminator": {"base_channels": 8},
        "loss": {"anneal_start": 1, "anneal_steps": 2},
        "train": {"steps": 4, "batch_size": 2, "sample_every": 2, "checkpoint_every": 2, **train},
    })


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A run folder with a tiny generator trained for 2 steps (32 px, 16 attributes)."""
    from makeover.train import train

    return train(tiny_config(steps=2), tmp_path_factory.mktemp("runs"), "tiny")
