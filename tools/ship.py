"""Copy a model's inference files from run folders into checkpoints/NAME/ and write its model card.

Only inference weights travel (generator.keras, text_to_face.keras, classifier.keras and
their .json); discriminators and optimizer state stay in the run folders. After shipping a new
generator, export it for transform's fast path: python tools/export_tflite.py checkpoints/NAME
(tests/test_shipped.py fails until the two match). A part not given
(say --text) keeps its files and its section of the existing card.

    python tools/ship.py checkpoints/celeba64 --makeover runs/00000-celeba64 --text runs/00003-text \\
        --classifier runs/00002-classifier64 --report runs/evaluate-celeba64/report.md --notes notes.md
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from makeover.inference import EVALUATION  # noqa: E402  (after the path insert)
from makeover.train import CHECKPOINT_RE  # noqa: E402

LICENCE = ("Trained on CelebA, which is available for non-commercial research and educational purposes only. "
           "This model, and anything made with it, is for non-commercial research and education only.")
SYNTHETIC_LICENCE = ("Trained only on the project's own drawn synthetic faces (`--dataset synthetic`): no CelebA "
                     "or other third-party image was used, so the project's own licence applies.")


EVALUATED = "`--run evaluate` on the test split"


def _run_facts(run: Path, up_to_step: int | None = None) -> dict:
    """Config, steps and training seconds of a run, following `init_from` to the runs it started from."""
    config = json.loads((run / "config.json").read_text())
    lines = (run / "stats.jsonl").read_text().splitlines() if (run / "stats.jsonl").is_file() else []
    stats = [s for s in map(json.loads, lines) if up_to_step is None or s["step"] <= up_to_step]
    # "time" restarts at 0 in a resumed segment: add up the segments
    seconds = sum(a["time"] for a, b in zip(stats, stats[1:] + [None]) if b is None or b["time"] < a["time"])
    facts = {"config": config, "steps": stats[-1]["step"] if stats else None, "seconds": seconds or None}
    init = Path(config.get("init_from", ""))
    if init.suffix == ".keras":  # a generator alone (train --init): the file may since have been replaced
        facts["init"] = (init, config.get("init_steps"))
    elif "init_from" in config:
        # run/checkpoints/ckpt-N, or a checkpoint kept in a folder of its own beside its run's config.json
        init_run = init.parent if (init.parent / "config.json").is_file() else init.parent.parent
        step = int(CHECKPOINT_RE.match(init.name).group(1))
        parent = _run_facts(init_run, step)
        facts["seconds"] = seconds + (parent["seconds"] or 0) or None
        facts["branched"] = ((init_run / "config.json").resolve().parent.name, step)
        if "init" in parent:  # the chain's first run started from a generator file
            facts["init"] = parent["init"]
    return facts


def _report_json(report_md: Path) -> Path:
    """report.json written with `report_md` by --run evaluate."""
    path = report_md.with_suffix(".json")
    if not path.is_file():
        raise click.UsageError(f"no {path.name} beside {report_md}: pass the report.md --run evaluate wrote")
    return path


def _previous_sections(card: str) -> dict[str, list[str]]:
    """The '## ' sections of an existing model card's text, by title (to keep those not shipped anew)."""
    parts = re.split(r"^## ", card, flags=re.M)[1:]
    return {part.split("\n", 1)[0].strip(): ("## " + part).rstrip().split("\n") + [""] for part in parts}


