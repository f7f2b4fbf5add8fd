"""tools/ship.py: what the model card says about a run comes from the run's own records."""

import json
from pathlib import Path

from click.testing import CliRunner

from conftest import load_tool


def _fake_run(folder: Path, init_steps: int) -> Path:
    """A run resumed once (its stats' time restarts at 0), started from a 4-step generator.keras."""
    folder.mkdir()
    config = {"data": {"dataset": "synthetic", "image_size": 32}, "train": {"batch_size": 16},
              "init_from": "checkpoints/x/generator.keras", "init_steps": init_steps}
    (folder / "config.json").write_text(json.dumps(config))
    stats = [{"step": s, "time": t} for s, t in [(0, 1.0), (1, 1800.0), (2, 2.0), (3, 3600.0)]]
    (folder / "stats.jsonl").write_text("\n".join(map(json.dumps, stats)) + "\n")
    (folder / "generator.keras").write_bytes(b"weights")
    (folder / "generator.json").write_text(json.dumps({"steps": 4}))
    return folder


def _ship_card(tmp_path, run: Path, *extra: str) -> str:
    """Ship `run` with an empty evaluation report; the model card it writes."""
    report = tmp_path / "report.md"
    report.write_text("# Evaluation\n")
    report.with_suffix(".json").write_text('{"makeover": {}}')
    dest = tmp_path / "shipped"
    result = CliRunner().invoke(load_tool("ship").main, [str(dest), "--makeover", str(run), "--report", str(report),
                                                         *extra])
    assert result.exit_code == 0, result.output
    return (dest / "MODEL_CARD.md").read_text()


def test_card_names_the_exported_steps_the_summed_time_and_the_starting_generator(tmp_path):
    card = _ship_card(tmp_path, _fake_run(tmp_path / "run", init_steps=4000))
    assert "- steps: 4 at batch 16, 1.50 h of training" in card  # stats count from 0; 0.5 h + 1 h
    assert "generator then at `checkpoints/x/generator.keras` (4000 steps)" in card
    assert "the project's own licence applies" in card  # synthetic data only
    assert "### Makeover generator" in card and (tmp_path / "shipped" / "generator.keras").read_bytes() == b"weights"
    assert json.loads((tmp_path / "shipped" / "evaluation.json").read_text()) == {"makeover": {}}  # transform warns from it
    configs = json.loads((tmp_path / "shipped" / "training_config.json").read_text())
    assert configs["makeover"]["init_steps"] == 4000   # the run's resolved config, beside the card


