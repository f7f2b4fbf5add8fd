"""Built-in synthetic faces, drawn with OpenCV: the offline default data set.

A face is a pure function of (identity seed, attributes). Everything that makes
the person who they are (face shape, skin tone, eye colour, hair style, natural
hair colour, background, pose, lighting, noise) comes from the identity seed
alone, drawn in a fixed order whatever the attributes, so the same identity can
be rendered with one attribute changed: the exact counterfactual.

Faces follow the crop template in `makeover.data.template`, so a synthetic face
sits where an aligned CelebA crop puts a real one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import cv2
import numpy as np

from makeover.attributes import CELEBA_ATTRIBUTES, DEFAULT_CONDITIONED
from makeover.data.template import LANDMARKS

DRAWN_ATTRIBUTES = DEFAULT_CONDITIONED
HAIR_COLOURS_BGR = {
    "Black_Hair": (28, 26, 30), "Blond_Hair": (95, 190, 228), "Brown_Hair": (35, 62, 105),
    "Gray_Hair": (172, 172, 176),
}
_OTHER_HAIR_BGR = ((30, 60, 150), (40, 85, 160), (25, 45, 95))  # red, auburn, dark auburn
_SKIN_BGR = ((190, 215, 245), (160, 195, 235), (120, 165, 215), (90, 135, 190), (60, 95, 145), (45, 70, 110))
_EYE_BGR = ((90, 60, 30), (60, 110, 60), (140, 110, 70), (30, 45, 70))
_RENDER = 256  # drawn at this size, then resized: anti-aliasing for free


@dataclass(frozen=True)
class Identity:
    """The per-person parameters, all drawn from the identity seed."""

    skin: np.ndarray
    face_w: float
    face_h: float
    jaw: float
    eye: tuple
    brow_thick: float
    nose_len: float
    lip_bgr: tuple
    natural_hair: tuple
    hair_volume: float
    hair_long: float
    hair_wave: float
    background: np.ndarray
    background2: np.ndarray
    clothes: tuple
    glasses_bgr: tuple
    glasses_round: bool
    hat_bgr: tuple
    angle: float
    scale: float
    shift: tuple
    light: float
    light_angle: float
    noise_seed: int


def _identity(seed: int) -> Identity:
    r = np.random.default_rng([seed, 7919])
    skin = np.array(_SKIN_BGR[r.integers(len(_SKIN_BGR))], float) + r.normal(0, 8, 3)
    return Identity(
        skin=np.clip(skin, 0, 255),
        face_w=r.uniform(0.27, 0.32), face_h=r.uniform(0.37, 0.42), jaw=r.uniform(0.75, 0.95),
        eye=tuple(int(v) for v in _EYE_BGR[r.integers(len(_EYE_BGR))]),
        brow_thick=r.uniform(0.8, 1.3), nose_len=r.uniform(0.8, 1.2),
        lip_bgr=tuple(float(v) for v in np.clip(skin * np.array([0.75, 0.7, 0.95]), 0, 255)),
        natural_hair=_OTHER_HAIR_BGR[r.integers(len(_OTHER_HAIR_BGR))],
        hair_volume=r.uniform(0.9, 1.15), hair_long=r.uniform(0.7, 1.0), hair_wave=r.uniform(0, 1),
        background=r.uniform(60, 230, 3), background2=r.uniform(60, 230, 3),
        clothes=tuple(float(v) for v in r.uniform(20, 220, 3)),
        glasses_bgr=tuple(float(v) for v in r.uniform(0, 90, 3)), glasses_round=bool(r.random() < 0.5),
        hat_bgr=tuple(float(v) for v in r.uniform(20, 230, 3)),
        angle=r.normal(0, 4), scale=r.uniform(0.96, 1.04), shift=tuple(r.normal(0, 0.012, 2)),
        light=r.uniform(0.0, 0.25), light_angle=r.uniform(0, 2 * math.pi),
        noise_seed=int(r.integers(2**31)),
    )


def sample_attributes(seed: int) -> dict[str, int]:
    """Attributes of sample `seed`, with CelebA-like correlations; values +1/-1."""
    r = np.random.default_rng([seed, 104729])
    male = r.random() < 0.45
    young = r.random() < 0.75
    bald = male and r.random() < (0.06 if young else 0.2)
    a = {name: -1 for name in DRAWN_ATTRIBUTES}
    a["Male"] = 1 if male else -1
    a["Young"] = 1 if young else -1
    a["Bald"] = 1 if bald else -1
    if not bald:
        hair = r.choice(["Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair", "other"],
                        p=[0.27, 0.2, 0.25, 0.08, 0.2] if young else [0.15, 0.1, 0.15, 0.5, 0.1])
        if hair != "other":
            a[str(hair)] = 1
        a["Bangs"] = 1 if r.random() < 0.2 else -1
    smiling = r.random() < 0.5
    a["Smiling"] = 1 if smiling else -1
    a["Mouth_Slightly_Open"] = 1 if r.random() < (0.65 if smiling else 0.3) else -1
    a["Eyeglasses"] = 1 if r.random() < 0.15 else -1
    a["Wearing_Hat"] = 1 if r.random() < 0.1 else -1
    a["Pale_Skin"] = 1 if r.random() < 0.1 else -1
    if male:
        a["Mustache"] = 1 if r.random() < 0.15 else -1
        a["No_Beard"] = -1 if (a["Mustache"] > 0 or r.random() < 0.25) else 1
    else:
        a["No_Beard"] = 1
        a["Wearing_Lipstick"] = 1 if r.random() < 0.6 else -1
    return a


def _pt(x: float, y: float) -> tuple[int, int]:
    """A point given as crop fractions, in fixed-point pixels of the render canvas (shift=4)."""
    return int(round(x * _RENDER * 16)), int(round(y * _RENDER * 16))


def _ax(w: float, h: float) -> tuple[int, int]:
    return int(round(w * _RENDER * 16)), int(round(h * _RENDER * 16))


def _ellipse(img, c, axes, color, angle=0.0, start=0, end=360, thickness=-1):
    cv2.ellipse(img, _pt(*c), _ax(*axes), angle, start, end, color, thickness, cv2.LINE_AA, 4)


def _poly(img, points, color):
    pts = np.array([_pt(x, y) for x, y in points], np.int32)
    cv2.fillPoly(img, [pts], color, cv2.LINE_AA, 4)


def _line(img, p, q, color, width):
    cv2.line(img, _pt(*p), _pt(*q), color, max(1, int(round(width * _RENDER))), cv2.LINE_AA, 4)


def render_face(identity_seed: int, attributes: dict[str, int], size: int = 64) -> np.ndarray:
    """Draw one face as a uint8 RGB array of shape (size, size, 3)."""
    return draw_face(_identity(identity_seed), attributes, size)


def hidden_fields(attributes: dict[str, int]) -> tuple[str, ...]:
    """The identity's parameters that a face with these attributes does not show, and that an edit
    may have to draw: glasses and a hat not worn, the natural hair colour under a named colour, the
    hair's shape on a bald head, a man's hair length, the parting under a fringe or a man's hat."""
    on = {name: attributes.get(name, -1) > 0 for name in DRAWN_ATTRIBUTES}
    hidden = []
    if not on["Eyeglasses"]:
        hidden += ["glasses_bgr", "glasses_round"]
    if not on["Wearing_Hat"]:
        hidden += ["hat_bgr"]
    if any(on[h] for h in HAIR_COLOURS_BGR):  # (a bald head's brows still show it)
        hidden += ["natural_hair"]
    if on["Bald"]:
        hidden += ["hair_volume", "hair_long", "hair_wave"]
    elif on["Male"]:  # (the hair's volume shows under a hat's brim; its parting does not)
        hidden += ["hair_long"] + (["hair_wave"] if on["Bangs"] or on["Wearing_Hat"] else [])
    return tuple(hidden)


