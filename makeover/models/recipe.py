"""The makeover GAN's recipe in backend-neutral Keras ops: its loss settings, the targets a step
asks for, and how the loss terms add up.

MakeoverGAN.train_step (TensorFlow, makeover/models/gan.py) and tools/jax_train.py (JAX, for
GPU machines without TensorFlow) both use these; each draws its own random numbers and takes
its own gradients, so the rules live in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from keras import ops

from makeover import losses
from makeover.attributes import conflict_rules_on_columns
from makeover.config import ConfigError


@dataclass(frozen=True)
class LossSpec:
    pixel_start: float = 10.0   # pixel L1 weight at the start of annealing
    pixel_end: float = 1.0      # ... and once fully adversarial
    adversarial: float = 1.0
    g_classification: float = 1.0
    d_classification: float = 1.0
    cycle: float = 5.0
    r1_gamma: float = 1.0
    drift: float = 0.001
    anneal_start: int = 0       # see configs/default.toml: none for an identity-initialised G
    anneal_steps: int = 100
    keep_prob: float = 0.6      # multi-attribute mode: chance an attribute is left at 0
    extra_flips: float = 0.05   # multi-attribute mode: chance each other attribute is flipped too
    guide: float = 0.0          # weight of the guide classifier's edit_loss on G's outputs (when there is one)
    phase: float = 0.0          # weight of the sub-pixel phase penalty on G(x, c) - x (losses.subpixel_phase)
    self_recon: float = 0.0     # weight of AttGAN's self-reconstruction: G asked for nothing new returns x
    flip_weights: dict = field(default_factory=dict)  # {attribute: weight} for drawing the one flip (others 1)
    paired: float = 0.0         # synthetic data only: weight of the error of G(x, c) to the renderer's exact answer
    paired_norm: str = "l2"     # ... that error's norm (losses.image_error): "l2" (squared), "l1" or "psnr"
    diffaugment: float = 0.0    # > 0: DiffAugment on every D input (colour, shifts up to this share of the side)

    def __post_init__(self):
        if self.paired_norm not in losses.NORMS:
            raise ValueError(f"loss.paired_norm must be one of {losses.NORMS}, not {self.paired_norm!r}")
        if not 0 <= self.diffaugment <= 0.25:
            raise ValueError(f"loss.diffaugment must be in [0, 0.25] (0 = off; DiffAugment's 0.125), "
                             f"not {self.diffaugment}")


def reconstruction_error(output, target):
    """The recipe's pixel terms, each E |output - target| (L1):
    L_pix = E err(G(x, c) - x)                  (deep-makeover's "stay close to the input")
    L_cyc = E err(G(G(x, c), c_back) - x)       (StarGAN / CycleGAN reconstruction)
    L_rec = E err(G(x, c_s) - x)                (AttGAN's self-reconstruction, c_s = x's own labels)"""
    return losses.image_error(output, target, "l1")


def flip_log_weights(weights: dict, attributes: list[str] | None) -> np.ndarray | None:
    """Log-weights (k,) over the conditioned attributes for drawing each face's one flip, or None
    (uniform). Checked by train() before a run folder exists, and by MakeoverGAN."""
    if not weights:
        return None
    unknown = sorted(set(weights) - set(attributes or []))
    if unknown:
        raise ConfigError(f"loss.flip_weights names {unknown}, which the model is not conditioned on "
                          f"(data.attributes: {attributes})")
    if min(weights.values()) <= 0:
        raise ConfigError(f"loss.flip_weights must be > 0 (1 = as often as the others): {weights}")
    return np.log(np.array([float(weights.get(name, 1.0)) for name in attributes], np.float32))


def flip_targets(src_attrs, which, extra, dropped, attributes: list[str] | None):
    """Requested attributes c (0 = keep) in "flips" mode: each face's attribute `which` (int, (n,)) and
    those where `extra` (bool, (n, k)) flipped from src's labels, then the conflict rules on the
    changes alone (a kept +1 must not outrank them); the rest keep src's label, or 0 where `dropped`."""
    flip = ops.logical_or(ops.one_hot(which, ops.shape(src_attrs)[-1]) > 0, extra)
    zeros = ops.zeros_like(src_attrs)
    c = ops.where(flip, -src_attrs, zeros)
    if attributes is not None:
        c = ops.stack(conflict_rules_on_columns(ops.unstack(c, axis=1), tuple(attributes), ops.where), axis=1)
    return ops.where(ops.not_equal(c, 0.0), c, ops.where(dropped, zeros, src_attrs))


def annealed_weights(step, spec: LossSpec):
    """(a, w_pixel, w_adv) at `step`: deep-makeover's annealing from pixel L1 towards adversarial."""
    a = losses.anneal(step, spec.anneal_start, spec.anneal_steps)
    return a, spec.pixel_start * (1.0 - a) + spec.pixel_end * a, spec.adversarial * a


def generator_loss(t: dict, spec: LossSpec, a, w_pixel, w_adv):
    # L_G = w_pix L_pix + l_phase L_phase + w_adv L_adv + l_cyc L_cyc + l_rec L_rec + l_pair L_pair
    #       + a (l_cls L_cls + l_guide L_guide)
    return (w_pixel * t["pixel"] + spec.phase * t["phase"] + w_adv * t["g_adv"] + spec.cycle * t["cycle"]
            + spec.self_recon * t["self_recon"] + spec.paired * t.get("paired", 0.0)
            + a * (spec.g_classification * t["g_cls"] + spec.guide * t["g_guide"]))


def discriminator_loss(t: dict, spec: LossSpec):
    # L_D = L_hinge + l_cls L_cls + gamma R1 + eps_drift L_drift
    return t["d_adv"] + spec.d_classification * t["d_cls"] + spec.r1_gamma * t["r1"] + spec.drift * t["drift"]
