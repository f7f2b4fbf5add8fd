import os
import subprocess
import sys
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import FULL_LABELS
from makeover.attributes import CELEBA_ATTRIBUTES
from makeover.data import celeba
from makeover.data.pipeline import CelebASource, image_stream, select_images

ROOT = Path(__file__).resolve().parent.parent


def write_celeba(root, rows, newline="\n", partition=None, images=True):
    """A tiny CelebA folder: rows = [(name, {attr: +1})]; other attributes -1."""
    (root / celeba.IMAGE_DIR).mkdir(parents=True, exist_ok=True)
    lines = [str(len(rows)), " ".join(CELEBA_ATTRIBUTES) + " "]
    for name, on in rows:
        values = ["1" if on.get(a) else "-1" for a in CELEBA_ATTRIBUTES]
        lines.append(name + "  " + " ".join(f"{v:>2}" for v in values))  # runs of spaces, like CelebA
        if images:
            img = np.full((218, 178, 3), 120, np.uint8)
            cv2.imwrite(str(root / celeba.IMAGE_DIR / name), img)
    (root / celeba.ATTR_FILE).write_bytes((newline.join(lines) + newline).encode())
    if partition:
        (root / celeba.PARTITION_FILE).write_text("\n".join(f"{n} {s}" for n, s in partition) + "\n")
    return root


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_parse_crlf_and_runs_of_spaces(tmp_path, newline):
    write_celeba(tmp_path, [("000001.jpg", {"Male": 1}), ("000002.jpg", {"Smiling": 1})], newline)
    table = celeba.read_attribute_file(tmp_path / celeba.ATTR_FILE)
    assert table.names == ["000001.jpg", "000002.jpg"]
    assert table.attributes == CELEBA_ATTRIBUTES
    assert table.values.dtype == np.int8
    assert table.values[0, CELEBA_ATTRIBUTES.index("Male")] == 1
    assert table.values[1, CELEBA_ATTRIBUTES.index("Male")] == -1
    assert table.values[1, CELEBA_ATTRIBUTES.index("Smiling")] == 1


def test_row_count_mismatch_is_reported(tmp_path):
    write_celeba(tmp_path, [("000001.jpg", {})])
    path = tmp_path / celeba.ATTR_FILE
    path.write_text(path.read_text().replace("1\n", "3\n", 1))
    with pytest.raises(celeba.DatasetError, match="1 rows but line 1 declares 3"):
        celeba.read_attribute_file(path)


def test_split_and_missing_images(tmp_path, caplog):
    write_celeba(tmp_path, [("a.jpg", {}), ("b.jpg", {}), ("c.jpg", {})], partition=[("a.jpg", 0), ("b.jpg", 2), ("c.jpg", 0)])
    (tmp_path / celeba.IMAGE_DIR / "c.jpg").unlink()
    assert celeba.load_celeba(tmp_path, "test").names == ["b.jpg"]
    assert celeba.load_celeba(tmp_path, "train").names == ["a.jpg"]
    assert "1 label rows have no image" in caplog.text


def test_missing_folder_is_one_clear_error(tmp_path):
    with pytest.raises(celeba.DatasetError, match="data set folder not found.*--dataset synthetic"):
        celeba.load_celeba(tmp_path / "nope")


def test_corrupt_jpeg_is_skipped_and_counted(tmp_path):
    write_celeba(tmp_path, [("a.jpg", {"Male": 1}), ("b.jpg", {}), ("c.jpg", {"Male": 1})])
    (tmp_path / celeba.IMAGE_DIR / "b.jpg").write_bytes(b"\xff\xd8not a jpeg")
    source = CelebASource(tmp_path)
    ds = image_stream(source, np.arange(3, dtype=np.int32), ("Male",), 32, seed=0, start=0, flip=False)
    got = [attrs.numpy()[0] for _, attrs in ds.take(4)]
    assert sorted(got) == [1.0, 1.0, 1.0, 1.0]  # b.jpg (Male -1) never comes out
    assert source.skipped >= 1


def test_selection_reports_counts_per_term(tmp_path):
    write_celeba(tmp_path, [("a.jpg", {"Male": 1}), ("b.jpg", {})])
    source = CelebASource(tmp_path)
    with pytest.raises(ValueError, match=r"matches no image \(each term alone: Male: 1, Eyeglasses: 0\)"):
        select_images(source, ("Male",), "Male,Eyeglasses", "female")


