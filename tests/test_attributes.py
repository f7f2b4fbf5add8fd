import numpy as np
import pytest

from makeover.attributes import (CELEBA_ATTRIBUTES, DEFAULT_CONDITIONED, AttributeError_, Term,
                                 apply_conflict_rules, canonical_name, explain_empty_selection,
                                 parse_expression, select, terms_to_vector)


def test_expression_with_negation_and_case():
    assert parse_expression("Male,!Eyeglasses, !blurry") == (
        Term("Male", 1), Term("Eyeglasses", -1), Term("Blurry", -1))


@pytest.mark.parametrize("alias, expected", [("male", Term("Male", 1)), ("female", Term("Male", -1)),
                                             ("woman", Term("Male", -1)), ("MAN", Term("Male", 1))])
def test_aliases(alias, expected):
    assert parse_expression(alias) == (expected,)


def test_unknown_name_suggests_closest_and_lists_valid():
    with pytest.raises(AttributeError_, match="Did you mean 'Eyeglasses'.*Valid names: 5_o_Clock_Shadow"):
        canonical_name("eyeglases")


def test_empty_expression_is_an_error():
    with pytest.raises(AttributeError_):
        parse_expression(" , ")


def test_select_and_explain():
    names = ("Male", "Smiling")
    labels = np.array([[1, 1], [1, -1], [-1, 1]], np.int8)
    terms = parse_expression("Male,!Smiling", names)
    assert select(labels, terms, names).tolist() == [False, True, False]
    empty = parse_expression("!Male,!Smiling", names)
    assert not select(labels, empty, names).any()
    assert explain_empty_selection(labels, "!Male,!Smiling", empty, names) == (
        "expression '!Male,!Smiling' matches no image (each term alone: !Male: 1, !Smiling: 1)")


def test_vector_ignores_unconditioned_and_applies_rules():
    v = terms_to_vector(parse_expression("!Male,Attractive,Blond_Hair"), DEFAULT_CONDITIONED)
    k = DEFAULT_CONDITIONED.index
    assert v[k("Male")] == -1 and v[k("Blond_Hair")] == 1
    # one hair colour at a time: the others are switched off
    assert v[k("Black_Hair")] == v[k("Brown_Hair")] == v[k("Gray_Hair")] == -1
    assert v[k("Smiling")] == 0


def test_conflict_rules_bald_excludes_bangs():
    c = np.zeros(len(DEFAULT_CONDITIONED), np.float32)
    c[DEFAULT_CONDITIONED.index("Bald")] = 1
    out = apply_conflict_rules(c, DEFAULT_CONDITIONED)
    assert out[DEFAULT_CONDITIONED.index("Bangs")] == -1
    assert out[DEFAULT_CONDITIONED.index("Black_Hair")] == -1


def test_all_conditioned_are_celeba_names():
    assert set(DEFAULT_CONDITIONED) <= set(CELEBA_ATTRIBUTES)


def test_conflict_rules_are_the_same_in_the_graph_and_in_numpy():
    import tensorflow as tf

    from makeover.attributes import conflict_rules_on_columns

    rng = np.random.default_rng(0)
    batch = rng.choice([-1.0, 0.0, 1.0], size=(500, len(DEFAULT_CONDITIONED)), p=[0.4, 0.3, 0.3]).astype(np.float32)
    in_graph = tf.stack(conflict_rules_on_columns(tf.unstack(tf.constant(batch), axis=1), DEFAULT_CONDITIONED,
                                                  tf.where), axis=1).numpy()
    one_by_one = np.stack([apply_conflict_rules(row, DEFAULT_CONDITIONED) for row in batch])
    np.testing.assert_array_equal(in_graph, one_by_one)
    np.testing.assert_array_equal(apply_conflict_rules(batch, DEFAULT_CONDITIONED), one_by_one)
    hair = [DEFAULT_CONDITIONED.index(a) for a in ("Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair", "Bald")]
    assert ((one_by_one[:, hair] > 0).sum(axis=1) <= 1).all()
