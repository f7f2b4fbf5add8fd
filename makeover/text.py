"""Plain language -> the generator's attribute vector, and back.

`parse_text("a young woman with wavy blond hair and no glasses", conditioned)`
returns a `TextParse`: a vector over `conditioned` with values in [-1, 1]
(0 = not mentioned, keep as is), what each phrase was understood as, the
attributes understood but not conditioned on, and the words ignored.

How the text is read:
- Clauses end at , ; . and the words "and", "but", "with", "while", "who".
- A negator ("no", "not", "without", "non-", "never", "isn't", ...) flips every
  attribute after it in its clause; "or"/"nor" keep the clause, so "no glasses
  or hat" negates both. Two negators cancel ("not unsmiling").
- An intensity word applies to the next attribute in its clause: "slightly"
  gives 0.5, "very" 1.0.
- Hair colours count only in a clause that mentions hair ("wavy blond hair",
  "black-haired"); "blond(e)", "brunette", "redhead" stand on their own.
- Pronouns are ignored, so "make him smile" never edits gender.
- Asking for an attribute both ways, or for two exclusive ones (two hair
  colours, bald with bangs), is an error (AttGAN's attribute-conflict rules);
  unmentioned attributes that the rules imply are filled in.

`describe_attributes` writes a vector back as a sentence that `parse_text`
reads back to the same vector (the re-description idea of MirrorGAN).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from makeover.attributes import (CELEBA_ATTRIBUTES, EXCLUSIVE_GROUPS, IMPLICATIONS, AttributeError_,
                                 apply_conflict_rules, canonical_name)


class TextError(AttributeError_):
    """Text the parser cannot turn into a usable attribute vector."""


_A = tuple[tuple[str, int], ...]


def _entries(words: str, effect: _A) -> dict[tuple[str, ...], _A]:
    return {tuple(w.split()): effect for w in words.split("|")}


# Phrase (tokens) -> ((attribute, sign), ...). Longest phrase wins.
LEXICON: dict[tuple[str, ...], _A] = {}
for _words, _effect in (
    ("man|men|guy|guys|male|boy|gentleman|masculine|bloke|father|husband|king|he man", (("Male", 1),)),
    ("woman|women|female|girl|lady|ladies|feminine|gal|mother|wife|queen", (("Male", -1),)),
    ("smile|smiles|smiling|smiled|smiley|grin|grins|grinning|beaming|happy|laughing|cheerful",
     (("Smiling", 1),)),
    ("unsmiling|frown|frowning|serious|stern|sad|grumpy|straight face|neutral expression",
     (("Smiling", -1),)),
    ("open mouth|opened mouth|mouth open|mouth opened|mouth slightly open|open mouthed|parted lips|"
     "lips parted|gaping|mouth_slightly_open", (("Mouth_Slightly_Open", 1),)),
    ("closed mouth|mouth closed|lips closed|closed lips|tight lipped", (("Mouth_Slightly_Open", -1),)),
    ("glasses|eyeglasses|spectacles|specs|sunglasses|shades|bespectacled|eyewear|eyeglass|goggles",
     (("Eyeglasses", 1),)),
    ("blond|blonde|blondes|fair haired|golden hair|golden haired|platinum hair|blond_hair",
     (("Blond_Hair", 1),)),
    ("brunette|brunet|brown_hair", (("Brown_Hair", 1),)),
    ("black_hair", (("Black_Hair", 1),)),
    ("gray_hair|grey haired|gray haired|greying|graying|silver haired|white haired",
     (("Gray_Hair", 1),)),
    ("redhead|ginger|red haired", (("Red_Hair", 1),)),
    ("bald|balding|hairless|shaved head|shaven head|no hair|bald head|bald headed|skinhead",
     (("Bald", 1),)),
    ("bangs|fringe|bang", (("Bangs", 1),)),
    ("beard|beards|bearded|full beard", (("No_Beard", -1),)),
    ("clean shaven|cleanshaven|clean shaved|beardless|shaved|shaven|no_beard", (("No_Beard", 1),)),
    ("goatee|goatees", (("Goatee", 1), ("No_Beard", -1))),
    ("mustache|moustache|mustaches|moustaches|mustached|moustached|tache|handlebar", (("Mustache", 1),)),
    ("hat|hats|cap|caps|beanie|beret|fedora|helmet|headwear|cowboy hat|wearing_hat", (("Wearing_Hat", 1),)),
    ("hatless|bareheaded|bare headed", (("Wearing_Hat", -1),)),
    ("lipstick|red lips|painted lips|lip colour|lip color|wearing_lipstick", (("Wearing_Lipstick", 1),)),
    ("makeup|make up|made up|cosmetics", (("Heavy_Makeup", 1), ("Wearing_Lipstick", 1))),
    ("heavy makeup|heavy make up|heavy_makeup", (("Heavy_Makeup", 1), ("Wearing_Lipstick", 1))),
    ("young|younger|youthful|youth|teen|teenage|teenager|kid|child|student|adolescent|twenties",
     (("Young", 1),)),
    ("old|older|elderly|aged|senior|middle aged|grandmother|grandfather|grandma|grandpa|wrinkled|wrinkles|"
     "retired|pensioner", (("Young", -1),)),
    ("pale|pale skin|pale skinned|fair skin|fair skinned|pallid|porcelain skin", (("Pale_Skin", 1),)),
    ("tan|tanned|suntanned|sun tanned", (("Pale_Skin", -1),)),
    ("wavy|wavy hair|curly|curly hair|curls|wavy haired|curly haired", (("Wavy_Hair", 1),)),
    ("straight hair|straight haired", (("Straight_Hair", 1),)),
    ("stubble|five o clock shadow|5 o clock shadow|unshaven", (("5_o_Clock_Shadow", 1),)),
    ("sideburns|sideburn", (("Sideburns", 1),)),
    ("earrings|earring", (("Wearing_Earrings", 1),)),
    ("necklace|necklaces", (("Wearing_Necklace", 1),)),
    ("necktie|tie|bow tie", (("Wearing_Necktie", 1),)),
    ("chubby|plump|round faced", (("Chubby", 1),)),
    ("double chin", (("Double_Chin", 1),)),
    ("big nose|large nose", (("Big_Nose", 1),)),
    ("pointy nose|pointed nose", (("Pointy_Nose", 1),)),
    ("big lips|full lips|large lips", (("Big_Lips", 1),)),
    ("rosy cheeks|rosy|blushing", (("Rosy_Cheeks", 1),)),
    ("high cheekbones", (("High_Cheekbones", 1),)),
    ("arched eyebrows", (("Arched_Eyebrows", 1),)),
    ("bushy eyebrows|thick eyebrows", (("Bushy_Eyebrows", 1),)),
    ("narrow eyes|squinting", (("Narrow_Eyes", 1),)),
    ("oval face", (("Oval_Face", 1),)),
    ("receding hairline|receding", (("Receding_Hairline", 1),)),
    ("bags under eyes|eye bags|tired eyes", (("Bags_Under_Eyes", 1),)),
    ("attractive|beautiful|handsome|pretty|gorgeous", (("Attractive", 1),)),
    ("blurry|blurred|out of focus", (("Blurry", 1),)),
):
    LEXICON.update(_entries(_words, _effect))
# Every CelebA name is understood as written ("Wearing_Hat", "no_beard" is above).
for _name in CELEBA_ATTRIBUTES:
    LEXICON.setdefault((_name.lower(),), ((_name, 1),))

# Colour words that mean a hair colour when their clause mentions hair.
HAIR_COLOURS: dict[str, str] = {
    "black": "Black_Hair", "dark": "Black_Hair", "jet": "Black_Hair", "raven": "Black_Hair",
    "brown": "Brown_Hair", "chestnut": "Brown_Hair", "auburn": "Brown_Hair", "hazel": "Brown_Hair",
    "blond": "Blond_Hair", "blonde": "Blond_Hair", "golden": "Blond_Hair", "yellow": "Blond_Hair",
    "gray": "Gray_Hair", "grey": "Gray_Hair", "silver": "Gray_Hair", "white": "Gray_Hair",
    "red": "Red_Hair", "ginger": "Red_Hair", "copper": "Red_Hair",
}
HAIR_WORDS = {"hair", "haired", "hairs", "hairdo", "hairstyle", "locks"}
NEGATORS = {"no", "not", "without", "non", "never", "isn't", "isnt", "aren't", "doesn't", "doesnt",
            "don't", "dont", "nor", "neither", "none", "remove", "removed", "removing", "lose", "minus",
            "stop", "less", "un", "wasn't", "won't", "off", "rid"}
INTENSITY: dict[str, float] = {
    "slightly": 0.5, "slight": 0.5, "somewhat": 0.5, "mildly": 0.5, "faintly": 0.5, "faint": 0.5,
    "little": 0.5, "bit": 0.5, "hint": 0.5, "touch": 0.5, "barely": 0.5, "subtle": 0.5, "subtly": 0.5,
    "partly": 0.5, "half": 0.5, "lightly": 0.5, "kind": 0.5, "sort": 0.5,
    "very": 1.0, "really": 1.0, "extremely": 1.0, "broadly": 1.0, "widely": 1.0, "fully": 1.0,
    "completely": 1.0, "totally": 1.0, "heavily": 1.0, "big": 1.0, "wide": 1.0, "strongly": 1.0,
}
CLAUSE_BREAKS = {",", ";", ".", "!", "?", "and", "but", "with", "while", "who", "whose", "that", "&", "plus"}
KEEP_CLAUSE = {"or", "nor"}
# Words that carry no attribute; they are neither used nor reported as ignored.
FILLER = set("""
a an the of in on at to is are was be being been has have had having wearing wears wear worn who
person people someone somebody face faces portrait photo picture image headshot shot look looks looking
make made turn into become same but also as well his her him he she they them their its it i me my
this that these those one there here please just some any like lot lots quite rather more much
take get add put give show want wants
long short medium hair haired hairs hairdo hairstyle locks thick thin
""".split())
MAX_PHRASE = max(len(k) for k in LEXICON)


@dataclass(frozen=True)
class Understood:
    phrase: str
    attribute: str
    value: float


@dataclass
class TextParse:
    text: str
    conditioned: tuple[str, ...]
    vector: np.ndarray                      # over `conditioned`, in [-1, 1]; 0 = keep
    understood: list[Understood] = field(default_factory=list)
    unconditioned: list[Understood] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    implied: dict[str, float] = field(default_factory=dict)

    def requested(self) -> dict[str, float]:
        return {a: float(v) for a, v in zip(self.conditioned, self.vector) if v != 0}

    def report(self) -> str:
        """What was understood, implied and ignored: printed by the CLI."""
        said = {u.attribute: u.value for u in self.understood}
        lines = [f"understood: {_format_values(said)}"]
        if self.implied:
            lines.append(f"  implied by the conflict rules: {_format_values(self.implied)}")
        if self.unconditioned:
            names = sorted({u.attribute for u in self.unconditioned})
            lines.append(f"  not controllable by this model (left as is): {', '.join(names)}")
        if self.ignored:
            lines.append(f"  ignored words: {', '.join(self.ignored)}")
        return "\n".join(lines)


def _format_values(values: dict[str, float]) -> str:
    return ", ".join(f"{a}={v:+g}" for a, v in values.items()) or "nothing"


def tokenize(text: str) -> list[str]:
    text = text.lower().replace("\u2019", "'").replace("-", " ")
    text = re.sub(r"\bw/o\b", " without ", text)
    text = re.sub(r"\b(\w+)n't\b", r"\1 not", text)
    return re.findall(r"[a-z0-9_']+|[,;.!?&]", text)


def _clauses(tokens: list[str]) -> list[list[str]]:
    clauses, current = [], []
    for tok in tokens:
        if tok in CLAUSE_BREAKS:
            if current:
                clauses.append(current)
            current = []
        else:
            current.append(tok)
    if current:
        clauses.append(current)
    return clauses


def _match(clause: list[str], i: int) -> tuple[int, _A | None]:
    for n in range(min(MAX_PHRASE, len(clause) - i), 0, -1):
        effect = LEXICON.get(tuple(clause[i:i + n]))
        if effect is not None:
            return n, effect
    return 1, None


def _read_clause(clause: list[str]) -> tuple[list[Understood], list[str]]:
    """Attributes asked for in one clause, and the words it could not use."""
    mentions_hair = any(t in HAIR_WORDS for t in clause)
    single_words = {k[0] for k in LEXICON if len(k) == 1}
    found, ignored = [], []
    negations, intensity = 0, 1.0
    i = 0
    while i < len(clause):
        tok = clause[i]
        local_negation = 0
        if tok.startswith("un") and len(tok) > 4 and tok[2:] in single_words:
            tok, local_negation = tok[2:], 1   # "unsmiling", "unshaved"
            clause = clause[:i] + [tok] + clause[i + 1:]
        n, effect = _match(clause, i)
        phrase = " ".join(clause[i:i + n])
        if effect is None and tok in HAIR_COLOURS and mentions_hair:
            effect = ((HAIR_COLOURS[tok], 1),)
        if effect is not None:
            sign = -1 if (negations + local_negation) % 2 else 1
            for attribute, value in effect:
                scale = 1.0 if attribute == "Male" else intensity
                found.append(Understood(phrase, attribute, sign * value * scale))
            intensity = 1.0
            # A negation carries on only through "or"/"nor": "no glasses or hat".
            if not (i + n < len(clause) and clause[i + n] in KEEP_CLAUSE):
                negations = 0
        elif tok in NEGATORS:
            negations += 1
        elif tok in INTENSITY:
            intensity = INTENSITY[tok]
        elif tok not in FILLER and tok not in KEEP_CLAUSE and not tok.isdigit():
            ignored.append(tok)
        i += n
    return found, ignored


def parse_text(text: str, conditioned: tuple[str, ...]) -> TextParse:
    """Read `text` into an attribute vector over `conditioned` (see the module doc)."""
    found, ignored = [], []
    for clause in _clauses(tokenize(text)):
        f, ig = _read_clause(clause)
        found += f
        ignored += ig
    values: dict[str, Understood] = {}
    for u in found:
        prev = values.get(u.attribute)
        if prev is not None and np.sign(prev.value) != np.sign(u.value):
            raise TextError(f"contradiction: '{prev.phrase}' asks {prev.attribute}={prev.value:+g} but "
                            f"'{u.phrase}' asks {u.attribute}={u.value:+g}; say one or the other")
        values[u.attribute] = u
    _check_conflicts(values)
    understood = [u for u in values.values() if u.attribute in conditioned]
    unconditioned = [u for u in values.values() if u.attribute not in conditioned]
    if not understood:
        what = (f"understood only {', '.join(u.attribute for u in unconditioned)}, which this model "
                "cannot change" if unconditioned else "understood no attribute")
        raise TextError(f"'{text.strip()}': {what}. Say what to change using: {supported_words(conditioned)}")
    raw = np.zeros(len(conditioned), np.float32)
    for u in understood:
        raw[conditioned.index(u.attribute)] = u.value
    vector = apply_conflict_rules(raw, conditioned)
    implied = {a: float(v) for a, v, r in zip(conditioned, vector, raw) if r == 0 and v != 0}
    return TextParse(text, tuple(conditioned), vector, understood, unconditioned,
                     list(dict.fromkeys(ignored)), implied)


def _check_conflicts(values: dict[str, Understood]) -> None:
    for group in EXCLUSIVE_GROUPS:
        on = [values[a] for a in group if a in values and values[a].value > 0]
        if len(on) > 1:
            raise TextError(f"contradiction: '{on[0].phrase}' and '{on[1].phrase}' ask for both "
                            f"{on[0].attribute} and {on[1].attribute}; choose one")
    for (name, sign), implied in IMPLICATIONS.items():
        u = values.get(name)
        if u is None or np.sign(u.value) != sign:
            continue
        for other, other_sign in implied:
            v = values.get(other)
            if v is not None and np.sign(v.value) != other_sign:
                raise TextError(f"contradiction: '{u.phrase}' ({name}={u.value:+g}) rules out "
                                f"'{v.phrase}' ({other}={v.value:+g}); choose one")


def parse_assignments(text: str, conditioned: tuple[str, ...]) -> dict[str, float]:
    """``"Smiling=1,Eyeglasses=-1"`` -> {"Smiling": 1.0, "Eyeglasses": -1.0} (values in [-1, 1])."""
    values = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        name, sep, raw = item.partition("=")
        if not sep:
            raise TextError(f"'{item}' is not NAME=VALUE; write e.g. Smiling=1,Eyeglasses=-1")
        name = canonical_name(name, conditioned)
        try:
            value = float(raw)
        except ValueError:
            raise TextError(f"'{item}': the value must be a number in [-1, 1], e.g. {name}=1") from None
        if not -1.0 <= value <= 1.0 or value != value:
            raise TextError(f"'{item}': the value must be in [-1, 1] (-1 = remove, 0 = keep, 1 = add)")
        values[name] = value
    if not values:
        raise TextError("--attrs names no attribute; write e.g. Smiling=1,Eyeglasses=-1")
    return values


def request_vector(text: str | None, attrs: str | None,
                   conditioned: tuple[str, ...]) -> tuple[np.ndarray, str, set[str]]:
    """The attribute vector from --text and/or --attrs (--attrs wins), the report to print, and
    the attributes only the conflict rules set (implied by the request, not asked for)."""
    if not text and not attrs:
        raise TextError("say what to change with --text \"smiling, no glasses\" or --attrs Smiling=1")
    if text:
        parsed = parse_text(text, conditioned)
        vector, report, implied = parsed.vector.copy(), parsed.report(), set(parsed.implied)
    else:
        vector, report, implied = np.zeros(len(conditioned), np.float32), "", set()
    if attrs:
        assigned = parse_assignments(attrs, conditioned)
        for name, value in assigned.items():
            vector[conditioned.index(name)] = value
        ruled = apply_conflict_rules(vector, conditioned)
        implied = (implied - set(assigned)) | {a for a, v, r in zip(conditioned, vector, ruled) if v != r}
        vector = ruled
        set_ = {a: float(v) for a, v in zip(conditioned, vector) if v != 0}
        report = (report + "\n" if report else "") + f"after --attrs: {_format_values(set_)}"
    return vector, report, implied


# --- vector -> words -------------------------------------------------------------------------

_PHRASES: dict[str, tuple[str, str]] = {   # attribute -> (said when +1, said when -1)
    "Smiling": ("smiling", "not smiling"),
    "Mouth_Slightly_Open": ("open mouth", "closed mouth"),
    "Eyeglasses": ("glasses", "no glasses"),
    "Black_Hair": ("black hair", "no black hair"),
    "Blond_Hair": ("blond hair", "no blond hair"),
    "Brown_Hair": ("brown hair", "no brown hair"),
    "Gray_Hair": ("gray hair", "no gray hair"),
    "Bald": ("bald", "not bald"),
    "Bangs": ("bangs", "no bangs"),
    "Mustache": ("mustache", "no mustache"),
    "No_Beard": ("clean-shaven", "beard"),
    "Wearing_Hat": ("hat", "no hat"),
    "Wearing_Lipstick": ("lipstick", "no lipstick"),
    "Pale_Skin": ("pale skin", "not pale"),
}


def describe_attributes(values: dict[str, float], full: bool = False) -> str:
    """A sentence for attribute values (+ present, - absent, 0 unknown), e.g.
    "a young smiling woman with blond hair, bangs and lipstick".

    With `full`, absent attributes are said too ("no glasses"), so that
    `parse_text` reads the sentence back to the same signs.
    """
    def on(name):
        return values.get(name, 0) > 0

    def off(name):
        return values.get(name, 0) < 0

    age = "young " if on("Young") else "old " if off("Young") else ""
    who = "man" if on("Male") else "woman" if off("Male") else "person"
    head = f"a {age}{who}"
    parts = []
    for name, (yes, no) in _PHRASES.items():
        if name == "No_Beard" and on(name) and not full and not on("Male"):
            continue  # "clean-shaven" goes without saying unless the face is a man's
        if on(name):
            parts.append(yes)
        elif off(name) and (full or name in ("Eyeglasses", "Smiling")):
            parts.append(no)
    if not parts:
        return head
    return f"{head}, " + ", ".join(parts)


def supported_words(conditioned: tuple[str, ...]) -> str:
    examples = {
        "Male": "man / woman", "Smiling": "smiling / not smiling", "Mouth_Slightly_Open": "open mouth",
        "Eyeglasses": "glasses / no glasses", "Black_Hair": "black hair", "Blond_Hair": "blond hair",
        "Brown_Hair": "brown hair", "Gray_Hair": "gray hair", "Bald": "bald", "Bangs": "bangs / fringe",
        "Mustache": "mustache", "No_Beard": "beard / clean-shaven", "Wearing_Hat": "hat",
        "Wearing_Lipstick": "lipstick / makeup", "Young": "young / old", "Pale_Skin": "pale skin",
    }
    return ", ".join(examples.get(a, a.replace("_", " ").lower()) for a in conditioned)
