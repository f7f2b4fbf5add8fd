"""CelebA attribute names and selection expressions.

A selection expression is a comma-separated list of terms; every term must hold
for an image to be selected: ``"Male,!Eyeglasses,!Blurry"``. ``!`` (or ``-``)
negates a term. Aliases (``male``, ``female``, ``man``, ``woman``) expand to
terms, and matching of names is case-insensitive.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import numpy as np

CELEBA_ATTRIBUTES: tuple[str, ...] = (
    "5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", "Bags_Under_Eyes", "Bald",
    "Bangs", "Big_Lips", "Big_Nose", "Black_Hair", "Blond_Hair", "Blurry",
    "Brown_Hair", "Bushy_Eyebrows", "Chubby", "Double_Chin", "Eyeglasses", "Goatee",
    "Gray_Hair", "Heavy_Makeup", "High_Cheekbones", "Male", "Mouth_Slightly_Open",
    "Mustache", "Narrow_Eyes", "No_Beard", "Oval_Face", "Pale_Skin", "Pointy_Nose",
    "Receding_Hairline", "Rosy_Cheeks", "Sideburns", "Smiling", "Straight_Hair",
    "Wavy_Hair", "Wearing_Earrings", "Wearing_Hat", "Wearing_Lipstick",
    "Wearing_Necklace", "Wearing_Necktie", "Young",
)

# The attributes the generator is conditioned on by default: every one the
# synthetic renderer can draw, so that the built-in data set labels all of them.
DEFAULT_CONDITIONED: tuple[str, ...] = (
    "Male", "Smiling", "Mouth_Slightly_Open", "Eyeglasses", "Black_Hair",
    "Blond_Hair", "Brown_Hair", "Gray_Hair", "Bald", "Bangs", "Mustache",
    "No_Beard", "Wearing_Hat", "Wearing_Lipstick", "Young", "Pale_Skin",
)

ALIASES: dict[str, str] = {
    "male": "Male", "man": "Male", "men": "Male",
    "female": "!Male", "woman": "!Male", "women": "!Male",
}

# Groups of which at most one member may be +1 (AttGAN's conflict rules).
EXCLUSIVE_GROUPS: tuple[tuple[str, ...], ...] = (
    ("Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair", "Bald"),
)
# (attribute, value) -> attributes forced to a value when it is requested.
IMPLICATIONS: dict[tuple[str, int], tuple[tuple[str, int], ...]] = {
    ("Bald", 1): (("Bangs", -1),),
    ("Bangs", 1): (("Bald", -1),),
    ("Mustache", 1): (("No_Beard", -1),),
    ("No_Beard", 1): (("Mustache", -1),),
}


class AttributeError_(ValueError):
    """A bad attribute name or expression; the message says how to fix it."""


def canonical_name(name: str, universe: tuple[str, ...] = CELEBA_ATTRIBUTES) -> str:
    """Return the attribute spelled as in `universe`, matching case-insensitively."""
    lowered = {a.lower(): a for a in universe}
    key = name.strip().lower()
    if key in lowered:
        return lowered[key]
    close = difflib.get_close_matches(key, list(lowered), n=1, cutoff=0.5)
    hint = f" Did you mean '{lowered[close[0]]}'?" if close else ""
    raise AttributeError_(
        f"unknown attribute '{name.strip()}'.{hint} Valid names: {', '.join(universe)}."
    )


@dataclass(frozen=True)
class Term:
    attribute: str
    value: int  # +1 or -1

    def __str__(self) -> str:
        return self.attribute if self.value > 0 else f"!{self.attribute}"


def parse_expression(expression: str, universe: tuple[str, ...] = CELEBA_ATTRIBUTES) -> tuple[Term, ...]:
    """Parse ``"Male,!Eyeglasses"`` (aliases allowed) into terms."""
    terms: list[Term] = []
    for raw in expression.split(","):
        token = raw.strip()
        if not token:
            continue
        token = ALIASES.get(token.lower(), token)
        negated = token[0] in "!-~"
        name = token.lstrip("!-~").strip()
        if not name:
            raise AttributeError_(f"empty term in expression '{expression}'")
        terms.append(Term(canonical_name(name, universe), -1 if negated else 1))
    if not terms:
        raise AttributeError_(f"expression '{expression}' names no attribute")
    return tuple(terms)


def select(labels: np.ndarray, terms: tuple[Term, ...], names: tuple[str, ...] = CELEBA_ATTRIBUTES) -> np.ndarray:
    """Boolean mask of the rows of `labels` (N x len(names), values +-1) matching every term."""
    mask = np.ones(len(labels), dtype=bool)
    for term in terms:
        mask &= labels[:, names.index(term.attribute)] == term.value
    return mask


def explain_empty_selection(labels: np.ndarray, expression: str, terms: tuple[Term, ...],
                            names: tuple[str, ...] = CELEBA_ATTRIBUTES) -> str:
    """One line saying how many images each term matched on its own."""
    parts = ", ".join(f"{t}: {int(select(labels, (t,), names).sum())}" for t in terms)
    return f"expression '{expression}' matches no image (each term alone: {parts})"


def terms_to_vector(terms: tuple[Term, ...], conditioned: tuple[str, ...]) -> np.ndarray:
    """Attribute vector over `conditioned`: the terms' values, 0 ('keep') elsewhere.

    Terms on attributes the model is not conditioned on (e.g. Attractive) only
    select data; they do not appear in the vector.
    """
    vector = np.zeros(len(conditioned), dtype=np.float32)
    for term in terms:
        if term.attribute in conditioned:
            vector[conditioned.index(term.attribute)] = term.value
    return apply_conflict_rules(vector, conditioned)


def apply_conflict_rules(vector: np.ndarray, conditioned: tuple[str, ...]) -> np.ndarray:
    """Make a requested vector consistent: one hair colour, Bald excludes Bangs, ...

    Only entries that were left unspecified (0) or that conflict with an
    explicitly requested +1 are changed. Takes one vector or a batch (rows).
    """
    batch = np.array(vector, dtype=np.float32, ndmin=2)
    columns = conflict_rules_on_columns([batch[:, i] for i in range(batch.shape[1])], conditioned, np.where)
    out = np.stack(columns, axis=1).astype(np.float32)
    return out if np.ndim(vector) == 2 else out[0]


def flip_targets(labels: np.ndarray, k: int, conditioned: tuple[str, ...]) -> np.ndarray:
    """Per row of labels: attribute k set to the opposite of its label, conflict rules applied, rest 0 (keep)."""
    c = np.zeros_like(labels, dtype=np.float32)
    c[:, k] = -labels[:, k]
    return apply_conflict_rules(c, conditioned)


def conflict_rules_on_columns(columns: list, conditioned: tuple[str, ...], where) -> list:
    """The conflict rules on per-attribute columns (numpy arrays, or tensors with `where` = tf.where),
    so that training (in the graph) and inference (numpy) apply the very same rules.

    In an exclusive group the first member requested +1 wins and the others become -1; an implied
    value fills an attribute only where it was left at 0.
    """
    out = list(columns)
    index = {name: i for i, name in enumerate(conditioned)}
    for group in EXCLUSIVE_GROUPS:
        present = [index[a] for a in group if a in index]
        if not present:
            continue
        seen = out[present[0]] > 0
        winner = {present[0]: seen}
        for i in present[1:]:
            winner[i] = (out[i] > 0) & ~seen
            seen = seen | (out[i] > 0)
        for i in present:
            out[i] = where(seen & ~winner[i] & (out[i] >= 0), -1.0, out[i])
    for (name, value), implied in IMPLICATIONS.items():
        if name not in index:
            continue
        col = out[index[name]]
        holds = col > 0 if value > 0 else col < 0
        for other, other_value in implied:
            if other in index:
                j = index[other]
                out[j] = where(holds & (out[j] == 0), float(other_value), out[j])
    return out