def redraw_hidden(identity_seed: int, attributes: dict[str, int], draw_seed: int) -> Identity:
    """Identity `identity_seed` with the parameters its face (with `attributes`) hides taken from
    another identity: a face an edit could draw from what it sees, as right as the true one."""
    ident, other = _identity(identity_seed), _identity(draw_seed)
    return replace(ident, **{name: getattr(other, name) for name in hidden_fields(attributes)})


def draw_face(ident: Identity, attributes: dict[str, int], size: int = 64) -> np.ndarray:
    """render_face for a given Identity."""
    a = {name: attributes.get(name, -1) for name in DRAWN_ATTRIBUTES}
    on = {name: a[name] > 0 for name in a}
    img = _background(ident)
    skin = ident.skin.copy()
    if on["Pale_Skin"]:
        skin = 0.45 * skin + 0.55 * np.array([225, 228, 238])
    skin_c = tuple(float(v) for v in skin)
    hair_c = next((HAIR_COLOURS_BGR[h] for h in HAIR_COLOURS_BGR if on[h]), ident.natural_hair)
    male = on["Male"]
    cx = (LANDMARKS["left_eye"][0] + LANDMARKS["right_eye"][0]) / 2
    eye_y = LANDMARKS["left_eye"][1]
    face_c = (cx, 0.55)
    face_w = ident.face_w * (1.06 if male else 0.97)
    face_h = ident.face_h

    if not on["Bald"] and not on["Wearing_Hat"] or (on["Wearing_Hat"] and not male):
        _hair_back(img, ident, hair_c, male, face_c, face_w)
    _neck_and_clothes(img, ident, skin_c, face_c, face_w)
    _face_shape(img, ident, skin_c, face_c, face_w, face_h, male)
    if not on["Bald"]:
        _hair_top(img, ident, hair_c, face_c, face_w, bangs=on["Bangs"])
    _brows(img, ident, hair_c if not on["Gray_Hair"] else (110, 110, 115), cx, eye_y, male)
    _eyes(img, ident, cx, eye_y)
    _nose(img, ident, skin, cx)
    if not on["Young"]:
        _wrinkles(img, skin, cx, eye_y)
    if not on["No_Beard"]:
        _beard(img, hair_c, face_c, face_w, face_h)
    _mouth(img, ident, on, skin)
    if on["Mustache"]:
        _mustache(img, hair_c)
    if on["Eyeglasses"]:
        _glasses(img, ident, cx, eye_y)
    if on["Wearing_Hat"]:
        _hat(img, ident, face_c, face_w)
    return _finish(img, ident, size)


