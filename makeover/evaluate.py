"""`--run evaluate`: what the models do, measured on held-out faces, beside baselines.

Every number is computed on the test split (CelebA) or on test identities
(synthetic), which no model trained on (or on the val split, `--split val`, to
choose between checkpoints without looking at test), and is judged by the evaluation
classifier, which did not train the GAN. Baselines in the same table:
the identity map (output = input) for edits, real test faces for text-to-face.

Metrics
- classifier accuracy per attribute (and the majority-class rate);
- edit success: flip one attribute (with the conflict rules), the share of
  outputs on which the classifier sees the new value;
- preservation: the classifier's agreement, output vs input, on the
  attributes not asked to change; mean |output - input| in 0..255;
- reconstruction: PSNR / SSIM of G(x, own attributes) against x;
- synthetic counterfactual: PSNR / SSIM / L1 of G(x, flipped) against the
  same face rendered with the flipped attribute (the exact answer);
- text-to-face: share of requested attributes the classifier sees, diversity
  across seeds (pixel L1 and classifier-feature distance), and KID (polynomial
  kernel MMD, Binkowski et al. 2018) on classifier features: there are no
  Inception weights offline, so KID here is comparable only to itself; and the
  4x4 block texture (losses.subpixel_phase) of generated against real faces.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from makeover.attributes import apply_conflict_rules, flip_targets
from makeover.config import save_json
from makeover.identity import SAME_PERSON, pairwise_distances
from makeover.inference import WARN_BELOW, WARN_MIN_ASKED

log = logging.getLogger(__name__)
# Attributes the quality target averages over (those the model has).
HEADLINE = ("Male", "Smiling", "Eyeglasses", "Young", "Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair")


# ---------------------------------------------------------------- metrics

def psnr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per image, uint8 inputs: 10 log10(255^2 / MSE); inf when identical."""
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2, axis=(1, 2, 3))
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(255.0 ** 2 / mse)


def ssim(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per image SSIM (Wang et al. 2004: 11x11 Gaussian window, sigma 1.5), via tf.image.ssim."""
    import tensorflow as tf

    return tf.image.ssim(tf.constant(a, tf.float32), tf.constant(b, tf.float32), max_val=255.0).numpy()


def kid(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD^2 with k(a, b) = (a.b / d + 1)^3 between feature sets x (m x d) and y (n x d)."""
    d = x.shape[1]
    kxx, kyy, kxy = ((p @ q.T / d + 1.0) ** 3 for p, q in ((x, x), (y, y), (x, y)))
    m, n = len(x), len(y)
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
                 - 2.0 * kxy.mean())


def texture(images: np.ndarray) -> float:
    """losses.subpixel_phase of uint8 images: a pattern repeated every 4 px (the text path's blocks)."""
    from makeover.losses import subpixel_phase

    return float(subpixel_phase(images.astype(np.float32) / 127.5 - 1.0))


def feature_spread(features: np.ndarray) -> float:
    """Mean pairwise Euclidean distance between feature rows: how different a set of faces looks to a judge."""
    return float(pairwise_distances(features).mean())


def mean_pairwise_l1(images: np.ndarray) -> float:
    flat = images.reshape(len(images), -1).astype(np.float32)
    pairs = [np.abs(flat[i] - flat[j]).mean() for i in range(len(flat)) for j in range(i + 1, len(flat))]
    return float(np.mean(pairs)) if pairs else 0.0


# ---------------------------------------------------------------- the judge

class Judge:
    """The evaluation classifier, over the attributes it knows."""

    def __init__(self, model, meta: dict):
        import keras

        self.model = model
        self.names = tuple(meta["attributes"])
        self.size = int(meta["image_size"])
        self.features = keras.Model(model.inputs[0], model.get_layer("gap").output)

    def signs(self, images: np.ndarray) -> np.ndarray:
        from makeover.classify import predict_logits

        return np.where(predict_logits(self.model, self._fit(images)) > 0, 1, -1)

    def embed(self, images: np.ndarray) -> np.ndarray:
        from makeover.classify import predict_logits

        return predict_logits(self.features, self._fit(images)).astype(np.float64)

    def _fit(self, images):
        import cv2

        if images.shape[1] == self.size:
            return images
        return np.stack([cv2.resize(im, (self.size, self.size), interpolation=cv2.INTER_AREA) for im in images])


# ---------------------------------------------------------------- makeover

