"""Which attributes go together in real faces: fills in what a description leaves open.

A description names a few attributes ("a young woman with blond hair") and
leaves the rest open (0). The text path was trained to read 0 as "anything",
but a GAN pays nothing for covering "anything" and draws the most common face:
every seed got the same lipstick, no bangs, no smile. The prior instead picks
the open attributes per seed, as often as they occur in real faces *together
with* what was asked (blond women wear lipstick more often than black-haired
men do), so that each seed is another plausible person.

The model is a dependency network (Heckerman et al. 2000): one logistic
regression per attribute on all the others,
    P(a_j = +1 | a_-j) = sigmoid(w_j . a_-j + b_j),   a in {-1, +1}^K,
fitted by Newton's method on the training labels, and sampled by Gibbs
sweeps with the asked attributes held fixed. It is K x (K + 1) numbers, kept
in text_to_face.json; no label file is shipped.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit as _sigmoid  # overflow-safe logistic

SWEEPS = 16   # Gibbs sweeps; the chain mixes in a few (K = 16, weak couplings)


def _fit_logistic(x: np.ndarray, y: np.ndarray, l2: float, iterations: int = 25) -> np.ndarray:
    """Weights (bias last) of an L2-regularised logistic regression of y in {0, 1} on x, by Newton's method."""
    x = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(x.shape[1])
    penalty = l2 * np.eye(x.shape[1])
    penalty[-1, -1] = 0.0
    for _ in range(iterations):
        p = _sigmoid(x @ w)
        gradient = x.T @ (p - y) + penalty @ w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return w


class AttributePrior:
    """P(open attributes | asked ones), for the attributes `names`, in that order."""

    def __init__(self, names: tuple[str, ...] | list[str], weights: np.ndarray, bias: np.ndarray):
        self.names = tuple(names)
        self.weights = np.asarray(weights, np.float64)   # (K, K), zero diagonal
        self.bias = np.asarray(bias, np.float64)         # (K,)
        k = len(self.names)
        if self.weights.shape != (k, k) or self.bias.shape != (k,):
            raise ValueError(f"attribute prior: {k} names need {k}x{k} weights and {k} biases, "
                             f"not {self.weights.shape} and {self.bias.shape}")

    @classmethod
    def fit(cls, names, labels: np.ndarray, l2: float = 1.0) -> "AttributePrior":
        """Fit on labels (N x K, in {-1, +1}); `l2` keeps an attribute that never varies finite."""
        labels = np.sign(np.asarray(labels, np.float64))
        k = labels.shape[1]
        weights, bias = np.zeros((k, k)), np.zeros(k)
        for j in range(k):
            others = [i for i in range(k) if i != j]
            w = _fit_logistic(labels[:, others], (labels[:, j] > 0).astype(np.float64), l2)
            weights[j, others], bias[j] = w[:-1], w[-1]
        return cls(names, weights, bias)

    def to_json(self) -> dict:
        return {"attributes": list(self.names), "weights": np.round(self.weights, 5).tolist(),
                "bias": np.round(self.bias, 5).tolist()}

    @classmethod
    def from_json(cls, data: dict) -> "AttributePrior":
        return cls(data["attributes"], np.array(data["weights"]), np.array(data["bias"]))

    def fill(self, vectors: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
        """`vectors` (N x K) with every 0 replaced by a sampled -1 or +1; asked entries are kept as they are.

        `uniforms` (N x (SWEEPS + 1) x K, in [0, 1)) are the draws: the same draws give the same faces."""
        vectors = np.asarray(vectors, np.float32)
        open_ = vectors == 0
        state = np.sign(vectors).astype(np.float64)
        marginal = _sigmoid(self.bias)   # a start; the sweeps make it conditional
        state = np.where(open_, np.where(uniforms[:, 0] < marginal, 1.0, -1.0), state)
        for sweep in range(1, SWEEPS + 1):
            for j in range(len(self.names)):
                p = _sigmoid(state @ self.weights[j] + self.bias[j])
                state[:, j] = np.where(open_[:, j], np.where(uniforms[:, sweep, j] < p, 1.0, -1.0), state[:, j])
        return np.where(open_, state, vectors).astype(np.float32)

    def draws(self, seed: int, rows: range | list[int]) -> np.ndarray:
        """Uniforms for `fill`: row i of seed s is the same whatever else is drawn (like generate.make_noise)."""
        shape = (SWEEPS + 1, len(self.names))
        return np.stack([np.random.default_rng([seed, i, 2]).uniform(size=shape) for i in rows])
