"""Tie sets searched and stored over key classes (`exact_ties.tie_sets`, `exact_means.tie_means`) against a
brute force that lives here: every score q_i . k_j as a `SqrtNumber`, the argmax set by exact comparison
of scalars, the mean as a scalar sum divided by the count.

Keys and queries are drawn from a small pool of vectors (so classes repeat, as a padded model's keys
do), including the zero vector, scaled copies (Cauchy-Schwarz is attained by the longer key only),
irrational entries and entries of very different sizes; masks and batched blocks are all tried.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from expressivity.backends.base import visible_range
from expressivity.backends.exact_means import tie_means
from expressivity.backends.exact_ties import tie_sets
from expressivity.numbers import RadicalArray
from expressivity.numbers.sqrtfield import SqrtNumber

MASKS = st.sampled_from(["causal", "strict", "unmasked"])
ENTRIES = st.one_of(
    st.sampled_from([Fraction(0), Fraction(1), Fraction(-1), Fraction(1, 2), Fraction(3, 7)]),
    st.fractions(min_value=-3, max_value=3, max_denominator=9),
    st.sampled_from([{2: Fraction(1)}, {3: Fraction(-1, 2)}, {1: Fraction(1), 2: Fraction(1)}]),
    st.sampled_from([Fraction(1, 10**40), Fraction(10**30)]),
)


def vector_pool(dim: int):
    vector = st.lists(ENTRIES.map(SqrtNumber), min_size=dim, max_size=dim)
    return st.lists(vector, min_size=1, max_size=5).map(
        lambda pool: [*pool, [SqrtNumber(0)] * dim, [x * SqrtNumber(2) for x in pool[0]]]
    )


@st.composite
def heads(draw):
    dim = draw(st.integers(1, 3))
    words = draw(st.integers(1, 3))
    size = draw(st.integers(1, 9))
    pool = draw(vector_pool(dim))
    picks = st.lists(st.integers(0, len(pool) - 1), min_size=size * words, max_size=size * words)
    q = [pool[i] for i in draw(picks)]
    k = [pool[i] for i in draw(picks)]
    v = [[SqrtNumber(draw(ENTRIES))] for _ in range(size * words)]
    return q, k, v, size, words, draw(MASKS)


def dot(a: list[SqrtNumber], b: list[SqrtNumber]) -> SqrtNumber:
    total = SqrtNumber(0)
    for x, y in zip(a, b, strict=True):
        total = total + x * y
    return total


def brute_ties(q, k, mask: str, size: int) -> list[list[int]]:
    out = []
    for i in range(len(q)):
        start = (i // size) * size
        visible = [start + j for j in range(visible_range(mask, i - start, size))]
        scores = {j: dot(q[i], k[j]) for j in visible}
        best = None
        for score in scores.values():
            best = score if best is None or score > best else best
        out.append([j for j in visible if scores[j] == best])
    return out


@settings(max_examples=120, deadline=None)
@given(heads())
def test_class_tie_sets_and_means_equal_the_brute_force(head):
    q, k, v, size, words, mask = head
    block = size if words > 1 else None
    expected = brute_ties(q, k, mask, size)
    for hash_join in (True, False):
        ties = tie_sets(RadicalArray.from_scalars(q), RadicalArray.from_scalars(k), mask, hash_join, block)
        assert ties.as_lists() == expected
        assert ties.sizes().tolist() == [len(t) for t in expected]
        csr = [ties.indices[ties.indptr[i] : ties.indptr[i + 1]].tolist() for i in range(len(q))]
        assert csr == expected
    means = tie_means(RadicalArray.from_scalars(v), ties)
    for i, members in enumerate(expected):
        total = SqrtNumber(0)
        for j in members:
            total = total + v[j][0]
        want = total * SqrtNumber(Fraction(1, len(members))) if members else SqrtNumber(0)
        assert means.entry(i, 0) == want


@settings(max_examples=60, deadline=None)
@given(heads(), st.integers(1, 3))
def test_repeated_tie_sets_are_the_tie_sets_of_every_word(head, copies):
    q, k, _, size, _, mask = head
    q, k = q[:size], k[:size]
    one = tie_sets(RadicalArray.from_scalars(q), RadicalArray.from_scalars(k), mask)
    stacked = tie_sets(
        RadicalArray.from_scalars(q * copies), RadicalArray.from_scalars(k * copies), mask, block=size
    )
    assert one.repeated(copies).as_lists() == stacked.as_lists()
    for b in range(copies):
        assert stacked.part(b * size, size).as_lists() == one.as_lists()


def test_a_query_sees_only_the_rows_asked_for():
    k = RadicalArray.from_fractions([[1], [3], [2], [3]])
    q = RadicalArray.from_fractions([[1]] * 4)
    ties = tie_sets(q, k, "causal", rows=np.array([2, 3]))
    assert ties.as_lists() == [[], [], [1], [1, 3]]


def test_a_long_tie_set_is_stored_as_classes_not_positions():
    # 4000 positions, two key values: every causal tie set holds O(N) positions, the storage O(N).
    size = 4000
    k = RadicalArray.from_fractions([[i % 2] for i in range(size)])
    q = RadicalArray.from_fractions([[1]] * size)
    v = RadicalArray.from_fractions([[i] for i in range(size)])
    ties = tie_sets(q, k, "causal")
    assert len(ties.chosen) == size  # one class per row: key 1, or key 0 at row 0
    assert ties.sizes()[-1] == size // 2
    means = tie_means(v, ties)
    last_odd = size - 1
    assert means.entry(size - 1, 0) == SqrtNumber(Fraction(sum(range(1, last_odd + 1, 2)), size // 2))
