"""CelebA on disk: label files as CelebA ships them, and a streaming image reader."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from makeover.attributes import CELEBA_ATTRIBUTES

log = logging.getLogger(__name__)

ATTR_FILE = "list_attr_celeba.txt"
PARTITION_FILE = "list_eval_partition.txt"
IMAGE_DIR = "img_align_celeba"
SPLITS = {"train": 0, "val": 1, "test": 2}


class DatasetError(ValueError):
    """A missing or malformed data set; the message says what to fix."""


@dataclass
class LabelTable:
    """Image names and their attributes (+1/-1, int8), in file order."""

    names: list[str]
    attributes: tuple[str, ...]
    values: np.ndarray  # (N, len(attributes)) int8

    def __len__(self) -> int:
        return len(self.names)

    def subset(self, mask: np.ndarray) -> "LabelTable":
        keep = np.flatnonzero(mask)
        return LabelTable([self.names[i] for i in keep], self.attributes, self.values[keep])

    def columns(self, wanted: tuple[str, ...]) -> np.ndarray:
        """Values of the `wanted` attributes, as float32 in {-1, +1}."""
        idx = [self.attributes.index(a) for a in wanted]
        return self.values[:, idx].astype(np.float32)


def read_attribute_file(path: str | os.PathLike) -> LabelTable:
    """Parse list_attr_celeba.txt: a count line, the attribute names, then rows.

    Rows are `<file> v1 ... v40` with runs of spaces and CRLF or LF endings.
    The file is read line by line; only the int8 table is kept in memory
    (8 MB for all 202,599 CelebA rows).
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"label file not found: {path} (CelebA ships it as {ATTR_FILE})")
    try:
        return _read_attribute_rows(path)
    except UnicodeDecodeError as e:
        raise DatasetError(f"{path}: not a text file ({e.reason} at byte {e.start})") from None


def _read_attribute_rows(path: Path) -> LabelTable:
    with open(path, "r", encoding="utf-8", newline=None) as f:
        try:
            declared = int(f.readline().strip())
        except ValueError:
            raise DatasetError(f"{path}: line 1 must be the number of rows") from None
        attributes = tuple(f.readline().split())
        if not attributes:
            raise DatasetError(f"{path}: line 2 must list the attribute names")
        # A row takes at least two bytes per value: a count beyond that is a broken header, not a table to allocate.
        if not 0 <= declared <= path.stat().st_size // (2 * len(attributes)):
            raise DatasetError(f"{path}: line 1 declares {declared} rows, which the file cannot hold")
        values = np.empty((declared, len(attributes)), dtype=np.int8)
        names: list[str] = []
        chunk: list[str] = []

        def flush():
            # One numpy parse per 8192 rows: far faster than converting row by row.
            first = len(names) - len(chunk)
            try:
                block = np.array(" ".join(chunk).split(), dtype=np.int16).reshape(len(chunk), len(attributes))
            except (ValueError, OverflowError):
                block = None
            if block is None or not np.isin(block, (-1, 1)).all():
                raise DatasetError(f"{path}: {_first_bad_row(chunk, names[first:])}: attribute values must be "
                                   "1 or -1")
            values[first:len(names)] = block
            chunk.clear()

        for lineno, line in enumerate(f, start=3):
            fields = line.split(None, 1)
            if not fields:
                continue
            if len(fields) != 2 or len(fields[1].split()) != len(attributes):
                got = 0 if len(fields) < 2 else len(fields[1].split())
                raise DatasetError(f"{path}:{lineno}: expected a name and {len(attributes)} values, got {got}")
            if len(names) >= declared:
                raise DatasetError(f"{path}: more rows than the {declared} declared on line 1")
            names.append(fields[0])
            chunk.append(fields[1])
            if len(chunk) == 8192:
                flush()
        if chunk:
            flush()
    if len(names) != declared:
        raise DatasetError(f"{path}: {len(names)} rows but line 1 declares {declared}")
    return LabelTable(names, attributes, values)


def _first_bad_row(rows: list[str], names: list[str]) -> str:
    """'row NAME' of the first of `rows` with a value other than 1 or -1."""
    for name, row in zip(names, rows):
        if any(v not in ("1", "-1") for v in row.split()):
            return f"row {name}"
    return "a row"


def read_partition_file(path: str | os.PathLike) -> dict[str, int]:
    """Parse list_eval_partition.txt: `<file> 0|1|2` (train / val / test)."""
    split: dict[str, int] = {}
    with open(path, "r", encoding="utf-8", newline=None, errors="replace") as f:
        for lineno, line in enumerate(f, start=1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 2 or fields[1] not in ("0", "1", "2"):
                raise DatasetError(f"{path}:{lineno}: expected '<file> 0|1|2' (train, val, test), got {line.strip()!r}")
            split[fields[0]] = int(fields[1])
    return split


def load_celeba(root: str | os.PathLike, split: str | None = "train",
                check_images: bool = True) -> LabelTable:
    """Labels of the CelebA images under `root` for one split ("train"/"val"/"test"/None).

    Without list_eval_partition.txt every image counts as train. Rows whose
    image file is missing are dropped and counted in one log line.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"data set folder not found: {root} (expected {ATTR_FILE} and {IMAGE_DIR}/ in it, "
                           f"or use --dataset synthetic)")
    table = read_attribute_file(root / ATTR_FILE)
    if tuple(table.attributes) != CELEBA_ATTRIBUTES:
        log.warning("%s: attribute names differ from CelebA's 40; using the file's", root / ATTR_FILE)
    if split is not None:
        partition_path = root / PARTITION_FILE
        if partition_path.is_file():
            partition = read_partition_file(partition_path)
            wanted = SPLITS[split]
            table = table.subset(np.array([partition.get(n, -1) == wanted for n in table.names]))
        elif split != "train":
            raise DatasetError(f"no {PARTITION_FILE} in {root}: cannot pick the '{split}' split")
    if check_images:
        image_dir = root / IMAGE_DIR
        if not image_dir.is_dir():
            raise DatasetError(f"image folder not found: {image_dir}")
        present = set(os.listdir(image_dir))
        found = np.array([n in present for n in table.names])
        if not found.all():
            log.warning("%d label rows have no image in %s; skipped", int((~found).sum()), image_dir)
            table = table.subset(found)
    if len(table) == 0:
        raise DatasetError(f"no images for split '{split}' in {root}")
    return table
