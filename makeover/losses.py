"""Loss functions: small, pure, each with its formula. Inputs are tensors; outputs scalars.

Notation: D(x, c) is the discriminator's realness logit for image x with
attributes c, f(x) its attribute logits, G(x, c) the generator, y in {-1,+1}^K
labels, c in [-1,1]^K requested attributes (0 = keep).
"""

from __future__ import annotations

from keras import ops


NORMS = ("l1", "l2", "psnr")


def image_error(output, target, norm: str = "l1"):
    # "l1": E |e| (the recipe's pixel, cycle and self-reconstruction terms, the text path's pixel and
    # feature terms);  "l2": E e^2   (e = output - target).
    # L1's gradient has the same size on every pixel, right or wrong, so an edit a few pixels across
    # drowns: 500 steps of synthetic smile pairs alone moved the smile by -0.04 dB with L1, +4.6 with L2.
    # "psnr": -E_i PSNR_i = E_i 10 log10(mse_i + 1e-6), mse_i over image i in [0, 1] units (output and
    # target in [-1, 1]); what evaluate's counterfactual table averages. Its gradient is the squared
    # error's over mse_i, so a small edit (a smile) weighs as much as a large one (a hat): under "l2"
    # the large errors took the gradient and a smile hardly moved (0.4/255 in 4,000 steps).
    e = output - target
    if norm == "l1":
        return ops.mean(ops.abs(e))
    if norm == "l2":
        return ops.mean(ops.square(e))
    if norm == "psnr":
        mse = ops.mean(ops.square(e / 2.0), axis=tuple(range(1, len(e.shape))))
        return ops.mean(10.0 * ops.log(mse + 1e-6)) / ops.log(10.0)
    raise ValueError(f"unknown norm {norm!r}: one of {NORMS}")


def d_hinge(real_logits, fake_logits, wrong_logits=None):
    # L_D = E[max(0, 1 - D(x, y))] + E[max(0, 1 + D(G(x, c), c))]          (hinge, Lim & Ye 2017)
    # matching-aware (GAN-INT-CLS / T2F): a real image with wrong attributes is fake too,
    # L_D = E[max(0, 1 - D(x, y))] + 1/2 (E[max(0, 1 + D(x, y'))] + E[max(0, 1 + D(G(x, c), c))])
    real = ops.mean(ops.relu(1.0 - real_logits))
    fake = ops.mean(ops.relu(1.0 + fake_logits))
    if wrong_logits is None:
        return real + fake
    return real + 0.5 * (fake + ops.mean(ops.relu(1.0 + wrong_logits)))


def g_hinge(fake_logits):
    # L_G_adv = -E[D(G(x, c), c)]
    return -ops.mean(fake_logits)


def attribute_bce(logits, targets):
    # StarGAN's classification loss over the attributes that are specified:
    # L_cls = sum_k m_k * BCE(sigmoid(f_k(x)), (t_k + 1) / 2) / sum_k m_k,  m_k = [t_k != 0]
    # BCE in logit form: softplus(l) - l * p, for numerical stability.
    p = (targets + 1.0) / 2.0
    mask = ops.cast(ops.not_equal(targets, 0.0), logits.dtype)
    per = (ops.softplus(logits) - logits * p) * mask
    return ops.sum(per) / ops.maximum(ops.sum(mask), 1.0)


def edit_loss(logits, input_logits, requested, source):
    # The attribute loss of an edit x' = G(x, c), for a classifier f:
    # L = L_cls(f(x'), c on C) + mean_{k not in C} |f_k(x') - f_k(x)|,  C = {k : c_k != 0, c_k != y_k}
    # (what was asked to change). The changes weigh as much as all that is kept, however few:
    # over all 16 attributes one change carried a 16th of the weight, and G barely edited. What is
    # kept holds the classifier's logits on the input, not a BCE to the labels: a BCE saturates,
    # and G met it with a texture that left the classifier unsure of everything (logits near 0
    # cost the kept attributes ~0.6 and gained the change ~2.3).
    changed = ops.logical_and(ops.not_equal(requested, 0.0), ops.not_equal(requested, source))
    kept = 1.0 - ops.cast(changed, logits.dtype)
    drift = ops.abs(logits - ops.stop_gradient(input_logits)) * kept
    return (attribute_bce(logits, ops.where(changed, requested, 0.0))
            + ops.sum(drift) / ops.maximum(ops.sum(kept), 1.0))


def subpixel_phase(residual, period: int = 4, window: int = 0):
    # L_phase = E_b mean_{w,p,q,ch} | m_wpq - mean_pq(m_w) |,  m_wpq = mean_{(i,j) in w, i = p, j = q (mod period)} r_ij
    # The mean of the residual at each sub-pixel phase of the generator's two depth-to-space steps,
    # against their average, in each window w (window = 0: the whole image is one window). G's
    # sub-pixel decoder can paint one pattern repeated every `period` pixels with a handful of
    # weights, and a frozen classifier's gradient asks for just that (checkerboard artifacts, Odena
    # et al. 2016); in a real edit the phases move together. A pattern over the eyes only, or one
    # whose sign differs between regions, averages away over the whole image: windows see it.
    shape = ops.shape(residual)
    h, w, ch = shape[1], shape[2], shape[3]
    wh, ww = (window, window) if window else (h, w)
    blocks = ops.reshape(residual, (-1, h // wh, wh // period, period, w // ww, ww // period, period, ch))
    phases = ops.mean(blocks, axis=(2, 5))          # (b, windows_y, period, windows_x, period, ch)
    return ops.mean(ops.abs(phases - ops.mean(phases, axis=(2, 4), keepdims=True)))


def r1_penalty(real_logit_grads):
    # R1 = 1/2 E[ ||grad_x D(x, y)||^2 ]   (Mescheder et al. 2018), grads w.r.t. real images
    return 0.5 * ops.mean(ops.sum(ops.square(real_logit_grads), axis=(1, 2, 3)))


def drift_penalty(real_logits):
    # L_drift = E[D(x, y)^2]: keeps the critic's output near 0 (Karras et al. 2018, used by T2F)
    return ops.mean(ops.square(real_logits))


def kl_standard_normal(mean, log_var):
    # KL(N(mu, sigma^2) || N(0, I)) = 1/2 sum(mu^2 + sigma^2 - log sigma^2 - 1)   (StackGAN's CA)
    return 0.5 * ops.mean(ops.sum(ops.square(mean) + ops.exp(log_var) - log_var - 1.0, axis=-1))


def diversity_sensitive(fake_a, fake_b, noise_a, noise_b, cap):
    # DSGAN (Yang et al. 2019), per sample i, with mean absolute differences:
    # L_z = -mean_i min(|G(c_i, z1_i) - G(c_i, z2_i)|_1 / |z1_i - z2_i|_1, tau)
    # pays G, up to tau, for drawing different faces from different noise (conditional mode collapse)
    image = ops.mean(ops.abs(fake_a - fake_b), axis=(1, 2, 3))
    noise = ops.mean(ops.abs(noise_a - noise_b), axis=-1)
    return -ops.mean(ops.minimum(image / ops.maximum(noise, 1e-8), cap))


def anneal(step, start, length):
    # a(t) = clip((t - start) / length, 0, 1): 0 = pixel L1 only, 1 = fully adversarial
    if length <= 0:
        return ops.cast(step >= start, "float32")
    return ops.clip((ops.cast(step, "float32") - start) / float(length), 0.0, 1.0)
