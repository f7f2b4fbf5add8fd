"""dlib's code of who each of some training faces is, for the text path's text.identity_codes.

    python tools/identity_codes.py --dataset ../shared/data/celeba_large --count 14000 --out runs/identity/train.npz

Writes index (the faces' positions in the training split) and desc (their 128-d dlib descriptors,
makeover/identity.py). About 0.08 s a face on 2 cores: 14,000 faces take about 19 min.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


@click.command()
@click.option("--dataset", type=click.Path(exists=True, file_okay=False), required=True,
              help="A CelebA folder (e.g. ../shared/data/celeba_large).")
@click.option("--count", type=click.IntRange(min=2), default=14000, show_default=True,
              help="Training faces to code, drawn at random (all of them if the split has fewer).")
@click.option("--size", type=click.IntRange(min=32), default=64, show_default=True,
              help="Face size, as the text path trains.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="The .npz to write.")
def main(dataset, count, size, seed, out):
    from makeover.data.pipeline import open_source
    from makeover.identity import IdentityJudge
    from tqdm.auto import tqdm

    source = open_source(dataset, "train", 0, seed, False)
    index = np.sort(np.random.default_rng(seed).choice(len(source), min(count, len(source)), replace=False))
    judge, desc = IdentityJudge(), []
    for start in tqdm(range(0, len(index), 100), desc="coding faces", unit="100 faces"):
        desc.append(judge.embed(np.stack([source.load(int(i), size) for i in index[start:start + 100]])))
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, index=index, desc=np.concatenate(desc))
    click.echo(f"wrote {out}: {len(index)} faces")


if __name__ == "__main__":
    main()