RESCALE = 0.75   # edits are judged again shrunk to this and brought back (see rescaled)
# The texture-proof headline: edits judged after a low-pass, shrunk to half and brought back, which wipes out
# a pattern only classifiers read (a 4-px dot band) and keeps a change a person sees (issue 39).
LOWPASS = 0.5


def rescaled(images: np.ndarray, scale: float) -> np.ndarray:
    """uint8 images shrunk to `scale` of their size (area) and brought back (bilinear).

    A real attribute mostly survives it; a texture only a classifier reads (the guide's
    adversarial dot band that came out as "glasses") does not, so edit success at this
    scale tells the two apart where success at full size cannot.
    """
    import cv2

    if scale == 1:
        return images
    h, w = images.shape[1:3]
    small = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.stack([cv2.resize(cv2.resize(im, small, interpolation=cv2.INTER_AREA), (w, h),
                                interpolation=cv2.INTER_LINEAR) for im in images])


def eye_band(images: np.ndarray, darken: float = 0.4) -> np.ndarray:
    """uint8 template crops with a dark band across both eyes and no frames: not glasses to a person.

    The band spans the eyes of the crop template (data/template.py), half an eye distance high and
    the eyes plus 0.9 of an eye distance on each side wide, at `darken` of its brightness. CelebA's
    Eyeglasses label includes sunglasses, so a judge may read such a band as glasses: the share it
    does is what Eyeglasses' edit success is worth beside it (`shortcut_baseline`).
    """
    from makeover.data.template import LANDMARKS

    size = images.shape[1]
    (lx, ly), (rx, _) = LANDMARKS["left_eye"], LANDMARKS["right_eye"]   # the template's eyes share a row
    span = rx - lx
    y0, y1 = round(size * (ly - span / 4)), round(size * (ly + span / 4))
    x0, x1 = max(0, round(size * (lx - 0.9 * span))), min(size, round(size * (rx + 0.9 * span)))
    out = images.astype(np.float32)
    out[:, y0:y1, x0:x1] *= darken
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def shortcut_baseline(images: np.ndarray, labels: np.ndarray, conditioned: tuple[str, ...], judge) -> dict:
    """Eyeglasses read on eye_band(faces) of the faces without glasses, sharp and texture-proof (LOWPASS)."""
    if "Eyeglasses" not in conditioned or "Eyeglasses" not in judge.names:
        return {}
    without = labels[:, conditioned.index("Eyeglasses")] < 0
    if not without.any():
        return {}
    banded, j = eye_band(images[without]), judge.names.index("Eyeglasses")
    return {"Eyeglasses": {"faces": int(without.sum()), "success": float(np.mean(judge.signs(banded)[:, j] > 0)),
                           "success_lowpass": float(np.mean(judge.signs(rescaled(banded, LOWPASS))[:, j] > 0))}}


def blurred(images: np.ndarray, sigma: float) -> np.ndarray:
    """Each image (N x H x W x C, any dtype) blurred by a Gaussian of `sigma` px, same dtype."""
    import cv2

    return np.stack([cv2.GaussianBlur(im, (0, 0), sigma) for im in images])


