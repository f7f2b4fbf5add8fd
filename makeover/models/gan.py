"""The makeover GAN: a keras.Model whose train_step updates G and D together.

Each step sees two independent real streams: `src` (images to edit) and `real`
(examples of what edited images should look like: the target domain in
source->target mode, any image in multi-attribute mode).

- Target attributes c: in source->target mode the target expression's vector;
  in multi-attribute mode src's own labels with one attribute flipped (drawn
  in proportion to `flip_weights`, uniformly by default; each other one too
  with probability `extra_flips`), the rest dropped to 0 ("keep") with
  probability `keep_prob`, then the conflict rules. (Copying the real
  stream's labels instead mostly repeated what src already was: few steps
  asked for an edit at all.)
- D judges three pairs in one batched call: (real, its labels) = real,
  (src, real labels) = wrong pairing, fake (matching-aware, GAN-INT-CLS), and
  (G(src, c), c_eff) = fake, where c_eff fills c's zeros with src's labels.
- G's loss is annealed from pixel L1 alone towards adversarial +
  classification (deep-makeover); the cycle term holds throughout, and so
  does AttGAN's self-reconstruction when `self_recon` > 0: G(x, c_s) = x for
  c_s = src's own labels, each dropped to 0 ("keep") at a rate drawn per face. The
  flips never ask for nothing, so without it G(x, own labels), what
  `evaluate` scores as reconstruction, was never trained and drifted.
- Optionally a frozen, separately trained attribute classifier (the guide)
  judges G's outputs too. D's own attribute head learns slowly on a CPU
  budget (its BCE on real faces was still 0.36-0.40 after 1,450 steps), so it
  barely told G what an edited face should look like; the guide does from the
  first step. The evaluation classifier is a different model (another seed
  and width) that never shaped G.
- Synthetic data only, when `paired` > 0: a third stream of faces with one
  attribute flipped and the renderer's exact answer (pipeline.counterfactual_stream),
  and the error of G's edit to it (`paired_norm`). No photo set has such
  pairs; it measures what G can learn when told the answer.

Randomness inside the step is stateless and keyed on (seed, step), so a
resumed run draws exactly what the uninterrupted run would have.
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict

import keras
import tensorflow as tf

from makeover import losses
from makeover.data.augment import diff_augment
from makeover.models.recipe import (LossSpec, annealed_weights, discriminator_loss, flip_log_weights,
                                    flip_targets, generator_loss, reconstruction_error)

__all__ = ["GANBase", "LOG_KEYS", "LossSpec", "MakeoverGAN", "flip_logits", "frozen"]


LOG_KEYS = ("g_loss", "d_loss", "pixel", "phase", "g_adv", "g_cls", "g_guide", "cycle", "self_recon", "paired",
            "d_adv", "d_cls", "r1", "drift", "anneal", "w_pixel", "w_adv")


def flip_logits(weights: dict, attributes: list[str] | None):
    """recipe.flip_log_weights as a (1, k) tensor for tf.random.stateless_categorical, or None (uniform)."""
    logs = flip_log_weights(weights, attributes)
    return None if logs is None else tf.constant(logs[None])


def frozen(model: keras.Model):
    """`model` as a frozen function, held in a closure rather than as an attribute Keras tracks:
    it never trains and is not part of the GAN's weights, so checkpoints load with or without it."""
    model.trainable = False
    return lambda x: model(x, training=False)


