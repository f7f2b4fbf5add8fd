"""Copy a model's inference files from run folders into checkpoints/NAME/ and write its model card.

Only inference weights travel (generator.keras, text_to_face.keras, classifier.keras and their
.json); discriminators and optimizer state stay in the run folders. Each part's fully resolved
training config goes to training_config.json (what tools/card_config.py reads back). The card
has the Hugging Face model-card sections; the prose ones (Model details, Uses, Training data,
Limitations and biases) come from --notes, a Markdown file with those `## ` sections, or are
kept from the existing card; Training procedure and Evaluation are written from the runs' own
records and from evaluation.json. A part not given (say --text) keeps its files and its lines.
After shipping a new generator, export it for transform's fast path:
python tools/export_tflite.py checkpoints/NAME (tests/test_shipped.py fails until the two match).

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

from makeover.config import drop_retired  # noqa: E402  (after the path insert)
from makeover.inference import EVALUATION, TRAINING_CONFIG  # noqa: E402
from makeover.train import CHECKPOINT_RE  # noqa: E402

LICENCE = ("Trained on CelebA, which is available for non-commercial research and educational purposes only. "
           "This model, and anything made with it, is for non-commercial research and education only.")
SYNTHETIC_LICENCE = ("Trained only on the project's own drawn synthetic faces (`--dataset synthetic`): no CelebA "
                     "or other third-party image was used, so the project's own licence applies.")
PROSE = ("Model details", "Uses", "Training data")
LIMITS = "Limitations and biases"
PARTS = (("makeover", "Makeover generator", ("generator.keras", "generator.json")),
         ("text", "Text-to-face path", ("text_to_face.keras", "text_to_face.json")),
         ("classifier", "Evaluation classifier", ("classifier.keras", "classifier.json")))


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


def merged_report(report: dict, shipped: Path) -> dict:
    """The report to ship: a text-path-only report (a new text path on the same generator) replaces only
    the shipped report's text_to_face, which then says where, on how many faces and by which judge."""
    if "makeover" in report or "text_to_face" not in report or not shipped.is_file():
        return report
    old = json.loads(shipped.read_text())
    judge = report.get("classifier", {})
    return {**old, "text_to_face": {**report["text_to_face"], "dataset": report.get("dataset"),
                                    "split": report.get("split"), "judge_accuracy": judge.get("mean_accuracy"),
                                    "judge_majority": judge.get("mean_majority")}}


def sections(markdown: str, level: str = "## ") -> dict[str, list[str]]:
    """The `level` sections of a Markdown text, by title: their lines, without the title line; each ends
    at the next heading of its level or a higher one (a card's last ### part stops at ## Evaluation)."""
    depth = len(level.strip())
    out = {}
    for part in re.split("^" + re.escape(level), markdown, flags=re.M)[1:]:
        title, _, body = part.partition("\n")
        body = re.split(f"^#{{1,{depth - 1}}} ", body, maxsplit=1, flags=re.M)[0] if depth > 1 else body
        out[title.strip()] = body.strip("\n").split("\n") if body.strip("\n") else []
    return out


def procedure(run: Path, files: tuple[str, ...], dest: Path) -> tuple[list[str], dict]:
    """Copy a part's files from `run` to `dest`; its Training procedure lines and resolved config."""
    meta = json.loads((run / files[1]).read_text())
    # the exported step: a run may have gone on past it; read before copying, since a run started
    # from dest's own generator.keras (train --init) is described by the files about to be replaced
    facts = _run_facts(run, meta.get("steps"))
    for name in files:
        shutil.copy2(run / name, dest / name)
    data, size_mb = facts["config"]["data"], (dest / files[0]).stat().st_size / 1e6
    out = [f"- files: `{files[0]}` ({size_mb:.1f} MB), `{files[1]}`; run `{run.name}`",
           f"- data: `{data['dataset']}`, train split only, {data['image_size']} px"]
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
                   f"attributes (majority-class baseline {meta['mean_majority']:.3f}), {meta['epochs']} epochs")
    return out, drop_retired(facts["config"])