def _background(ident: Identity) -> np.ndarray:
    t = np.linspace(0, 1, _RENDER)[:, None, None]
    grad = (1 - t) * ident.background + t * ident.background2
    return np.ascontiguousarray(np.broadcast_to(grad, (_RENDER, _RENDER, 3)).astype(np.uint8))


def _hair_back(img, ident, hair_c, male, face_c, face_w):
    cx, cy = face_c
    vol = ident.hair_volume
    if male:
        _ellipse(img, (cx, cy - 0.08), (face_w * 1.1 * vol, 0.40 * vol), hair_c)
    else:
        bottom = 0.75 + 0.3 * ident.hair_long
        _ellipse(img, (cx, cy - 0.1), (face_w * 1.22 * vol, 0.40 * vol), hair_c)
        wave = 0.02 * ident.hair_wave
        _poly(img, [(cx - face_w * 1.22 * vol, cy - 0.1), (cx - face_w * 1.3 * vol - wave, bottom),
                    (cx + face_w * 1.3 * vol + wave, bottom), (cx + face_w * 1.22 * vol, cy - 0.1)], hair_c)


def _neck_and_clothes(img, ident, skin_c, face_c, face_w):
    cx, _ = face_c
    shade = tuple(0.85 * v for v in skin_c)
    _poly(img, [(cx - 0.12, 0.8), (cx + 0.12, 0.8), (cx + 0.13, 1.05), (cx - 0.13, 1.05)], shade)
    _ellipse(img, (cx, 1.12), (0.48, 0.2), ident.clothes)


def _face_shape(img, ident, skin_c, face_c, face_w, face_h, male):
    cx, cy = face_c
    for side in (-1, 1):  # ears
        _ellipse(img, (cx + side * face_w * 0.98, 0.53), (0.035, 0.07), tuple(0.92 * v for v in skin_c))
    _ellipse(img, (cx, cy - 0.05), (face_w, face_h * 0.85), skin_c)
    jaw = ident.jaw * (1.08 if male else 0.95)
    _poly(img, [(cx - face_w, cy - 0.05), (cx + face_w, cy - 0.05), (cx + face_w * jaw * 0.8, cy + 0.25),
                (cx + 0.06, cy + face_h - 0.02), (cx - 0.06, cy + face_h - 0.02),
                (cx - face_w * jaw * 0.8, cy + 0.25)], skin_c)


def _hair_top(img, ident, hair_c, face_c, face_w, bangs):
    cx, cy = face_c
    vol = ident.hair_volume
    hairline = 0.22 if not bangs else 0.33
    pts = []
    for k in range(25):
        t = math.pi + math.pi * k / 24
        pts.append((cx + math.cos(t) * face_w * 1.06 * vol, hairline + math.sin(t) * (hairline - 0.02) * vol))
    if bangs:
        pts += [(cx + face_w * 0.9, hairline + 0.04), (cx + face_w * 0.3, hairline + 0.03),
                (cx - face_w * 0.3, hairline + 0.05), (cx - face_w * 0.9, hairline + 0.04)]
    else:
        part = 0.05 * (ident.hair_wave - 0.5)
        pts += [(cx + face_w * 0.85, hairline + 0.03), (cx + part, hairline - 0.01), (cx - face_w * 0.85, hairline + 0.03)]
    _poly(img, pts, hair_c)