def edit_texture(out: np.ndarray, images: np.ndarray, window: int = 16) -> float | None:
    """How much of an edit's change is a pattern repeated every 4 px: losses.subpixel_phase of
    out - images per `window` px, over the mean absolute change (one dot in every 4x4 block:
    1.875); 0 for no change, None for a change under half a grey level, where rounding decides it.

    The guide's textures (the glasses dot grid) are what G's two depth-to-space steps paint
    cheaply; a recoloured region moves all sub-pixel phases together. Natural detail scores too
    (two real CelebA test faces differ by ~0.11), so read it beside that reference.
    """
    from makeover.losses import subpixel_phase

    h, w = (images.shape[1] // window) * window, (images.shape[2] // window) * window
    change = (out[:, :h, :w].astype(np.float32) - images[:, :h, :w]) / 127.5
    size = float(np.abs(change).mean()) if h and w else 0.0
    if size == 0:
        return 0.0
    if size < 0.5 / 127.5:
        return None
    return float(subpixel_phase(change, window=window)) / size


def edit_metrics(edit, images: np.ndarray, labels: np.ndarray, conditioned: tuple[str, ...], judge: Judge,
                 strength: float = 1.0) -> dict:
    """Edit success (also at RESCALE), preservation and change per conditioned attribute the judge knows.

    `strength` scales each request as `transform --strength` does.
    """
    before = judge.signs(images)
    per = {}
    for k, name in enumerate(conditioned):
        if name not in judge.names:
            continue
        c = flip_targets(labels, k, conditioned)
        out = edit(images, c * np.float32(strength))
        seen = judge.signs(out)
        j = judge.names.index(name)
        others = [judge.names.index(a) for a, v in zip(conditioned, c[0]) if v == 0 and a in judge.names]
        hit = seen[:, j] == -labels[:, k]
        hit_lowpass = judge.signs(rescaled(out, LOWPASS))[:, j] == -labels[:, k]
        per[name] = {"success": float(np.mean(hit)), **by_direction(hit, -labels[:, k]),
                     "success_lowpass": float(np.mean(hit_lowpass)),
                     "lowpass": by_direction(hit_lowpass, -labels[:, k]),
                     "success_rescaled": float(np.mean(judge.signs(rescaled(out, RESCALE))[:, j] == -labels[:, k])),
                     "preserved": float(np.mean(seen[:, others] == before[:, others])),
                     "mean_abs_change": float(np.abs(out.astype(np.float32) - images).mean()),
                     "texture": edit_texture(out, images)}
    headline = [per[a]["success"] for a in HEADLINE if a in per]
    headline_lowpass = [per[a]["success_lowpass"] for a in HEADLINE if a in per]
    return {"per_attribute": per,
            "headline_lowpass": float(np.mean(headline_lowpass)) if headline_lowpass else None,
            "lowpass_directions": _direction_means(per, HEADLINE),
            "mean_success": float(np.mean([v["success"] for v in per.values()])),
            "mean_success_rescaled": float(np.mean([v["success_rescaled"] for v in per.values()])),
            "headline_success": float(np.mean(headline)) if headline else None,
            "mean_preserved": float(np.mean([v["preserved"] for v in per.values()])),
            "mean_texture": _mean_of_known([v["texture"] for v in per.values()])}


def _direction_means(per: dict, names) -> dict:
    """The low-pass success over `names`, asked on and asked off separately (each weighted by its faces)."""
    out = {}
    for key in ("on", "off"):
        cells = [per[a]["lowpass"][key] for a in names if a in per and per[a]["lowpass"][key]["asked"]]
        asked = sum(c["asked"] for c in cells)
        out[key] = sum(c["share"] * c["asked"] for c in cells) / asked if asked else None
    return out


def by_direction(hit: np.ndarray, asked: np.ndarray) -> dict:
    """Share of hits among requests to turn an attribute on (asked > 0) and off (asked < 0).

    The two differ a lot (a model may add glasses well and remove them badly), and a user
    asks for one of them: transform warns from these numbers.
    """
    return {key: {"share": float(hit[mask].mean()) if mask.any() else None, "asked": int(mask.sum())}
            for key, mask in (("on", asked > 0), ("off", asked < 0))}


def _mean_of_known(values: list) -> float | None:
    known = [v for v in values if v is not None]
    return float(np.mean(known)) if known else None


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def strength_sweep(edit, images, labels, conditioned: tuple[str, ...], judge: Judge, strengths,
                   at_one: dict | None = None) -> list[dict]:
    """Success against preservation at each test-time strength (AttGAN's intensity control).

    `at_one`: edit_metrics at strength 1 when already measured, so it is not measured again.
    """
    rows = []
    for s in strengths:
        m = at_one if s == 1 and at_one else edit_metrics(edit, images, labels, conditioned, judge, s)
        rows.append({"strength": float(s), **{k: m[k] for k in ("mean_success", "headline_success", "headline_lowpass",
                                                               "mean_preserved")},
                     "mean_abs_change": float(np.mean([v["mean_abs_change"] for v in m["per_attribute"].values()]))})
    return rows


def reconstruction_metrics(edit, images: np.ndarray, labels: np.ndarray) -> dict:
    scores = image_scores(edit(images, labels.astype(np.float32)), images)
    return {"psnr": scores["psnr"], "ssim": scores["ssim"]}


def counterfactual_metrics(edit, faces, indices, size: int, conditioned: tuple[str, ...]) -> dict:
    """Synthetic faces: G(x, flip a) against the same identity rendered with a flipped (exact truth)."""
    per = {}
    for k, name in enumerate(conditioned):
        asked = counterfactual_requests(faces, indices, conditioned, k)
        xs = np.stack([faces.image(i, size) for i, _, _ in asked])
        out = edit(xs, np.stack([c for _, c, _ in asked]))
        per[name] = image_scores(out, np.stack([faces.image(i, size, overrides) for i, _, overrides in asked]))
    return _per_attribute_summary(per)


def counterfactual_ceiling(faces, indices, size: int, conditioned: tuple[str, ...], draws: int = 2) -> dict:
    """What a perfect model scores on counterfactual_metrics: the true answer, but with what the input
    face does not show (the colour and shape of glasses not worn, a hat's colour, a man's hair length;
    synthetic.hidden_fields) drawn from other identities, averaged over `draws`. Nothing can know
    those from the face, so the truth is one of many equally right answers."""
    per = {}
    for k, name in enumerate(conditioned):
        asked = counterfactual_requests(faces, indices, conditioned, k)
        truth = np.stack([faces.image(i, size, overrides) for i, _, overrides in asked])
        scores = [image_scores(np.stack([faces.plausible_image(i, size, overrides, d) for i, _, overrides in asked]),
                               truth) for d in range(draws)]
        per[name] = {m: float(np.mean([s[m] for s in scores])) for m in scores[0]}
    return _per_attribute_summary(per)


def counterfactual_requests(faces, indices, conditioned: tuple[str, ...], k: int) -> list:
    """(face index, request c, renderer overrides) per face for flipping attribute k: attributes.flip_targets."""
    asked = []
    for i in indices:
        attrs = faces.attributes_of(i)
        labels = np.array([attrs.get(a, -1) for a in conditioned], np.float32)
        c = flip_targets(labels[None], k, conditioned)[0]
        asked.append((i, c, {a: int(v) for a, v in zip(conditioned, c) if v != 0}))
    return asked


def image_scores(out: np.ndarray, truth: np.ndarray) -> dict:
    """Mean PSNR (each image's capped at 100 dB), SSIM and L1 (in [0, 1]) of uint8 images against the truth."""
    return {"psnr": float(np.mean(np.minimum(psnr(out, truth), 100.0))), "ssim": float(np.mean(ssim(out, truth))),
            "l1": float(np.abs(out.astype(np.float32) - truth).mean() / 255.0)}


def _per_attribute_summary(per: dict) -> dict:
    return {"per_attribute": per, **{f"mean_{m}": float(np.mean([v[m] for v in per.values()]))
                                     for m in ("psnr", "ssim", "l1")}}


# ---------------------------------------------------------------- text to face

def text_metrics(t2f, judge: Judge, real: np.ndarray, labels: np.ndarray, per_prompt: int = 8,
                 seed: int = 0, recogniser=None) -> dict:
    """Generated faces asked for the test faces' own (partial) attributes, judged like real ones; with a
    `recogniser` (identity.IdentityJudge, real faces only) also how many different people each
    prompt's seeds show."""
    rng = np.random.default_rng(seed)
    conditioned = t2f.conditioned
    n = len(labels)
    keep = rng.uniform(size=labels.shape) < 0.5
    requests = np.where(keep, 0, labels).astype(np.float32)
    requests = apply_conflict_rules(requests, conditioned)
    faces = t2f.faces(requests, seed)
    ks = [k for k, a in enumerate(conditioned) if a in judge.names]   # attributes the judge knows
    want = np.sign(requests[:, ks])
    columns = [judge.names.index(conditioned[k]) for k in ks]
    hit_fake, hit_real = judge.signs(faces)[:, columns] == want, judge.signs(real)[:, columns] == want
    # most requests are absences ("no hat", "not bald"), which a description seldom says and
    # a face seldom breaks: the share among presences alone is the harder number
    asked, on = want != 0, want > 0

    def directions(hit):
        return {conditioned[k]: by_direction(hit[:, c], want[:, c]) for c, k in enumerate(ks)}
    prompts = requests[:min(8, n)]
    diversity_px, diversity_feat, diversity_real, real_agreement, people, people_real = [], [], [], [], [], []
    for p in prompts:
        group = t2f.faces(np.repeat(p[None], per_prompt, 0), seed + 1)
        diversity_px.append(mean_pairwise_l1(group) / 255.0)
        diversity_feat.append(feature_spread(judge.embed(group)))
        # the same spread among the real test faces that agree best with p (the 0.7x baseline)
        pick, share = closest_real(labels, p, per_prompt, rng)
        diversity_real.append(feature_spread(judge.embed(real[pick])))
        real_agreement.append(share)
        if recogniser is not None:
            people.append(recogniser.spread(group))
            people_real.append(recogniser.spread(real[pick]))
    half = n // 2
    real_f, fake_f = judge.embed(real), judge.embed(faces)
    return {"requested_present": float(hit_fake[asked].mean()),
            "requested_present_real_baseline": float(hit_real[asked].mean()),
            "requested_on_present": float(hit_fake[on].mean()),
            "requested_on_present_real_baseline": float(hit_real[on].mean()),
            "per_attribute": directions(hit_fake), "per_attribute_real_baseline": directions(hit_real),
            "diversity_pixel_l1": float(np.mean(diversity_px)),
            "diversity_feature_distance": float(np.mean(diversity_feat)),
            "diversity_feature_distance_real_baseline": float(np.mean(diversity_real)),
            "diversity_ratio_to_real": float(np.mean(diversity_feat) / max(np.mean(diversity_real), 1e-12)),
            "diversity_real_request_agreement": float(np.mean(real_agreement)),
            "kid_fake_vs_real": kid(fake_f[:half], real_f[half:]),
            "kid_real_vs_real_baseline": kid(real_f[:half], real_f[half:]),
            "texture_fake": texture(faces), "texture_real_baseline": texture(real),
            **({"people": _mean_dicts(people), "people_real_baseline": _mean_dicts(people_real)} if people else {}),
            "faces": int(n), "open_attributes_drawn": getattr(t2f, "prior", None) is not None}


def _mean_dicts(rows: list[dict]) -> dict:
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}


