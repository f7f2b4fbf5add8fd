"""tools/wild_sheet.py: a folder without a face in its images is a one-line error, not a traceback."""

import numpy as np
from click.testing import CliRunner

from conftest import load_tool
from makeover.viz import save_png


def test_no_face_in_folder_is_a_click_error(tmp_path):
    save_png(np.full((96, 96, 3), 128, np.uint8), tmp_path / "grey.png")     # no face to find
    result = CliRunner().invoke(load_tool("wild_sheet").main, [str(tmp_path), "--out", str(tmp_path / "s.png")])
    assert result.exit_code == 1, result.output
    assert "no face found" in result.output and "img_celeba" in result.output
    assert not (tmp_path / "s.png").exists()