def _brows(img, ident, colour, cx, eye_y, male):
    width = 0.012 * ident.brow_thick * (1.4 if male else 1.0)
    for ex in (LANDMARKS["left_eye"][0], LANDMARKS["right_eye"][0]):
        _ellipse(img, (ex, eye_y - 0.035), (0.055, 0.02), colour, 0, 200, 340, max(1, int(width * _RENDER)))


def _eyes(img, ident, cx, eye_y):
    for ex in (LANDMARKS["left_eye"][0], LANDMARKS["right_eye"][0]):
        _ellipse(img, (ex, eye_y), (0.042, 0.018), (245, 245, 245))
        _ellipse(img, (ex, eye_y), (0.017, 0.017), ident.eye)
        _ellipse(img, (ex, eye_y), (0.008, 0.008), (15, 15, 15))
        _ellipse(img, (ex, eye_y), (0.043, 0.019), (40, 40, 50), 0, 180, 360, 2)


def _nose(img, ident, skin, cx):
    ny = LANDMARKS["nose"][1]
    dark = tuple(float(v) for v in 0.72 * skin)
    _line(img, (cx + 0.005, ny - 0.09 * ident.nose_len), (cx + 0.015, ny), tuple(0.85 * skin), 0.008)
    _ellipse(img, (cx - 0.022, ny + 0.005), (0.01, 0.007), dark)
    _ellipse(img, (cx + 0.022, ny + 0.005), (0.01, 0.007), dark)


def _mouth(img, ident, on, skin):
    (lx, ly), (rx, ry) = LANDMARKS["mouth_left"], LANDMARKS["mouth_right"]
    mx, my = (lx + rx) / 2, (ly + ry) / 2
    half = (rx - lx) / 2 * (1.1 if on["Smiling"] else 0.85)
    lip = (40, 40, 190) if on["Wearing_Lipstick"] else ident.lip_bgr
    opening = 0.035 if on["Mouth_Slightly_Open"] else 0.0
    if on["Smiling"]:
        # A smile: corners raised, the lower lip a wide arc.
        _ellipse(img, (mx, my - 0.02), (half, 0.035 + opening), lip, 0, 0, 180)
        inner = (250, 250, 250) if opening == 0 else (235, 235, 235)
        _ellipse(img, (mx, my - 0.018), (half * 0.85, 0.02 + opening * 0.8), inner, 0, 0, 180)
        if opening:
            _ellipse(img, (mx, my + 0.005 + opening * 0.4), (half * 0.55, opening * 0.35), (40, 30, 90))
        _line(img, (mx - half, my - 0.02), (mx + half, my - 0.02), lip, 0.01)
    else:
        if opening:
            _ellipse(img, (mx, my), (half * 0.75, opening * 0.7 + 0.012), lip)
            _ellipse(img, (mx, my), (half * 0.6, opening * 0.55), (40, 30, 70))
        else:
            _ellipse(img, (mx, my - 0.006), (half, 0.011), lip)
            _ellipse(img, (mx, my + 0.008), (half * 0.85, 0.013), tuple(0.9 * np.array(lip)))
            _line(img, (mx - half, my), (mx + half, my), tuple(0.5 * np.array(lip)), 0.005)


def _mustache(img, hair_c):
    (lx, ly), (rx, _) = LANDMARKS["mouth_left"], LANDMARKS["mouth_right"]
    mx = (lx + rx) / 2
    _poly(img, [(lx - 0.02, ly - 0.005), (mx, ly - 0.045), (rx + 0.02, ly - 0.005), (mx, ly - 0.025)], hair_c)


def _beard(img, hair_c, face_c, face_w, face_h):
    cx, cy = face_c
    colour = tuple(0.85 * np.array(hair_c) + 0.15 * 60)
    _poly(img, [(cx - face_w * 0.98, 0.6), (cx - face_w * 0.7, 0.72), (cx - 0.08, 0.72), (cx, 0.86),
                (cx + 0.08, 0.72), (cx + face_w * 0.7, 0.72), (cx + face_w * 0.98, 0.6),
                (cx + face_w * 0.75, cy + 0.3), (cx + 0.07, cy + face_h + 0.01),
                (cx - 0.07, cy + face_h + 0.01), (cx - face_w * 0.75, cy + 0.3)], colour)


def _wrinkles(img, skin, cx, eye_y):
    line_c = tuple(float(v) for v in 0.7 * skin)
    for dy in (0.0, 0.025):
        _line(img, (cx - 0.09, eye_y - 0.1 - dy), (cx + 0.09, eye_y - 0.1 - dy), line_c, 0.005)
    for side in (-1, 1):
        _line(img, (cx + side * 0.05, 0.68), (cx + side * 0.085, 0.76), line_c, 0.006)
        ex = LANDMARKS["right_eye"][0] if side > 0 else LANDMARKS["left_eye"][0]
        _ellipse(img, (ex, eye_y + 0.03), (0.035, 0.012), line_c, 0, 20, 160, 1)


