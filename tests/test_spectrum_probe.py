"""tools/spectrum_probe.py: the band shares put a pattern's power where its period is."""

import numpy as np
import pytest

from conftest import load_tool


def test_band_shares_find_a_4px_grid_and_a_broad_shape():
    probe = load_tool("spectrum_probe")
    yy, xx = np.mgrid[:64, :64]
    grid = np.broadcast_to(np.cos(2 * np.pi * xx / 4) + np.cos(2 * np.pi * yy / 4), (2, 64, 64))
    long_, mid, short = probe.band_shares(grid)
    assert mid == pytest.approx(1.0) and long_ + short == pytest.approx(0.0, abs=1e-12)   # 4 px: all in 3.5-5 px
    disc = np.broadcast_to(((yy - 32) ** 2 + (xx - 32) ** 2 < 20 ** 2).astype(float), (2, 64, 64))
    assert sum(probe.band_shares(disc)) < 0.1                             # a disc 40 px across: mostly coarser
    assert probe.band_shares(np.zeros((2, 64, 64))) == [0.0, 0.0, 0.0]
