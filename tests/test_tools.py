"""Every tool a user or maintainer runs answers --help with what it does."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import load_tool

TOOLS = sorted(p.stem for p in (Path(__file__).resolve().parent.parent / "tools").glob("*.py"))


def test_the_tools_are_the_kept_ones():
    """Research probes went (git keeps them); what is left is run by users and maintainers."""
    assert TOOLS == ["card_config", "counterfactual_curve", "detector_compare", "export_checkpoint",
                     "export_tflite", "jax_train", "readme_figures", "ship", "val_curve", "wild_sheet"]


@pytest.mark.parametrize("name", TOOLS)
def test_tool_help(name):
    result = CliRunner().invoke(load_tool(name).main, ["--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output and len(result.output.splitlines()) > 3


@pytest.mark.parametrize("command", ["train", "transform", "describe", "generate", "evaluate", "bench"])
def test_command_help(command):
    from makeover.cli import cli

    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output and "[default:" in result.output


def test_train_help_quotes_the_default_config():
    from makeover.cli import cli
    from makeover.config import load_config

    config = load_config()
    output = " ".join(CliRunner().invoke(cli, ["train", "--help"], terminal_width=200).output.split())
    assert f"Total training steps [config: {config['train']['steps']}]" in output
    assert f"a multiple of 16 [config: {config['data']['image_size']}]" in output