def _share(cell: dict) -> str:
    return "-" if not cell["asked"] else f"{cell['share']:.3f} ({cell['asked']})"


def evaluation_lines(report: dict) -> list[str]:
    """The card's Evaluation section from evaluation.json (--run evaluate's report.json)."""
    makeover, model = report["makeover"], report["makeover"]["model"]
    per, base = model["per_attribute"], report["makeover"]["identity_baseline"]["per_attribute"]
    judged = "low-pass" if "headline_lowpass" in model else "at 3/4"
    key = "success_lowpass" if judged == "low-pass" else "success_rescaled"
    out = [f"`--run evaluate` on the {report['split']} split of `{report['dataset']}`, {report['images']} faces, "
           f"each asked to flip one attribute ({makeover['mode']}), judged by the shipped evaluation classifier "
           f"(mean accuracy {report['classifier']['mean_accuracy']:.3f}; majority {report['classifier']['mean_majority']:.3f}). "
           f"*{judged}*: the edit judged after shrinking ({'to 1/2' if judged == 'low-pass' else 'to 3/4'}) and back, "
           "where a texture only classifiers read is lost. *preserved*: other attributes unchanged.", "",
           f"| attribute | edit success | adding (faces) | removing (faces) | {judged} | identity map | preserved |",
           "|---|---|---|---|---|---|---|"]
    for name, a in per.items():
        out.append(f"| {name} | {a['success']:.3f} | {_share(a['on'])} | {_share(a['off'])} | {a[key]:.3f} "
                   f"| {base[name]['success']:.3f} | {a['preserved']:.3f} |")
    out += [f"| **mean** | **{model['mean_success']:.3f}** | | | | | {model['mean_preserved']:.3f} |", "",
            f"- headline (Male, Smiling, Eyeglasses, Young, hair colours): {model['headline_success']:.3f} "
            f"(identity map {makeover['identity_baseline']['headline_success']:.3f})"
            + (f"; low-pass {model['headline_lowpass']:.3f}" if "headline_lowpass" in model else ""),
            f"- reconstruction, G(x, own labels) against x: {makeover['reconstruction']['psnr']:.1f} dB PSNR, "
            f"SSIM {makeover['reconstruction']['ssim']:.3f}"]
    for row in makeover.get("strength_sweep", []):
        out.append(f"- `--strength {row['strength']:g}`: edit success {row['mean_success']:.3f}, "
                   f"preserved {row['mean_preserved']:.3f}")
    if "counterfactual" in report:
        c = report["counterfactual"]
        out.append(f"- PSNR to the renderer's exact edit: {c['model']['mean_psnr']:.2f} dB (identity map "
                   f"{c['identity_baseline']['mean_psnr']:.2f}, a perfect model {c['perfect_model']['mean_psnr']:.1f})")
    text = report.get("text_to_face")
    if text:
        judged = (f" of the {text['split']} split, judged by a classifier of mean accuracy {text['judge_accuracy']:.3f} "
                  f"(majority {text['judge_majority']:.3f})" if "judge_accuracy" in text else "")
        out.append(f"- text to face, {text['faces']} faces{judged}: requested attributes present {text['requested_present']:.3f} "
                   f"(real faces {text['requested_present_real_baseline']:.3f}), of those asked present "
                   f"{text['requested_on_present']:.3f} (real {text['requested_on_present_real_baseline']:.3f}); "
                   f"KID on classifier features {text['kid_fake_vs_real']:.3f} (real vs real "
                   f"{text['kid_real_vs_real_baseline']:.3f}); diversity, pixel L1 {text['diversity_pixel_l1']:.3f}"
                   + (f", across seeds on classifier features {text['diversity_ratio_to_real']:.2f}x that of the real "
                      f"test faces closest to the same requests" if "diversity_ratio_to_real" in text else "")
                   + (f"; a face-recognition net (`makeover/identity.py`) calls {text['people']['different_people']:.2f} "
                      f"of one request's seed pairs different people (those real faces: "
                      f"{text['people_real_baseline']['different_people']:.2f})" if "people" in text else ""))
    return out + ["", f"The whole report, per direction, is `{EVALUATION}` beside the model."]


