"""The text-to-face GAN (stage 2): trains the text path on top of a trained makeover generator.

Decision: the text path trains in a *second stage*, with the makeover
generator's `core` and `decoder` frozen. The makeover path therefore stays
exactly as good as it was (its weights do not move), and the text path learns
to reach the bottleneck that the frozen decoder already renders well. What
trains here: conditioning augmentation, the up-sampling network, the two
MSG-GAN RGB heads, and a multi-scale discriminator.

Each step:
- c = the real batch's labels with attribute dropout (each entry 0 with
  probability `keep_prob`), so that 0 means "anything" at generation time;
- fake = G(c, z, eps) at three scales; the real image is average-pooled to
  the same three scales (MSG-GAN: D sees every scale, so G gets gradients at
  every scale);
- D judges (real, c) = real, (real, c of another image) = fake (matching-aware)
  and (fake, c) = fake; D's classifier head learns the real labels;
- G: annealed from L1 to the real face whose (partial) labels were asked
  (a conditional mean: a blurry but face-shaped start that a few hundred CPU
  steps reach) towards hinge + masked attribute BCE on the fake; plus
  KL(N(mu, sigma) || N(0, I)) throughout;
- the feature anchor (when the makeover generator's frozen encoder is set):
  L1 between the bottleneck the text path feeds the core and the encoder's
  bottleneck of that same real face, throughout. The decoder only renders
  well what its encoder produces; the path's bottlenecks come out of it as a
  4x4 block pattern (seen on CelebA and on synthetic faces). The anchor
  pulls towards the encoder's bottlenecks but, in a 1,500-step synthetic run,
  did not remove the pattern. Nor did a texture term (weight 100 on the
  sub-pixel phase structure of the fakes beyond the real batch's,
  losses.subpixel_phase, which measures the pattern: 0.078 on the shipped
  CelebA path's faces, 0.011 on real faces): by step 500 it drew flat grey
  squares. An open problem.
- diversity (optional, `text.diversity` > 0): with the guide, every seed of
  a request drew nearly the same face (the L1 anchor and the guide both
  reward one best face per request). DSGAN's term draws half the batch
  again with new noise and pays G for the change, up to a cap.
- the guide (optional, `text.guide` > 0 with `train.guide` naming a
  classifier): the makeover path's frozen, separately trained classifier
  judges the fakes too, with the masked attribute BCE to c, annealed in like
  D's head. D's head learns from scratch alongside G, so early on it barely
  says what "blond" looks like; the guide knows from the first step.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import tensorflow as tf

from makeover import losses
from makeover.data.augment import diff_augment
from makeover.models.gan import GANBase, frozen


@dataclass(frozen=True)
class TextLossSpec:
    adversarial: float = 1.0
    g_classification: float = 1.0
    d_classification: float = 1.0
    kl: float = 1.0             # T2F / StackGAN use 1-2
    r1_gamma: float = 1.0
    drift: float = 0.001
    keep_prob: float = 0.5      # chance that an attribute is left unspecified (0)
    pixel_start: float = 10.0   # L1 to the real face whose attributes were asked, at the start ...
    pixel_end: float = 0.0      # ... and once annealed (deep-makeover's schedule, applied to the text path)
    anneal_start: int = 100
    anneal_steps: int = 400
    feature: float = 1.0        # the feature anchor's weight (see above), when an encoder is set
    guide: float = 0.0          # weight of a frozen guide classifier's BCE on the fakes (train.guide; see above)
    diversity: float = 0.0      # weight of DSGAN's diversity term (see above; 0 = off)
    diversity_cap: float = 0.3  # its tau: mean |image change| (in [-1, 1]) per unit of mean |noise change|
    diffaugment: float = 0.0    # > 0: DiffAugment on every D input at every scale (colour, shifts up to this share)

    def __post_init__(self):
        if not 0 <= self.diffaugment <= 0.25:
            raise ValueError(f"text.diffaugment must be in [0, 0.25] (0 = off; DiffAugment's 0.125), "
                             f"not {self.diffaugment}")


TEXT_LOG_KEYS = ("g_loss", "d_loss", "pixel", "feature", "g_adv", "g_cls", "g_guide", "diversity", "kl", "d_adv",
                 "d_cls", "r1", "drift", "anneal", "w_pixel")


def pyramid(images):
    """Full, 1/2 and 1/4 resolution by average pooling (what the generator's heads start as)."""
    half = tf.nn.avg_pool2d(images, 2, 2, "VALID")
    return images, half, tf.nn.avg_pool2d(half, 2, 2, "VALID")


@keras.saving.register_keras_serializable(package="makeover")
class TextToFaceGAN(GANBase):
    LOSS_SPEC = TextLossSpec
    LOG_KEYS = TEXT_LOG_KEYS

    def __init__(self, generator: keras.Model, discriminator: keras.Model, loss_spec: TextLossSpec | dict,
                 seed: int = 0, **kwargs):
        super().__init__(generator, discriminator, loss_spec, seed, **kwargs)
        self.noise_dim = generator.inputs[1].shape[-1]
        self.ca_dim = generator.inputs[2].shape[-1]
        self._encoder = None

    def set_encoder(self, encoder: keras.Model):
        """The makeover generator's encoder, for the feature anchor (see `frozen`)."""
        self._encoder = frozen(encoder)

    def _diversity(self, c, z, eps, fake64):
        """DSGAN's term on half the batch, drawn again from the same requests with new noise."""
        h = tf.shape(c)[0] // 2
        z2 = tf.random.stateless_normal(tf.shape(z[:h]), seed=self._step_seed(4))
        eps2 = tf.random.stateless_normal(tf.shape(eps[:h]), seed=self._step_seed(5))
        again = self.generator([c[:h], z2, eps2], training=True)[0]
        return losses.diversity_sensitive(fake64[:h], again, tf.concat([z[:h], eps[:h]], -1),
                                          tf.concat([z2, eps2], -1), self.loss_spec.diversity_cap)

    def train_step(self, data):
        spec = self.loss_spec
        real_x, real_y = data[0], data[1]
        n = tf.shape(real_x)[0]
        keep = tf.random.stateless_uniform(tf.shape(real_y), seed=self._step_seed(1)) < spec.keep_prob
        c = tf.where(keep, tf.zeros_like(real_y), real_y)
        c_wrong = tf.roll(c, shift=1, axis=0)
        z = tf.random.stateless_normal((n, self.noise_dim), seed=self._step_seed(2))
        eps = tf.random.stateless_normal((n, self.ca_dim), seed=self._step_seed(3))
        a = losses.anneal(self.step, spec.anneal_start, spec.anneal_steps)
        w_pixel = spec.pixel_start * (1.0 - a) + spec.pixel_end * a

        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake64, fake32, fake16, mu, log_var, features = self.generator([c, z, eps], training=True)
            with tf.GradientTape() as r1_tape:
                r1_tape.watch(real_x)
                r64, r32, r16 = pyramid(real_x)
                seen = [tf.concat([r, r, f], 0) for r, f in ((r64, fake64), (r32, fake32), (r16, fake16))]
                if spec.diffaugment > 0:  # real and fake alike through T, each scale drawn apart
                    seen = [diff_augment(x, spec.diffaugment) for x in seen]
                logits, cls = self.discriminator(seen + [tf.concat([c, c_wrong, c], 0)], training=True)
                real_logit = logits[:n]
                real_sum = tf.reduce_sum(real_logit)
            wrong_logit, fake_logit = logits[n:2 * n], logits[2 * n:]
            d_adv = losses.d_hinge(real_logit, fake_logit, wrong_logit)
            d_cls = losses.attribute_bce(cls[:n], real_y)
            drift = losses.drift_penalty(real_logit)
            r1 = losses.r1_penalty(r1_tape.gradient(real_sum, real_x)) if spec.r1_gamma > 0 else tf.constant(0.0)
            d_loss = d_adv + spec.d_classification * d_cls + spec.r1_gamma * r1 + spec.drift * drift

            g_adv = losses.g_hinge(fake_logit)
            g_cls = losses.attribute_bce(cls[2 * n:], c)
            kl = losses.kl_standard_normal(mu, log_var)
            pixel = losses.image_error(fake64, real_x)
            feature = losses.image_error(features, self._encoder(real_x)) if self._encoder else tf.constant(0.0)
            g_guide = losses.attribute_bce(self._guide(fake64), c) if self._guide else tf.constant(0.0)
            diversity = self._diversity(c, z, eps, fake64) if spec.diversity > 0 else tf.constant(0.0)
            g_loss = (w_pixel * pixel + spec.feature * feature + spec.kl * kl
                      + a * (spec.adversarial * g_adv + spec.g_classification * g_cls + spec.guide * g_guide
                             + spec.diversity * diversity))
        values = {"g_loss": g_loss, "d_loss": d_loss, "pixel": pixel, "feature": feature, "g_adv": g_adv,
                  "g_cls": g_cls, "g_guide": g_guide, "diversity": diversity, "kl": kl, "d_adv": d_adv,
                  "d_cls": d_cls, "r1": r1, "drift": drift, "anneal": a, "w_pixel": w_pixel}
        return self.apply(g_tape, d_tape, g_loss, d_loss, values)