def closest_real(labels: np.ndarray, request: np.ndarray, count: int, rng) -> tuple[np.ndarray, float]:
    """Indices of the `count` faces whose labels agree with the most of the request's nonzero entries
    (ties broken at random), and the share of those entries they agree with on average."""
    asked = request != 0
    agree = (labels[:, asked] == np.sign(request[asked])).sum(1)
    order = np.lexsort((rng.uniform(size=len(labels)), -agree))[:count]
    return order, float(agree[order].mean() / max(asked.sum(), 1))


# ---------------------------------------------------------------- the command

SPLITS = ("test", "val")  # held-out splits: report on test, choose between checkpoints on val


def trained_target_metrics(edit, images: np.ndarray, selected: np.ndarray, target: dict,
                           conditioned: tuple[str, ...], judge: Judge) -> dict:
    """A --source/--target model's own makeover on the held-out faces its source expression selects: for
    each attribute of its trained target, the share of edits the judge reads so, sharp and after the
    low-pass, beside the unedited faces (identity)."""
    faces = images[selected]
    c = np.zeros((len(faces), len(conditioned)), np.float32)
    for name, value in target.items():
        c[:, conditioned.index(name)] = value
    out = edit(faces, c)
    seen = {"model": judge.signs(out), "model_lowpass": judge.signs(rescaled(out, LOWPASS)),
            "identity": judge.signs(faces)}
    judged = judge.names
    per = {name: {key: float(np.mean(signs[:, judged.index(name)] == value)) for key, signs in seen.items()}
           for name, value in target.items() if name in judged}
    return {"faces": int(len(faces)), "target": target, "per_attribute": per}


