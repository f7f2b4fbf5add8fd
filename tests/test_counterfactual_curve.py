"""tools/counterfactual_curve.py: the counterfactual PSNR of evaluate, on the split asked for."""

import re

from click.testing import CliRunner

from conftest import load_tool


def _score(generator, split):
    result = CliRunner().invoke(load_tool("counterfactual_curve").main,
                                [str(generator), "--split", split, "--faces", "3"])
    assert result.exit_code == 0, result.output
    return float(re.search(r": ([\d.]+) dB on 3 " + split + " faces", result.output).group(1))


def test_val_score_is_evaluates_measure_on_other_identities(tiny_run):
    from makeover.data.pipeline import SyntheticSource
    from makeover.edit import FaceEditor
    from makeover.evaluate import counterfactual_metrics

    editor = FaceEditor.load(tiny_run)
    test = counterfactual_metrics(editor.edit_crops, SyntheticSource(split="test").faces, range(3), editor.size,
                                  editor.conditioned)["mean_psnr"]
    assert abs(_score(tiny_run, "test") - test) < 1e-3
    assert abs(_score(tiny_run, "val") - test) > 1e-3  # other faces, another score