def test_full_scale_label_file(tmp_path):
    """All 202,599 rows of the official file (CRLF): parse, select, bounded memory."""
    if not FULL_LABELS.is_file():
        pytest.skip(f"{FULL_LABELS} not present")
    with zipfile.ZipFile(FULL_LABELS) as z:
        z.extract(celeba.ATTR_FILE, tmp_path)
    table = celeba.read_attribute_file(tmp_path / celeba.ATTR_FILE)
    assert len(table) == 202599
    assert table.names[0] == "000001.jpg" and table.names[-1] == "202599.jpg"
    # CelebA's first row: 000001.jpg is not Male, is Smiling, Young, Attractive
    first = dict(zip(table.attributes, table.values[0]))
    assert (first["Male"], first["Smiling"], first["Young"], first["Attractive"]) == (-1, 1, 1, 1)
    assert abs(table.values[:, CELEBA_ATTRIBUTES.index("Male")].mean() - (2 * 0.4168 - 1)) < 0.01
    # Memory: the int8 table (8 MB) and the names; the file is streamed, never held whole.
    probe = (f"import resource, sys; sys.path.insert(0, {str(ROOT)!r})\n"
             "from makeover.data.celeba import read_attribute_file\n"
             "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
             f"read_attribute_file({str(tmp_path / celeba.ATTR_FILE)!r})\n"
             "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024)")
    grown_mb = float(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                    check=True).stdout)
    assert grown_mb < 80, f"parsing grew the process by {grown_mb:.0f} MB"


def test_real_sample_loads_and_crops(celeba_sample):
    source = CelebASource(celeba_sample, "test")
    assert len(source) == 660
    image = source.load(0, 64)
    assert image.shape == (64, 64, 3) and image.dtype == np.uint8
    sel = select_images(source, ("Male",), "male", "female")
    assert len(sel.src_indices) + len(sel.real_indices) == 660


def test_a_frame_at_half_size_gives_the_full_size_crop():
    """celeba_large's frames are CelebA's scaled by 1/2: the crop template scales with the frame, to the
    sub-pixel, so the two crops of one face agree (a half-pixel slip, as integer rounding made, does not)."""
    from makeover.data.pipeline import crop_celeba

    rng = np.random.default_rng(0)
    smooth = cv2.GaussianBlur(rng.integers(0, 255, (218, 178, 3), np.uint8), (0, 0), 3)
    full = cv2.resize(smooth, (178, 218), interpolation=cv2.INTER_LINEAR)
    half = cv2.resize(full, (89, 109), interpolation=cv2.INTER_AREA)
    want = crop_celeba(full, 64).astype(float)
    assert np.abs(crop_celeba(half, 64).astype(float) - want).mean() < 0.5
    slipped = np.roll(cv2.resize(full, (89, 109), interpolation=cv2.INTER_AREA), 1, axis=1)
    assert np.abs(crop_celeba(slipped, 64).astype(float) - want).mean() > 1.0


CELEBA_LARGE = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "celeba_large"


@pytest.mark.skipif(not (CELEBA_LARGE / celeba.ATTR_FILE).is_file(), reason=f"celeba_large not present at {CELEBA_LARGE}")
def test_celeba_large_gives_the_sample_crops_within_jpeg_noise(celeba_sample):
    """The same faces in both folders (celeba_large holds every sample id at half size, JPEG q80): the crops
    differ by no more than halving and re-encoding a full-size frame does (3.8/255 measured), well under a
    1-pixel slip of the full-size crop (5.5/255)."""
    from makeover.data.pipeline import crop_celeba

    names = sorted(os.listdir(celeba_sample / celeba.IMAGE_DIR))[:40]
    gaps = []
    for name in names:
        full = cv2.imread(str(celeba_sample / celeba.IMAGE_DIR / name))
        half = cv2.imread(str(CELEBA_LARGE / celeba.IMAGE_DIR / name))
        assert half.shape == (109, 89, 3)
        gaps.append(np.abs(crop_celeba(full, 64).astype(float) - crop_celeba(half, 64).astype(float)).mean())
    assert np.mean(gaps) < 4.5, np.mean(gaps)


@pytest.mark.skipif(not (CELEBA_LARGE / celeba.ATTR_FILE).is_file(), reason=f"celeba_large not present at {CELEBA_LARGE}")
def test_celeba_large_streams_its_official_split():
    """43,407 train faces: the labels are held (int8), the images read one at a time as the stream asks."""
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    source = CelebASource(CELEBA_LARGE, "train")
    assert len(source) == 43_407
    assert source.load(0, 64).shape == (64, 64, 3)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 200, f"opening the data set grew the process by {grown_mb:.0f} MB"
    assert len(CelebASource(CELEBA_LARGE, "val")) == 5_185 and len(CelebASource(CELEBA_LARGE, "test")) == 4_930