def load_test_faces(source, conditioned, size: int, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """The first `limit` faces of `source` that load, at `size` px, and their labels over `conditioned`."""
    kept = [(i, im) for i, im in ((i, source.load(i, size)) for i in range(min(limit, len(source))))
            if im is not None]
    columns = [list(source.attributes).index(a) for a in conditioned]
    return (np.stack([im for _, im in kept]),
            source.values[[i for i, _ in kept]][:, columns].astype(np.float32))


def run_evaluation(checkpoint, classifier, dataset: str, out: Path, limit: int, seed: int = 0,
                   strengths: tuple[float, ...] = (), residual: bool = True, split: str = "test") -> dict:
    """Write report.json/.md and sample sheets to `out`; `strengths` adds a test-time strength sweep.

    `split` "val" measures on the validation faces (CelebA's partition 1; synthetic identities of
    their own), so that checkpoints can be chosen there and only the chosen one is reported on test.

    Edits are made like transform's (FaceEditor, `residual` or direct), with one
    summary row for the other mode; reconstruction is always G's own, G(x, labels)."""
    if split not in SPLITS:  # never the train split: the models learnt from it
        raise ValueError(f"unknown split {split!r}: one of {', '.join(SPLITS)}")
    from makeover.classify import attribute_accuracy, load_classifier
    from makeover.data.pipeline import open_source
    from makeover.edit import FaceEditor
    from makeover.viz import image_grid, save_png

    out.mkdir(parents=True, exist_ok=True)
    editor = FaceEditor.load(checkpoint, residual) if _has(checkpoint, "generator.keras") else None
    judge = Judge(*load_classifier(classifier or checkpoint))
    t2f = None
    if _has(checkpoint, "text_to_face.keras"):
        from makeover.generate import TextToFace

        t2f = TextToFace.load(checkpoint)
    model = editor or t2f
    conditioned = model.conditioned if model else judge.names
    size = model.size if model else judge.size
    source = open_source(dataset, split, max(limit, 64), seed)
    images, labels = load_test_faces(source, conditioned, size, limit)
    n = len(images)
    report = {"dataset": dataset, "split": split, "images": n, "checkpoint": str(checkpoint or "default"),
              "classifier": attribute_accuracy(judge.model, source, judge.names, judge.size, limit=n)}

    def identity(x, c):
        return x

    if editor is not None:
        model = edit_metrics(editor.edit_crops, images, labels, conditioned, judge)
        other = edit_metrics(editor.with_mode(not residual).edit_crops, images, labels, conditioned, judge)
        report["makeover"] = {"mode": _mode(residual), "model": model,
                              "other_mode": {"mode": _mode(not residual),
                                             **{k: other[k] for k in ("mean_success", "headline_success",
                                                                      "headline_lowpass", "mean_preserved")}},
                              "identity_baseline": edit_metrics(identity, images, labels, conditioned, judge),
                              "shortcut_baseline": shortcut_baseline(images, labels, conditioned, judge),
                              "reconstruction": reconstruction_metrics(editor.generate_crops, images, labels),
                              "texture_real_pairs": edit_texture(np.roll(images, 1, axis=0), images)}
        if strengths:
            report["makeover"]["strength_sweep"] = strength_sweep(editor.edit_crops, images, labels, conditioned,
                                                                  judge, strengths, at_one=model)
        if dataset == "synthetic":
            idx = range(min(n, 48))
            report["counterfactual"] = {
                "model": counterfactual_metrics(editor.edit_crops, source.faces, idx, size, conditioned),
                "identity_baseline": counterfactual_metrics(identity, source.faces, idx, size, conditioned),
                "perfect_model": counterfactual_ceiling(source.faces, idx, size, conditioned)}
        expression = editor.meta_selection.get("source") if editor.trained_target else None
        if expression:
            from makeover.attributes import parse_expression, select

            chosen = select(source.values[:n], parse_expression(expression, tuple(source.attributes)),
                            tuple(source.attributes))
            if chosen.any():
                report["trained_target"] = trained_target_metrics(editor.edit_crops, images, chosen,
                                                                  editor.trained_target, conditioned, judge)
        sheet = [images[:8]]
        for name in ("Male", "Smiling", "Eyeglasses", "Young", "Blond_Hair"):
            if name in conditioned:
                k = conditioned.index(name)
                sheet.append(editor.edit_crops(images[:8], flip_targets(labels[:8], k, conditioned)))
        save_png(image_grid(sheet), out / "edits.png")
    if t2f is not None:
        from makeover.generate import prompt_sheet

        recogniser = None
        if dataset != "synthetic":  # a face-recognition net knows real faces, not the cartoons
            from makeover.identity import IdentityJudge

            recogniser = IdentityJudge()
        report["text_to_face"] = text_metrics(t2f, judge, images, labels, seed=seed, recogniser=recogniser)
        save_png(prompt_sheet(t2f), out / "generated.png")
    save_json(report, out / "report.json")
    (out / "report.md").write_text(markdown(report), encoding="utf-8")
    return report


def _mode(residual: bool) -> str:
    return "residual: x + G(x,c) - G(x,0)" if residual else "direct: G(x,c)"


def _has(checkpoint, filename: str) -> bool:
    from makeover.inference import resolve_model

    try:
        resolve_model(checkpoint, filename)
        return True
    except FileNotFoundError:
        return False


def markdown(report: dict) -> str:
    lines = [f"# Evaluation: {report['checkpoint']} on {report['dataset']} ({report['split']}, "
             f"{report['images']} images)", ""]
    c = report["classifier"]
    lines += ["## Evaluation classifier", "",
              f"Mean accuracy {c['mean_accuracy']:.3f} (majority-class baseline {c['mean_majority']:.3f}).", ""]
    if "trained_target" in report:
        t = report["trained_target"]
        lines += ["## The makeover it was trained for", "",
                  f"{t['faces']} held-out faces of its --source, asked for its trained target; the share the "
                  f"classifier reads as asked, sharp and after the low-pass (1/{1 / LOWPASS:g} and back), beside the "
                  "unedited faces.", "", "| attribute | asked | edits | edits, low-pass | unedited |", "|---|---|---|---|---|"]
        lines += [f"| {name} | {t['target'][name]:+g} | {v['model']:.3f} | {v['model_lowpass']:.3f} | {v['identity']:.3f} |"
                  for name, v in t["per_attribute"].items()] + [""]
    if "makeover" in report:
        m = report["makeover"]
        model, base = m["model"], m["identity_baseline"]
        lines += ["## Makeover: flip one attribute", "",
                  f"Edits made as `transform` makes them, {m.get('mode', 'direct: G(x,c)')}.", "",
                  f"*at {RESCALE:g} scale*: the same edits judged after shrinking to {RESCALE:g} and back, "
                  "beside the unedited faces (identity) judged so. An edit that is a texture only classifiers "
                  "read loses its success there; a real change keeps most of it.", "",
                  "*texture*: how much of the edit's change is a pattern repeated every 4 px, over its mean "
                  "change (`evaluate.edit_texture`, per 16 px window; one dot per 4x4 block scores 1.875; - for a change "
                  "under half a grey level); "
                  + (f"the difference between two real test faces: {m['texture_real_pairs']:.3f}."
                     if "texture_real_pairs" in m else ""), "",
                  f"| attribute | edit success | at {RESCALE:g} scale | identity baseline | identity at {RESCALE:g} | "
                  "preserved (other attrs) | mean abs change | texture |",
                  "|---|---|---|---|---|---|---|---|"]
        for a, v in model["per_attribute"].items():
            b = base["per_attribute"][a]
            lines.append(f"| {a} | {v['success']:.3f} | {v['success_rescaled']:.3f} | "
                         f"{b['success']:.3f} | {b['success_rescaled']:.3f} | "
                         f"{v['preserved']:.3f} | {v['mean_abs_change']:.1f} | {_cell(v.get('texture'))} |")
        lines += [f"| **mean** | **{model['mean_success']:.3f}** | {model['mean_success_rescaled']:.3f} | "
                  f"{base['mean_success']:.3f} | {base['mean_success_rescaled']:.3f} | "
                  f"{model['mean_preserved']:.3f} | | {_cell(model.get('mean_texture'))} |", "",
                  f"**Headline, texture-proof** (Male, Smiling, Eyeglasses, Young, hair colours; each edit judged "
                  f"after shrinking to {LOWPASS:g} and back): **{model['headline_lowpass']:.3f}** (identity "
                  f"{base['headline_lowpass']:.3f}); adding "
                  f"{_cell(model['lowpass_directions']['on'])}, removing {_cell(model['lowpass_directions']['off'])}. "
                  f"Judged sharp: {model['headline_success']:.3f} (identity {base['headline_success']:.3f}).", ""]
        band = m.get("shortcut_baseline", {}).get("Eyeglasses")
        if band:
            lines += [f"A shortcut the judge takes: a plain dark band across the eyes, no frames "
                      f"(`evaluate.eye_band`), is read as Eyeglasses on {band['success_lowpass']:.3f} of "
                      f"{band['faces']} faces without glasses texture-proof ({band['success']:.3f} sharp). "
                      "Eyeglasses' edit success cannot tell frames from such a band: look at the sheets.", ""]
        if "other_mode" in m:
            o = m["other_mode"]
            lines += [f"The other mode, {o['mode']}: edit success {o['mean_success']:.3f}, headline "
                      f"{_cell(o.get('headline_lowpass'))} texture-proof, {o['headline_success']:.3f} sharp, preserved "
                      f"{o['mean_preserved']:.3f}.", ""]
        r = m["reconstruction"]
        lines += [f"Reconstruction (G's own, target = own attributes): PSNR {r['psnr']:.2f} dB, "
                  f"SSIM {r['ssim']:.4f} (identity: PSNR inf, SSIM 1).", ""]
        if "strength_sweep" in m:
            lines += ["### Test-time strength (`transform --strength`)", "",
                      "| strength | edit success | headline (texture-proof) | headline (sharp) | preserved | "
                      "mean abs change |", "|---|---|---|---|---|---|"]
            lines += [f"| {r['strength']:g} | {r['mean_success']:.3f} | {_cell(r.get('headline_lowpass'))} | "
                      f"{r['headline_success']:.3f} | {r['mean_preserved']:.3f} | {r['mean_abs_change']:.1f} |"
                      for r in m["strength_sweep"]]
            lines.append("")
    if "counterfactual" in report:
        cf = report["counterfactual"]
        lines += ["## Synthetic counterfactuals (the exact answer is known)", "",
                  "| | PSNR dB | SSIM | L1 |", "|---|---|---|---|"]
        for k in ("model", "identity_baseline", "perfect_model"):
            if k in cf:  # (reports written before perfect_model existed lack it)
                lines.append(f"| {k} | {cf[k]['mean_psnr']:.2f} | {cf[k]['mean_ssim']:.4f} | {cf[k]['mean_l1']:.4f} |")
        if "perfect_model" in cf:
            capped = {a: v["psnr"] for a, v in cf["perfect_model"]["per_attribute"].items() if v["psnr"] < 40}
            lines += ["", "*perfect_model*: the true answer with what the input face does not show (glasses or a "
                      "hat not worn, a man's hair length) drawn from other identities: as right as the truth, what a perfect "
                      "model that draws one answer scores (a blur of all the answers scores a little higher in PSNR "
                      "and draws no face). Under 40 dB for "
                      + (", ".join(f"{a} ({v:.1f} dB)" for a, v in capped.items()) or "no attribute") + "."]
        lines.append("")
    if "text_to_face" in report:
        t = report["text_to_face"]
        lines += ["## Text to face", "",
                  f"- requested attributes present: {t['requested_present']:.3f} "
                  f"(real faces with those attributes: {t['requested_present_real_baseline']:.3f})"
                  + (f"; of those asked present, not absent: {t['requested_on_present']:.3f} (real faces: "
                     f"{t['requested_on_present_real_baseline']:.3f})" if "requested_on_present" in t else ""),
                  f"- diversity across seeds: pixel L1 {t['diversity_pixel_l1']:.4f}, classifier-feature "
                  f"distance {t['diversity_feature_distance']:.3f}"
                  + (f"; real test faces closest to the same requests (they show "
                     f"{t['diversity_real_request_agreement']:.0%} of them): "
                     f"{t['diversity_feature_distance_real_baseline']:.3f}, ratio {t['diversity_ratio_to_real']:.2f}"
                     if "diversity_ratio_to_real" in t else "")
                  + ("; what a request leaves open is drawn per seed from the attribute prior"
                     if t.get("open_attributes_drawn") else ""),
                  *([f"- different people across seeds (a face-recognition net, `identity.py`: pairs of one "
                     f"prompt's seeds at least {SAME_PERSON:g} apart): {t['people']['different_people']:.3f}, "
                     f"mean distance {t['people']['distance']:.3f}; the real faces above: "
                     f"{t['people_real_baseline']['different_people']:.3f}, "
                     f"{t['people_real_baseline']['distance']:.3f}"] if "people" in t else []),
                  f"- KID on evaluation-classifier features (no Inception weights offline; comparable only "
                  f"within this project): generated vs real {t['kid_fake_vs_real']:.4f}, "
                  f"real vs real {t['kid_real_vs_real_baseline']:.4f}",
                  f"- 4x4 block texture (mean per sub-pixel phase, losses.subpixel_phase): generated "
                  f"{t['texture_fake']:.4f}, real {t['texture_real_baseline']:.4f}", ""]
    return "\n".join(lines + _direction_table(report))


def _direction_table(report: dict) -> list[str]:
    """Success per attribute turned on and turned off, for edits and for generated faces."""
    t = report.get("text_to_face", {})
    columns = [(f"{title} {key}", key, per) for title, per in
               (("edit", report.get("makeover", {}).get("model", {}).get("per_attribute")),
                ("generate", t.get("per_attribute")), ("real faces", t.get("per_attribute_real_baseline")))
               if per for key in ("on", "off")]
    if not columns or "on" not in next(iter(columns[0][2].values())):  # a report from before by_direction
        return []

    def cell(d):
        return "-" if d is None or d["share"] is None else f"{d['share']:.3f} ({d['asked']})"

    names = list(dict.fromkeys(a for *_, per in columns for a in per))
    lines = ["## By direction", "",
             "Success when the attribute is asked on and asked off (faces asked), judged as above; real "
             "faces: the test faces the generator's requests came from, judged the same way (the "
             f"classifier's own accuracy there). `transform` warns when an edit's share here is under "
             f"{WARN_BELOW:g} over at least {WARN_MIN_ASKED} faces; `generate` does not: on soft, blocky faces "
             "the classifier is out of its domain.", "",
             "| attribute | " + " | ".join(title for title, *_ in columns) + " |", "|---" * (len(columns) + 1) + "|"]
    lines += [f"| {a} | " + " | ".join(cell(per.get(a, {}).get(key)) for _, key, per in columns) + " |"
              for a in names]
    return lines + [""]