def card_text(title: str, licence: str, prose: dict, parts: dict, report: dict | None) -> str:
    """The model card: Hugging Face's sections, in their order."""
    lines = [f"# {title}", ""]
    for name in PROSE:
        lines += [f"## {name}", "", *prose.get(name, ["(not written yet)"]), ""]
    lines += ["## Training procedure", "", f"Each part's fully resolved config is in `{TRAINING_CONFIG}` "
              "(`python tools/card_config.py` turns the generator's into a TOML to train on from).", ""]
    for label, body in parts.items():
        lines += [f"### {label}", "", *body, ""]
    lines += ["## Evaluation", "", *(evaluation_lines(report) if report else ["(not evaluated)"]), ""]
    lines += [f"## {LIMITS}", "", *prose.get(LIMITS, ["(not written yet)"]), ""]
    return "\n".join(lines + ["## Licence", "", licence, ""])


@click.command()
@click.argument("dest", type=click.Path(file_okay=False))
@click.option("--makeover", type=click.Path(exists=True, file_okay=False), help="Run folder of the makeover GAN.")
@click.option("--text", type=click.Path(exists=True, file_okay=False), help="Run folder of the text path.")
@click.option("--classifier", type=click.Path(exists=True, file_okay=False), help="Run folder of the classifier.")
@click.option("--report", type=click.Path(exists=True, dir_okay=False), help="report.md from --run evaluate")
@click.option("--notes", type=click.Path(exists=True, dir_okay=False),
              help="Markdown with the prose sections: " + ", ".join(PROSE + (LIMITS,)) + ".")
@click.option("--title", default="makeover model", show_default=True)
def main(dest, makeover, text, classifier, report, notes, title):
    """Ship run folders as checkpoints/DEST with its model card."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    old = (dest / "MODEL_CARD.md").read_text() if (dest / "MODEL_CARD.md").is_file() else ""
    prose = {**sections(old), **(sections(Path(notes).read_text()) if notes else {})}
    old_parts = sections(old, "### ")
    configs = json.loads((dest / TRAINING_CONFIG).read_text()) if (dest / TRAINING_CONFIG).is_file() else {}
    given = {"makeover": makeover, "text": text, "classifier": classifier}
    if (makeover or text) and not report:
        raise click.UsageError("a new generator or text path needs its --report (from --run evaluate)")
    parts = {}
    for key, label, files in PARTS:
        if given[key]:
            parts[label], configs[key] = procedure(Path(given[key]), files, dest)
        elif label in old_parts and (dest / files[0]).is_file():  # not shipped anew: keep what the card said
            parts[label] = old_parts[label]
    if report:  # its numbers, machine-readable, beside the model: transform warns from them
        merged = merged_report(json.loads(_report_json(Path(report)).read_text()), dest / EVALUATION)
        (dest / EVALUATION).write_text(json.dumps(merged, indent=1) + "\n", encoding="utf-8")
    synthetic = (all(c["data"]["dataset"] == "synthetic" for c in configs.values()) and LICENCE not in old)
    evaluation = json.loads((dest / EVALUATION).read_text()) if (dest / EVALUATION).is_file() else None
    (dest / TRAINING_CONFIG).write_text(json.dumps(configs, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    card = card_text(title, SYNTHETIC_LICENCE if synthetic else LICENCE, prose, parts,
                     evaluation if evaluation and evaluation.get("makeover") else None)
    (dest / "MODEL_CARD.md").write_text(card, encoding="utf-8")
    click.echo(f"wrote {dest}")


if __name__ == "__main__":
    main()
