"""Plain-language parsing: a table of phrasings, errors, and properties."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from makeover.attributes import DEFAULT_CONDITIONED as C
from makeover.attributes import AttributeError_
from makeover.text import (TextError, describe_attributes, parse_assignments, parse_text,
                           request_vector)

HAIR = ("Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair")


def _other_hair(colour):
    return {h: -1 for h in HAIR if h != colour} | {"Bald": -1}


# text -> the full expected vector, as {attribute: value}; unlisted attributes are 0.
PHRASES = [
    # gender synonyms
    ("woman", {"Male": -1}), ("a female", {"Male": -1}), ("girl", {"Male": -1}), ("lady", {"Male": -1}),
    ("man", {"Male": 1}), ("a guy", {"Male": 1}), ("male", {"Male": 1}), ("gentleman", {"Male": 1}),
    # smiling, negation forms and intensity
    ("smiling", {"Smiling": 1}), ("smile", {"Smiling": 1}), ("grinning", {"Smiling": 1}),
    ("not smiling", {"Smiling": -1}), ("non-smiling", {"Smiling": -1}), ("unsmiling", {"Smiling": -1}),
    ("isn't smiling", {"Smiling": -1}), ("doesn't smile", {"Smiling": -1}), ("frowning", {"Smiling": -1}),
    ("slightly smiling", {"Smiling": 0.5}), ("a bit of a smile", {"Smiling": 0.5}),
    ("very smiling", {"Smiling": 1}), ("broadly grinning", {"Smiling": 1}),
    ("not unsmiling", {"Smiling": 1}),
    # glasses
    ("glasses", {"Eyeglasses": 1}), ("spectacles", {"Eyeglasses": 1}), ("eyeglasses", {"Eyeglasses": 1}),
    ("sunglasses", {"Eyeglasses": 1}), ("no glasses", {"Eyeglasses": -1}),
    ("without glasses", {"Eyeglasses": -1}), ("w/o glasses", {"Eyeglasses": -1}),
    ("take off the glasses", {"Eyeglasses": -1}), ("remove the spectacles", {"Eyeglasses": -1}),
    # hair colours (one at a time) and bald / bangs
    ("blond hair", {"Blond_Hair": 1, **_other_hair("Blond_Hair")}),
    ("blonde", {"Blond_Hair": 1, **_other_hair("Blond_Hair")}),
    ("black hair", {"Black_Hair": 1, **_other_hair("Black_Hair")}),
    ("black-haired", {"Black_Hair": 1, **_other_hair("Black_Hair")}),
    ("brown hair", {"Brown_Hair": 1, **_other_hair("Brown_Hair")}),
    ("brunette", {"Brown_Hair": 1, **_other_hair("Brown_Hair")}),
    ("gray hair", {"Gray_Hair": 1, **_other_hair("Gray_Hair")}),
    ("grey hair", {"Gray_Hair": 1, **_other_hair("Gray_Hair")}),
    ("silver hair", {"Gray_Hair": 1, **_other_hair("Gray_Hair")}),
    ("long curly black hair", {"Black_Hair": 1, **_other_hair("Black_Hair")}),
    ("no blond hair", {"Blond_Hair": -1}),
    ("bald", {"Bald": 1, "Bangs": -1, **{h: -1 for h in HAIR}}),
    ("no hair", {"Bald": 1, "Bangs": -1, **{h: -1 for h in HAIR}}),
    ("bangs", {"Bangs": 1, "Bald": -1}), ("a fringe", {"Bangs": 1, "Bald": -1}),
    ("no bangs", {"Bangs": -1}),
    # beards and moustaches
    ("beard", {"No_Beard": -1}), ("bearded", {"No_Beard": -1}), ("with a beard", {"No_Beard": -1}),
    ("without a beard", {"No_Beard": 1, "Mustache": -1}), ("no beard", {"No_Beard": 1, "Mustache": -1}),
    ("clean-shaven", {"No_Beard": 1, "Mustache": -1}), ("clean shaven", {"No_Beard": 1, "Mustache": -1}),
    ("mustache", {"Mustache": 1, "No_Beard": -1}), ("moustache", {"Mustache": 1, "No_Beard": -1}),
    ("no moustache", {"Mustache": -1}),
    # hats, lipstick, makeup
    ("hat", {"Wearing_Hat": 1}), ("a cap", {"Wearing_Hat": 1}), ("wearing a beanie", {"Wearing_Hat": 1}),
    ("no hat", {"Wearing_Hat": -1}), ("lipstick", {"Wearing_Lipstick": 1}),
    ("makeup", {"Wearing_Lipstick": 1}), ("make-up", {"Wearing_Lipstick": 1}),
    ("no lipstick", {"Wearing_Lipstick": -1}),
    # age, skin, mouth
    ("young", {"Young": 1}), ("youthful", {"Young": 1}), ("old", {"Young": -1}), ("older", {"Young": -1}),
    ("elderly", {"Young": -1}), ("middle-aged", {"Young": -1}), ("slightly older", {"Young": -0.5}),
    ("pale", {"Pale_Skin": 1}), ("pale skin", {"Pale_Skin": 1}), ("tanned", {"Pale_Skin": -1}),
    ("open mouth", {"Mouth_Slightly_Open": 1}), ("mouth slightly open", {"Mouth_Slightly_Open": 1}),
    ("open-mouthed", {"Mouth_Slightly_Open": 1}), ("closed mouth", {"Mouth_Slightly_Open": -1}),
    # lists and sentences
    ("smiling, no glasses", {"Smiling": 1, "Eyeglasses": -1}),
    ("smiling and no glasses", {"Smiling": 1, "Eyeglasses": -1}),
    ("no glasses or hat", {"Eyeglasses": -1, "Wearing_Hat": -1}),
    ("no glasses, smiling", {"Eyeglasses": -1, "Smiling": 1}),
    ("a non-smiling woman", {"Smiling": -1, "Male": -1}),
    ("a young woman with wavy blond hair and no glasses",
     {"Male": -1, "Young": 1, "Blond_Hair": 1, "Eyeglasses": -1, **_other_hair("Blond_Hair")}),
    ("An old man with a grey beard, wearing glasses.", {"Male": 1, "Young": -1, "No_Beard": -1, "Eyeglasses": 1}),
    ("She is smiling but not wearing a hat", {"Smiling": 1, "Wearing_Hat": -1}),
    ("Make him smile", {"Smiling": 1}),
    ("the same, smiling", {"Smiling": 1}),
    ("SMILING!!! NO GLASSES", {"Smiling": 1, "Eyeglasses": -1}),
    ("Smiling,Eyeglasses", {"Smiling": 1, "Eyeglasses": 1}),
    ("a woman with lipstick and bangs who is slightly smiling",
     {"Male": -1, "Wearing_Lipstick": 1, "Bangs": 1, "Bald": -1, "Smiling": 0.5}),
    ("clean-shaven young man, no hat", {"No_Beard": 1, "Mustache": -1, "Young": 1, "Male": 1, "Wearing_Hat": -1}),
]


def _vector(expected):
    v = np.zeros(len(C), np.float32)
    for name, value in expected.items():
        v[C.index(name)] = value
    return v


def test_table_has_enough_phrasings():
    assert len(PHRASES) >= 60


@pytest.mark.parametrize("text,expected", PHRASES, ids=[p[0] for p in PHRASES])
def test_phrasing(text, expected):
    got = parse_text(text, C).vector
    np.testing.assert_allclose(got, _vector(expected), err_msg=f"{text!r}: {dict(zip(C, got))}")


@pytest.mark.parametrize("text", [
    "smiling, not smiling", "glasses and no glasses", "blond hair and black hair", "bald with bangs",
    "a beard, clean-shaven", "young and old", "a man, a woman", "mustache, clean-shaven",
])
def test_contradictions_are_errors(text):
    with pytest.raises(TextError, match="contradiction"):
        parse_text(text, C)


@pytest.mark.parametrize("text", ["", "   ", "hello there", "a photo of someone", "qwerty asdf", "wavy hair"])
def test_nothing_understood_lists_the_supported_attributes(text):
    with pytest.raises(TextError) as e:
        parse_text(text, C)
    assert "glasses / no glasses" in str(e.value) and "\n" not in str(e.value)


def test_report_names_ignored_and_unconditioned_words():
    p = parse_text("a smiling woman with wavy hair and purple eyes", C)
    report = p.report()
    assert "Smiling=+1" in report and "Wavy_Hair" in report
    assert p.ignored == ["purple", "eyes"]


def test_attrs_assignments_and_override():
    assert parse_assignments("Smiling=1, eyeglasses=-1", C) == {"Smiling": 1.0, "Eyeglasses": -1.0}
    vector, report, implied = request_vector("smiling", "Smiling=0.3,Young=-1", C)
    assert vector[C.index("Smiling")] == pytest.approx(0.3) and vector[C.index("Young")] == -1 and not implied
    # what the conflict rules set is implied, not asked for (transform warns only of what was asked)
    vector, _, implied = request_vector("gray hair", "Blond_Hair=1", C)
    assert vector[C.index("Blond_Hair")] == 1 and vector[C.index("Gray_Hair")] == -1
    assert {"Gray_Hair", "Black_Hair", "Brown_Hair"} <= implied and "Blond_Hair" not in implied
    for bad in ("Smiling", "Smiling=2", "Smiling=yes", "Smilling=1", "Attractive=1"):
        with pytest.raises(AttributeError_):
            parse_assignments(bad, C)
    with pytest.raises(TextError):
        request_vector(None, None, C)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_parser_never_crashes(text):
    try:
        p = parse_text(text, C)
    except TextError as e:
        assert str(e)
        return
    assert p.vector.shape == (len(C),) and np.all(np.abs(p.vector) <= 1)
    assert np.any(p.vector != 0)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["smiling", "glasses", "no", "not", "and", ",", "woman", "slightly",
                                 "blond", "hair", "beard", "or", "old", "hat", "very", "bald", "un"]),
                max_size=12))
def test_parser_never_crashes_on_word_soup(words):
    try:
        parse_text(" ".join(words), C)
    except TextError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([-1, 1]), min_size=len(C), max_size=len(C)))
def test_description_reads_back_to_the_same_attributes(signs):
    from makeover.attributes import apply_conflict_rules

    values = dict(zip(C, signs))
    hair_on = [h for h in (*HAIR, "Bald") if values[h] > 0]
    for h in hair_on[1:]:
        values[h] = -1
    if values["Bald"] > 0:
        values["Bangs"] = -1
    if values["Mustache"] > 0:
        values["No_Beard"] = -1
    vector = apply_conflict_rules(_vector(values), C)
    sentence = describe_attributes(dict(zip(C, vector)), full=True)
    np.testing.assert_array_equal(parse_text(sentence, C).vector, vector, err_msg=sentence)
