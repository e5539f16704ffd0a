"""The hash-join path of the exact backend (docs/backends.md): keys of equal norm, tie set by hashing.

Keys are layer-norm hashes phi(b_j) = N(b_j, 1, -b_j, -1), all of norm 1; queries are phi(a_i) scaled by
positive rationals (which moves no tie). By the hash lemma the tie set of a query whose value occurs
among the visible keys is {j visible : b_j = a_i}; that expectation is written from the values alone.
Queries whose value does not occur fall back to exact comparison, which must agree with the path that
never tries the join.
"""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from expressivity.backends import exact_ties
from expressivity.backends.base import visible_range
from expressivity.backends.exact_ties import equal_row_classes, tie_sets
from expressivity.numbers import RadicalArray
from expressivity.numbers.sqrtfield import SqrtNumber


def hashes(values: list[int], scales: list[Fraction] | None = None) -> RadicalArray:
    scales = scales or [Fraction(1)] * len(values)
    rows = [[s * v, s, -s * v, -s] for v, s in zip(values, scales, strict=True)]
    return RadicalArray.from_fractions(rows).normalise()


MASKS = st.sampled_from(["causal", "strict", "unmasked"])


@given(
    keys=st.lists(st.integers(0, 3), min_size=1, max_size=24),
    data=st.data(),
    mask=MASKS,
)
def test_join_finds_exactly_the_equal_keys(keys, data, mask):
    size = len(keys)
    queries = data.draw(st.lists(st.integers(0, 5), min_size=size, max_size=size))
    scales = data.draw(
        st.lists(st.sampled_from([Fraction(1), Fraction(1, 3), Fraction(5, 2)]), min_size=size, max_size=size)
    )
    q, k = hashes(queries, scales), hashes(keys)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(exact_ties, "_CS_MIN_CANDIDATES", 0)  # try Cauchy-Schwarz on every group
        joined = tie_sets(q, k, mask, hash_join=True)
    plain = tie_sets(q, k, mask, hash_join=False)
    for i in range(size):
        visible = range(visible_range(mask, i, size))
        matches = [j for j in visible if keys[j] == queries[i]]
        if matches:
            assert joined.of(i).tolist() == matches
        assert joined.of(i).tolist() == plain.of(i).tolist()


def test_a_large_tie_set_is_found_whole():
    keys = [0, 1, 2] * 40
    q, k = hashes([1] * len(keys)), hashes(keys)
    ties = tie_sets(q, k, "unmasked", hash_join=True)
    expected = [j for j, b in enumerate(keys) if b == 1]
    assert all(ties.of(i).tolist() == expected for i in range(len(keys)))


def test_keys_of_different_norms_are_not_joined():
    # Key 1 is twice key 0 (same direction, norm 2 against 1): the query along both directions scores
    # 2 on key 1 and 1 on key 0, so key 1 alone wins; equality of vectors would wrongly tie nothing.
    k = RadicalArray.from_fractions([[1, 0], [2, 0], [0, 1]])
    q = RadicalArray.from_fractions([[1, 0]] * 3)
    ties = tie_sets(q, k, "unmasked", hash_join=True)
    assert [ties.of(i).tolist() for i in range(3)] == [[1], [1], [1]]


def test_equal_row_classes_group_exactly_equal_vectors():
    x = RadicalArray.from_fractions([[1, 2], [Fraction(2, 2), 2], [1, 3], [2, 4]])
    classes = equal_row_classes(x)
    assert classes[0] == classes[1]
    assert len({classes[0], classes[2], classes[3]}) == 3
    normalised = RadicalArray.from_fractions([[3, 1, -3, -1], [6, 2, -6, -2], [1, 1, -1, -1]]).normalise()
    classes = equal_row_classes(normalised)
    assert classes[0] == classes[1] != classes[2]


def test_equal_scores_from_different_keys_fall_back_to_exact_comparison():
    # Keys of norm 1 in two directions, both at score 3/5 from the query (1, 0), which points along
    # neither: Cauchy-Schwarz is not attained, so the join must not answer; the tie set holds both.
    third = Fraction(3, 5)
    k = RadicalArray.from_fractions([[third, Fraction(4, 5)], [third, Fraction(-4, 5)], [0, 1]])
    q = RadicalArray.from_fractions([[1, 0]] * 3)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(exact_ties, "_CS_MIN_CANDIDATES", 0)
        ties = tie_sets(q, k, "unmasked", hash_join=True)
    assert [ties.of(i).tolist() for i in range(3)] == [[0, 1]] * 3


@given(keys=st.lists(st.integers(0, 4), min_size=1, max_size=30), data=st.data(), mask=MASKS)
def test_lookup_of_rational_unit_ids_matches_the_dense_path(keys, data, mask):
    """Rational unit ids (the circuit compiler's keys) take the vectorised class lookup; queries that
    match no visible key (absent ids, or only later keys under a causal mask) go to the dense path."""
    from expressivity.compile.gadgets import unit_id

    size = len(keys)
    queries = data.draw(st.lists(st.integers(0, 6), min_size=size, max_size=size))
    q = RadicalArray.from_fractions([unit_id(v) for v in queries])
    k = RadicalArray.from_fractions([unit_id(v) for v in keys])
    looked_up, plain = tie_sets(q, k, mask, hash_join=True), tie_sets(q, k, mask, hash_join=False)
    for i in range(size):
        matches = [j for j in range(visible_range(mask, i, size)) if keys[j] == queries[i]]
        if matches:
            assert looked_up.of(i).tolist() == matches
        assert looked_up.of(i).tolist() == plain.of(i).tolist()


@given(
    keys=st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=1, max_size=24),
    data=st.data(),
    mask=MASKS,
)
def test_lookup_with_shorter_keys_matches_the_dense_path(keys, data, mask):
    """Zero keys (a BOS that reads 0) and keys of half norm may sit among the unit keys: a query equal
    to a unit key still ties exactly with the equal keys, since no shorter key can reach c^2."""
    from expressivity.compile.gadgets import unit_id

    def row(v):
        if v is None:
            return [0, 0, 0, 0]
        return list(unit_id(v)) if v % 2 == 0 or v < 2 else [x / 2 for x in unit_id(v)]

    size = len(keys)
    queries = data.draw(st.lists(st.integers(0, 4), min_size=size, max_size=size))
    q = RadicalArray.from_fractions([unit_id(v) for v in queries])
    k = RadicalArray.from_fractions([row(v) for v in keys])
    looked_up, plain = tie_sets(q, k, mask, hash_join=True), tie_sets(q, k, mask, hash_join=False)
    for i in range(size):
        assert looked_up.of(i).tolist() == plain.of(i).tolist()


@given(st.lists(st.tuples(st.integers(-3, 3), st.integers(1, 4), st.sampled_from([1, 2, 3, 6])), max_size=12))
def test_equal_row_classes_agree_with_exact_equality(entries):
    """Rows a/b + c/b sqrt(r) built in different slot orders and scales: same class iff equal."""
    rows = [[SqrtNumber({1: Fraction(a, b), r: Fraction(1, b)})] for a, b, r in entries] + [
        [SqrtNumber({r: Fraction(1, b), 1: Fraction(a, b)})] for a, b, r in reversed(entries)
    ]
    x = RadicalArray.from_scalars(rows)
    classes = equal_row_classes(x)
    values = [row[0] for row in rows]
    for i in range(len(rows)):
        for j in range(len(rows)):
            assert (classes[i] == classes[j]) == (values[i] == values[j])