class GANBase(keras.Model):
    """What every GAN here shares: G and D, two optimizers, Mean trackers, stateless step seeds."""

    LOSS_SPEC = None   # the loss dataclass of the subclass
    LOG_KEYS: tuple[str, ...] = ()

    def __init__(self, generator: keras.Model, discriminator: keras.Model, loss_spec, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.loss_spec = loss_spec if isinstance(loss_spec, self.LOSS_SPEC) else self.LOSS_SPEC(**loss_spec)
        self.seed = int(seed)
        self.trackers = {k: keras.metrics.Mean(name=k) for k in self.LOG_KEYS}
        self._guide = None
        self.built = True  # sub-models are built; needed under tf.distribute strategies

    def set_guide(self, classifier: keras.Model, columns: list[int]):
        """Use `classifier` (see `frozen`; its logits `columns` = the conditioned attributes) as the guide."""
        self.set_guides([(classifier, columns)])

    def set_guides(self, guides: list[tuple[keras.Model, list[int]]]):
        """Guide with an ensemble of (classifier, columns): the mean of their logits. A texture one
        classifier alone reads moves the mean by 1/len(guides) of its logit, so G must find what
        they all read; averaging logits rather than losses is what made adversarial examples
        transfer best across models (Dong et al. 2018, "Boosting adversarial attacks with momentum")."""
        judges = [(frozen(model), tf.constant(columns, tf.int32)) for model, columns in guides]
        self._guide = lambda x: tf.add_n([tf.gather(f(x), index, axis=1) for f, index in judges]) / len(judges)

    def compile(self, g_optimizer, d_optimizer, **kwargs):
        super().compile(**kwargs)
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer
        # Create optimizer slots now, so a checkpoint can be restored before the first step.
        self.g_optimizer.build(self.generator.trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)

    @property
    def metrics(self):
        return list(self.trackers.values())

    @contextlib.contextmanager
    def averaged_generator(self):
        """G with the moving average of its weights in place while inside (train.g_ema > 0; as
        ProGAN/StyleGAN sample and ship G_ema: one checkpoint's G drifts from the next, the
        average less), and its trained weights back after; plain G when there is no average."""
        variables = self.generator.trainable_variables
        if not self.g_optimizer.use_ema:
            yield self.generator
            return
        trained = [v.numpy() for v in variables]
        self.g_optimizer.finalize_variable_values(variables)
        try:
            yield self.generator
        finally:
            for v, value in zip(variables, trained):
                v.assign(value)

    @property
    def step(self):
        """Training steps taken so far (the generator optimizer's iteration count)."""
        return self.g_optimizer.iterations

    def steps_done(self) -> int:
        """`step` as a Python int, also for a variable mirrored across replicas."""
        return int(keras.ops.convert_to_numpy(self.g_optimizer.iterations.value.read_value()))

    def get_config(self):
        return {"loss_spec": asdict(self.loss_spec), "seed": self.seed,
                "generator": keras.saving.serialize_keras_object(self.generator),
                "discriminator": keras.saving.serialize_keras_object(self.discriminator)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["generator"] = keras.saving.deserialize_keras_object(config["generator"])
        config["discriminator"] = keras.saving.deserialize_keras_object(config["discriminator"])
        return cls(**config)

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def _step_seed(self, salt: int):
        replica = tf.distribute.get_replica_context()
        rid = 0 if replica is None else replica.replica_id_in_sync_group
        step = tf.cast(self.step, tf.int32)
        return tf.stack([self.seed * 1009 + salt * 31 + rid, step])

    def apply(self, g_tape, d_tape, g_loss, d_loss, values: dict) -> dict:
        """Scale for the replicas, step both optimizers, update the trackers."""
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        for tape, loss, model, opt in ((g_tape, g_loss, self.generator, self.g_optimizer),
                                       (d_tape, d_loss, self.discriminator, self.d_optimizer)):
            variables = model.trainable_variables
            grads = tape.gradient(loss, variables)
            # None: a variable the loss does not reach (the decoder's unused mask head: networks.build_decoder)
            opt.apply_gradients([(g / replicas, v) for g, v in zip(grads, variables) if g is not None])
        for k, v in values.items():
            self.trackers[k].update_state(v)
        return values


@keras.saving.register_keras_serializable(package="makeover")
class MakeoverGAN(GANBase):
    LOSS_SPEC = LossSpec
    LOG_KEYS = LOG_KEYS

    def __init__(self, generator: keras.Model, discriminator: keras.Model, loss_spec: LossSpec | dict,
                 target: list[float] | None = None, seed: int = 0, attributes: list[str] | None = None,
                 **kwargs):
        super().__init__(generator, discriminator, loss_spec, seed, **kwargs)
        self.target = None if target is None else [float(v) for v in target]
        self.attributes = None if attributes is None else [str(a) for a in attributes]  # for the conflict rules
        self._flip_logits = flip_logits(self.loss_spec.flip_weights, self.attributes)

    def get_config(self):
        return {**super().get_config(), "target": self.target, "attributes": self.attributes}

    def sample_targets(self, src_attrs, real_attrs):
        """Requested attributes c for this step (0 = keep)."""
        if self.target is not None:
            target = tf.constant(self.target, dtype=src_attrs.dtype)
            return tf.broadcast_to(target, tf.shape(src_attrs))
        spec = self.loss_spec
        dropped = tf.random.stateless_uniform(tf.shape(real_attrs), seed=self._step_seed(1)) < spec.keep_prob
        n, k = tf.shape(src_attrs)[0], src_attrs.shape[-1]
        if self._flip_logits is None:
            which = tf.random.stateless_uniform([n], self._step_seed(2), 0, k, tf.int32)
        else:  # deep-makeover: a narrower target set converges faster, so the chosen ones come up more often
            which = tf.random.stateless_categorical(tf.tile(self._flip_logits, [n, 1]), 1, self._step_seed(2))[:, 0]
        extra = tf.random.stateless_uniform(tf.shape(src_attrs), seed=self._step_seed(3)) < spec.extra_flips
        return flip_targets(src_attrs, which, extra, dropped, self.attributes)

    def self_targets(self, src_attrs):
        """c_s for the self-reconstruction: src's own labels, each left at 0 ("keep") at a rate drawn per
        face from U(0, 1), so that both ends are asked for: all own labels (what `evaluate` scores as
        reconstruction) and all "keep" (the G(x, 0) that transform's residual mode subtracts)."""
        rate = tf.random.stateless_uniform([tf.shape(src_attrs)[0], 1], seed=self._step_seed(5))
        dropped = tf.random.stateless_uniform(tf.shape(src_attrs), seed=self._step_seed(6)) < rate
        return tf.where(dropped, tf.zeros_like(src_attrs), src_attrs)

    def train_step(self, data):
        spec = self.loss_spec
        src_x, src_y = data["src_image"], data["src_attrs"]
        real_x, real_y = data["real_image"], data["real_attrs"]
        c = self.sample_targets(src_y, real_y)
        c_eff = tf.where(tf.not_equal(c, 0.0), c, src_y)
        c_back = tf.where(tf.not_equal(c, 0.0), src_y, tf.zeros_like(src_y))
        a, w_pixel, w_adv = annealed_weights(self.step, spec)
        n = tf.shape(src_x)[0]

        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            asks = [(src_x, c)]  # one batched G call for every request: G has no batch statistics
            if spec.self_recon > 0:
                asks.append((src_x, self.self_targets(src_y)))
            if "pair_image" in data:
                asks.append((data["pair_image"], data["pair_attrs"]))
            outs = tf.split(self.generator([tf.concat([x for x, _ in asks], 0), tf.concat([y for _, y in asks], 0)],
                                           training=True), len(asks))
            fake = outs[0]
            # L_rec: G(x, c_s) against x   (AttGAN's self-reconstruction, He et al. 2019)
            self_recon = reconstruction_error(outs[1], src_x) if spec.self_recon > 0 else tf.constant(0.0)
            # L_pair: G(x, c) against x_c, the renderer's exact counterfactual (synthetic data only)
            paired = (losses.image_error(outs[-1], data["pair_truth"], spec.paired_norm)
                      if "pair_image" in data else tf.constant(0.0))
            with tf.GradientTape() as r1_tape:
                r1_tape.watch(real_x)
                seen = tf.concat([real_x, src_x, fake], 0)
                if spec.diffaugment > 0:  # D sees real and fake alike through T; G's gradient passes through T
                    seen = diff_augment(seen, spec.diffaugment)
                logits, cls = self.discriminator([seen, tf.concat([real_y, real_y, c_eff], 0)], training=True)
                real_logit = logits[:n]
                real_sum = tf.reduce_sum(real_logit)  # inside the tape: R1 differentiates it
            wrong_logit, fake_logit = logits[n:2 * n], logits[2 * n:]
            d_adv = losses.d_hinge(real_logit, fake_logit, wrong_logit)
            d_cls = 0.5 * (losses.attribute_bce(cls[:n], real_y) + losses.attribute_bce(cls[n:2 * n], src_y))
            drift = losses.drift_penalty(real_logit)
            if spec.r1_gamma > 0:
                r1 = losses.r1_penalty(r1_tape.gradient(real_sum, real_x))
            else:
                r1 = tf.constant(0.0)
            d_loss = discriminator_loss({"d_adv": d_adv, "d_cls": d_cls, "r1": r1, "drift": drift}, spec)

            pixel = reconstruction_error(fake, src_x)
            phase = losses.subpixel_phase(fake - src_x)
            g_adv = losses.g_hinge(fake_logit)
            g_cls = losses.edit_loss(cls[2 * n:], cls[n:2 * n], c, src_y)
            if self._guide:  # one call for the edit and its input
                judged = self._guide(tf.concat([fake, src_x], 0))
                g_guide = losses.edit_loss(judged[:n], judged[n:], c, src_y)
            else:
                g_guide = tf.constant(0.0)
            if spec.cycle > 0:
                cycle = reconstruction_error(self.generator([fake, c_back], training=True), src_x)
            else:
                cycle = tf.constant(0.0)
            g_loss = generator_loss({"pixel": pixel, "phase": phase, "g_adv": g_adv, "cycle": cycle,
                                     "self_recon": self_recon, "paired": paired, "g_cls": g_cls, "g_guide": g_guide},
                                    spec, a, w_pixel, w_adv)
        values = {"g_loss": g_loss, "d_loss": d_loss, "pixel": pixel, "phase": phase, "g_adv": g_adv, "g_cls": g_cls,
                  "g_guide": g_guide, "cycle": cycle, "self_recon": self_recon, "paired": paired, "d_adv": d_adv,
                  "d_cls": d_cls, "r1": r1, "drift": drift, "anneal": a, "w_pixel": w_pixel, "w_adv": w_adv}
        return self.apply(g_tape, d_tape, g_loss, d_loss, values)
