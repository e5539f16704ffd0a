"""The proofs_as_code modules of the formula route: each check() measures its statement exactly and
reports no violation."""

from __future__ import annotations

from proofs_as_code import counting, hash_equality, theorem1_padding


def test_hash_equality_lemma() -> None:
    facts = hash_equality.check(max_value=20)
    assert facts["pairs"] == 21 * 21
    assert facts["dot_above_one"] == 0
    assert facts["equality_iff_equal_failures"] == 0
    assert facts["gap_bound_violations"] == 0
    assert facts["tie_set_mismatches"] == 0
    assert facts["smallest_gap_times_2i4"] >= 1  # the bound 1/(2 i^4) holds for i >= 2
    assert 0.25 < facts["gap_at_1"] < 0.5  # ... and fails at i = 1, as the docstring says


def test_counting_lemma() -> None:
    facts = counting.check(max_length=4)
    assert facts["positions_checked"] == sum(2**n * (n + 1) for n in range(5)) * 2
    assert facts["mismatches"] == 0


def test_theorem1_lower_bound_on_library_sentences() -> None:
    facts = theorem1_padding.check(names=("majority", "most_pairs_touch_a"), max_length=2)
    assert facts["disagreements"] == 0
    assert len(facts["models"]) == 4
    for row in facts["models"]:
        assert row["words_checked"] == 7
        assert row["padding_is_copies_times_n_to_k"]