def test_card_has_the_model_card_sections_in_order_with_the_notes_prose(tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text("## Uses\n\nEditing cartoon faces.\n\n## Limitations and biases\n\nHats fail.\n")
    card = _ship_card(tmp_path, _fake_run(tmp_path / "run", init_steps=4000), "--notes", str(notes))
    titles = [line[3:] for line in card.splitlines() if line.startswith("## ")]
    assert titles == ["Model details", "Uses", "Training data", "Training procedure", "Evaluation",
                      "Limitations and biases", "Licence"]
    assert "Editing cartoon faces." in card and "Hats fail." in card


def test_evaluation_section_is_written_from_the_report():
    ship = load_tool("ship")
    cell = {"asked": 3, "share": 2 / 3}
    attr = {"success": 0.5, "on": cell, "off": {"asked": 0, "share": None}, "success_lowpass": 0.25, "preserved": 0.9}
    report = {"split": "test", "dataset": "d", "images": 3, "classifier": {"mean_accuracy": 0.9, "mean_majority": 0.8},
              "makeover": {"mode": "residual", "model": {"per_attribute": {"Male": attr}, "mean_success": 0.5,
                                                          "mean_preserved": 0.9, "headline_success": 0.5,
                                                          "headline_lowpass": 0.25},
                           "identity_baseline": {"per_attribute": {"Male": {**attr, "success": 0.1}},
                                                 "headline_success": 0.1},
                           "reconstruction": {"psnr": 40.0, "ssim": 0.99}},
              "text_to_face": {"faces": 3, "requested_present": 0.9, "requested_present_real_baseline": 0.95,
                               "requested_on_present": 0.8, "requested_on_present_real_baseline": 0.85,
                               "kid_fake_vs_real": 0.1, "kid_real_vs_real_baseline": 0.0,
                               "diversity_pixel_l1": 0.12, "diversity_ratio_to_real": 0.85}}
    lines = ship.evaluation_lines(report)
    assert "| Male | 0.500 | 0.667 (3) | - | 0.250 | 0.100 | 0.900 |" in lines
    assert any("0.85x that of the real" in line and "asked present 0.800" in line for line in lines)
    assert any("low-pass 0.250" in line for line in lines)


def test_a_report_without_its_json_is_refused(tmp_path):
    run = _fake_run(tmp_path / "run", init_steps=4000)
    report = tmp_path / "report.md"
    report.write_text("# Evaluation\n")
    result = CliRunner().invoke(load_tool("ship").main, [str(tmp_path / "shipped"), "--makeover", str(run),
                                                         "--report", str(report)])
    assert result.exit_code != 0 and "report.json" in result.output


def test_a_new_generator_without_its_evaluation_is_refused(tmp_path):
    run = _fake_run(tmp_path / "run", init_steps=4000)
    result = CliRunner().invoke(load_tool("ship").main, [str(tmp_path / "shipped"), "--makeover", str(run)])
    assert result.exit_code != 0 and "--report" in result.output


def test_card_of_a_branch_counts_the_run_it_went_on_from(tmp_path):
    """A run started with --init from another run's checkpoint, kept in a folder beside that run's config."""
    first = _fake_run(tmp_path / "first", init_steps=4000)
    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / "ckpt-0000002.weights.h5").write_bytes(b"")
    (kept / "config.json").symlink_to(first / "config.json")
    (kept / "stats.jsonl").symlink_to(first / "stats.jsonl")
    branch = tmp_path / "branch"
    branch.mkdir()
    config = {"data": {"dataset": "synthetic", "image_size": 32}, "train": {"batch_size": 16},
              "init_from": str(kept / "ckpt-0000002.weights.h5")}
    (branch / "config.json").write_text(json.dumps(config))
    (branch / "stats.jsonl").write_text("\n".join(json.dumps({"step": s, "time": t})
                                                  for s, t in [(3, 1.0), (4, 3600.0)]) + "\n")
    (branch / "generator.keras").write_bytes(b"weights")
    (branch / "generator.json").write_text(json.dumps({"steps": 5}))
    card = _ship_card(tmp_path, branch)
    assert "- steps: 5 at batch 16, 1.50 h of training" in card  # 1 h here + the first run's 0.5 h up to step 2
    assert "went on from run `first` at step 2" in card
    assert "generator then at `checkpoints/x/generator.keras` (4000 steps)" in card


def test_a_text_only_report_replaces_only_the_shipped_text_numbers(tmp_path):
    ship = load_tool("ship")
    shipped = tmp_path / "evaluation.json"
    shipped.write_text(json.dumps({"makeover": {"mean_success": 0.6}, "text_to_face": {"faces": 500}}))
    new = {"dataset": "d", "split": "test", "classifier": {"mean_accuracy": 0.9, "mean_majority": 0.8},
           "text_to_face": {"faces": 2000}}
    merged = ship.merged_report(new, shipped)
    assert merged["makeover"] == {"mean_success": 0.6}
    assert merged["text_to_face"]["faces"] == 2000 and merged["text_to_face"]["judge_accuracy"] == 0.9
    assert ship.merged_report({**new, "makeover": {}}, shipped) == {**new, "makeover": {}}


def test_a_part_kept_from_the_old_card_ends_where_its_section_ends():
    ship = load_tool("ship")
    card = "## Training procedure\n\n### Text\n\nold text\n\n### Classifier\n\nacc 0.9\n\n## Evaluation\n\nnumbers\n"
    assert ship.sections(card, "### ") == {"Text": ["old text"], "Classifier": ["acc 0.9"]}
    assert ship.sections(card)["Evaluation"] == ["numbers"]
