"""tools/judge_probe.py: the blocky degradation is what it says."""

import numpy as np

from conftest import load_tool


def test_blocky_makes_constant_blocks_of_the_right_size():
    probe = load_tool("judge_probe")
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (2, 64, 64, 3), dtype=np.uint8)
    out = probe.blocky(images, 16)
    assert out.shape == images.shape and out.dtype == np.uint8
    blocks = out.reshape(2, 16, 4, 16, 4, 3)
    assert (blocks == blocks[:, :, :1, :, :1]).all()                 # each 4x4 block is one colour
    assert abs(float(out.mean()) - float(images.mean())) < 2           # area shrink keeps the mean
    assert set(probe.degradations(images)) == {"sharp", "blur 1.5 px", "blocky 32", "blocky 16"}