def _glasses(img, ident, cx, eye_y):
    colour = ident.glasses_bgr
    thick = max(2, int(0.012 * _RENDER))
    for ex in (LANDMARKS["left_eye"][0], LANDMARKS["right_eye"][0]):
        if ident.glasses_round:
            _ellipse(img, (ex, eye_y), (0.062, 0.05), colour, 0, 0, 360, thick)
        else:
            cv2.rectangle(img, _pt(ex - 0.065, eye_y - 0.042), _pt(ex + 0.065, eye_y + 0.045), colour,
                          thick, cv2.LINE_AA, 4)
    _line(img, (cx - 0.07, eye_y - 0.01), (cx + 0.07, eye_y - 0.01), colour, 0.01)
    _line(img, (LANDMARKS["left_eye"][0] - 0.065, eye_y - 0.02), (0.16, eye_y - 0.02), colour, 0.01)
    _line(img, (LANDMARKS["right_eye"][0] + 0.065, eye_y - 0.02), (0.84, eye_y - 0.02), colour, 0.01)


def _hat(img, ident, face_c, face_w):
    cx, _ = face_c
    _ellipse(img, (cx, 0.2), (face_w * 1.08, 0.2), ident.hat_bgr, 0, 180, 360)
    _poly(img, [(cx - face_w * 1.08, 0.2), (cx + face_w * 1.08, 0.2), (cx + face_w * 1.08, 0.26),
                (cx - face_w * 1.08, 0.26)], ident.hat_bgr)
    _ellipse(img, (cx, 0.26), (face_w * 1.45, 0.035), tuple(0.7 * np.array(ident.hat_bgr)))


def _finish(img: np.ndarray, ident: Identity, size: int) -> np.ndarray:
    centre = (_RENDER / 2, _RENDER / 2)
    m = cv2.getRotationMatrix2D(centre, ident.angle, ident.scale)
    m[:, 2] += np.array(ident.shift) * _RENDER
    img = cv2.warpAffine(img, m, (_RENDER, _RENDER), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    yy, xx = np.mgrid[0:_RENDER, 0:_RENDER] / _RENDER - 0.5
    shade = 1 + ident.light * (xx * math.cos(ident.light_angle) + yy * math.sin(ident.light_angle))
    out = img.astype(np.float32) * shade[..., None]
    out = cv2.resize(out, (size, size), interpolation=cv2.INTER_AREA)
    out += np.random.default_rng(ident.noise_seed).normal(0, 3.0, out.shape)
    return np.clip(out, 0, 255).astype(np.uint8)[..., ::-1].copy()  # BGR -> RGB


class SyntheticFaces:
    """A fixed-size set of synthetic faces: sample i is identity i with attributes of seed i."""

    def __init__(self, size: int = 20000, seed: int = 0):
        self.size = size
        self.seed = seed
        self.attributes = CELEBA_ATTRIBUTES
        self.values = np.full((size, len(CELEBA_ATTRIBUTES)), -1, dtype=np.int8)
        for i in range(size):
            for name, v in sample_attributes(self._seed(i)).items():
                self.values[i, CELEBA_ATTRIBUTES.index(name)] = v

    def _seed(self, i: int) -> int:
        return self.seed * 1_000_003 + int(i)

    def __len__(self) -> int:
        return self.size

    def attributes_of(self, i: int) -> dict[str, int]:
        return {name: int(self.values[i, CELEBA_ATTRIBUTES.index(name)]) for name in DRAWN_ATTRIBUTES}

    def image(self, i: int, image_size: int, overrides: dict[str, int] | None = None) -> np.ndarray:
        """Face i (uint8 RGB), optionally with some attributes changed: the counterfactual."""
        attrs = self.attributes_of(i)
        attrs.update(overrides or {})
        return render_face(self._seed(i), attrs, image_size)

    def plausible_image(self, i: int, image_size: int, overrides: dict[str, int], draw: int) -> np.ndarray:
        """Face i with `overrides`, what face i hides (hidden_fields) drawn from another identity (one
        per `draw`): an edit exactly as right as the true counterfactual given what it can see."""
        seen = self.attributes_of(i)
        other = 2**40 + self._seed(i) * 64 + draw  # the seed of no face of any set
        return draw_face(redraw_hidden(self._seed(i), seen, other), {**seen, **overrides}, image_size)