def _section(title: str, run: Path, files: list[str], dest: Path) -> list[str]:
    meta = json.loads((run / files[1]).read_text()) if len(files) > 1 else {}
    # the exported step: a run may have gone on past it; read before copying, since a run started
    # from dest's own generator.keras (train --init) is described by the files about to be replaced
    facts = _run_facts(run, meta.get("steps"))
    for name in files:
        shutil.copy2(run / name, dest / name)
    data = facts["config"]["data"]
    size_mb = sum((dest / f).stat().st_size for f in files if f.endswith(".keras")) / 1e6
    out = [f"## {title}", "", f"- files: {', '.join(f'`{f}`' for f in files)} ({size_mb:.1f} MB)",
           f"- data: `{data['dataset']}`, train split only, {data['image_size']} px",
           f"- run: `{run.name}`"]
    steps = meta.get("steps", facts["steps"])  # the exported count (stats number steps from 0)
    if steps is not None:
        wall = f", {facts['seconds'] / 3600:.2f} h of training" if facts["seconds"] else ""
        out.append(f"- steps: {steps} at batch {facts['config']['train']['batch_size']}{wall}")
    if "branched" in facts:
        out.append("- went on from run `{}` at step {} (its weights and optimizer state); the steps and time above "
                   "include that run's".format(*facts["branched"]))
    if "init" in facts:
        path, init_steps = facts["init"]
        out.append(f"- started from the generator then at `{path}`" + (f" ({init_steps} steps)" if init_steps else "")
                   + " with a new discriminator; the steps and time above count from there")
    if "mean_accuracy" in meta:
        out.append(f"- test-split accuracy: {meta['mean_accuracy']:.3f} mean over {len(meta['attributes'])} "
                   f"attributes (majority-class baseline {meta['mean_majority']:.3f}), {meta['epochs']} epochs, "
                   f"{meta['wall_seconds'] / 60:.0f} min")
    out += ["", "<details><summary>resolved config</summary>", "", "```json",
            json.dumps(facts["config"], indent=1, sort_keys=True), "```", "</details>", ""]
    return out


@click.command()
@click.argument("dest", type=click.Path(file_okay=False))
@click.option("--makeover", type=click.Path(exists=True, file_okay=False))
@click.option("--text", type=click.Path(exists=True, file_okay=False))
@click.option("--classifier", type=click.Path(exists=True, file_okay=False))
@click.option("--report", type=click.Path(exists=True, dir_okay=False), help="report.md from --run evaluate")
@click.option("--notes", type=click.Path(exists=True, dir_okay=False), help="Markdown: hardware, failure cases...")
@click.option("--title", default="makeover model", show_default=True)
def main(dest, makeover, text, classifier, report, notes, title):
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    old_card = (dest / "MODEL_CARD.md").read_text() if (dest / "MODEL_CARD.md").is_file() else ""
    previous = _previous_sections(old_card)
    runs = [Path(r) for r in (makeover, text, classifier) if r]
    synthetic = (all(_run_facts(r)["config"]["data"]["dataset"] == "synthetic" for r in runs)
                 and LICENCE not in old_card)  # a kept part may be CelebA's
    card = [f"# {title}", "", f"**Licence condition.** {SYNTHETIC_LICENCE if synthetic else LICENCE}", ""]
    if notes:
        card += [Path(notes).read_text().strip(), ""]
    for label, run, files in (("Makeover generator", makeover, ["generator.keras", "generator.json"]),
                              ("Text-to-face path", text, ["text_to_face.keras", "text_to_face.json"]),
                              ("Evaluation classifier", classifier, ["classifier.keras", "classifier.json"])):
        if run:
            card += _section(label, Path(run), files, dest)
        elif label in previous and (dest / files[0]).is_file():  # not shipped anew: keep what the card said
            card += previous[label]
    if report:
        # its numbers, machine-readable, beside the model: transform warns from them
        shutil.copy2(_report_json(Path(report)), dest / EVALUATION)
        card += [f"## {EVALUATED}", "",
                 re.sub(r"^## ", "### ", Path(report).read_text().split("\n", 1)[1].strip(), flags=re.M), ""]
    elif makeover or text:
        raise click.UsageError("a new generator or text path needs its --report (from --run evaluate)")
    elif EVALUATED in previous:
        card += previous[EVALUATED]
    (dest / "MODEL_CARD.md").write_text("\n".join(card), encoding="utf-8")
    click.echo(f"wrote {dest}")


if __name__ == "__main__":
    main()
