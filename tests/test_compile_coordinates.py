"""digit_hashes: every region token's digit groups read exactly psi(d_r) = phi(1/(d_r + 1)) of the
base-B digits of its rank, and fixed:p gives the same tie sets as exact once p is large enough.

The expected readings are computed here from scratch: digits by integer division, phi(z) =
(z, 1, -z, -1)/sqrt(2 z^2 + 2) as square-root field numbers, and the layer-norm reading of the four
traced cells by centring and dividing by the exact norm.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from expressivity import ModelError, Padding, run
from expressivity.compile.coordinates import digit_hashes
from expressivity.compile.gadgets import spin_cells
from expressivity.compile.program import Program
from expressivity.numbers.sqrtfield import SqrtNumber
from proofs_as_code.padding_coordinates import check


def layer_norm_reading(cells: list[SqrtNumber]) -> list[SqrtNumber]:
    """N(x) = (x - mean x)/||x - mean x||, N(0) = 0, for cells whose values are rational."""
    values = [cell.rational() for cell in cells]
    mean = sum(values) / len(values)
    centred = [v - mean for v in values]
    squared = sum(v * v for v in centred)
    if squared == 0:
        return [SqrtNumber(0)] * len(cells)
    inverse_norm = SqrtNumber.sqrt_of(1 / squared)
    return [SqrtNumber(v) * inverse_norm for v in centred]


def phi(d: int) -> list[SqrtNumber]:
    """psi(d) = phi(1/(d + 1)): the reading of the key (1/(d+1), 1, -1/(d+1), -1)."""
    z = Fraction(1, d + 1)
    scale = SqrtNumber.sqrt_of(1 / (2 * z * z + 2))
    return [SqrtNumber(z) * scale, scale, SqrtNumber(-z) * scale, -scale]


def true_digits(value: int, base: int, digits: int) -> list[int]:
    """value = sum_r d_r base^(digits-1-r), 0 <= d_r < base for r >= 1, most significant first."""
    low = []
    for _ in range(digits - 1):
        value, digit = divmod(value, base) if base > 1 else (value, 0)
        low.append(digit)
    return [value, *reversed(low)]


def build(
    alphabet: str,
    region_kinds: tuple[str, ...],
    base_kinds: tuple[str, ...],
    digits: int,
    padding: Padding,
    phases: int | None = None,
):
    program = Program(alphabet)
    region, base = program.group("region", 4), program.group("base", 4)
    program.set_all({**spin_cells(region, 0), **spin_cells(base, 0)})
    for kind in region_kinds:
        program.set(kind, spin_cells(region, 1))
    for kind in base_kinds:
        program.set(kind, spin_cells(base, 1))
    layers, groups = digit_hashes(program, "coord", region=region, digits=digits, base=base, phases=phases)
    return program.model(prefix=layers, padding=padding), groups


def check_run(model, groups, word: str, region_kinds: tuple[str, ...], base_kinds: tuple[str, ...]) -> int:
    """Runs exactly and compares every region token's readings with phi(true digits); returns the
    number of region tokens checked."""
    trace = run(model, word, record=False)
    columns = [[trace.column(cell) for cell in group] for group in groups]
    base_size = sum(kind in base_kinds for kind in trace.tokens)
    rank = 0
    for position, kind in enumerate(trace.tokens):
        if kind not in region_kinds:
            continue
        rank += 1
        for r, (group, d) in enumerate(
            zip(columns, true_digits(rank - 1, base_size, len(groups)), strict=True)
        ):
            got = layer_norm_reading([column[position] for column in group])
            assert got == phi(d), f"position {position} (rank {rank}) digit {r}: expected psi({d})"
    return rank


@pytest.mark.parametrize(("digits", "max_n"), [(1, 12), (2, 9), (3, 6)])
def test_padding_coordinates(digits: int, max_n: int) -> None:
    model, groups = build("ab", ("PAD",), ("a", "b"), digits, Padding([0] * digits + [1]))

    @settings(max_examples=15)
    @given(st.text("ab", min_size=1, max_size=max_n))
    def check(word: str) -> None:
        assert check_run(model, groups, word, ("PAD",), ("a", "b")) == len(word) ** digits

    check()


@settings(max_examples=25)
@given(
    prefix=st.text("ab", min_size=0, max_size=5),
    body=st.text("rx", min_size=0, max_size=30),
    padding=st.integers(0, 3),
    digits=st.integers(1, 4),
)
def test_region_that_is_not_the_padding(prefix: str, body: str, padding: int, digits: int) -> None:
    """Region = the 'r' tokens interleaved with non-region 'x' tokens (and followed by padding); base =
    the 'a' tokens only, a subset of the input kinds ('b' is neither). Needs at least one base token.
    Up to 30 region tokens: with phases = 4 the construction covers 2^5 = 32 >= 30 region tokens for
    every B >= 2 (B = 1 needs no phase), so the top digit may exceed B."""
    model, groups = build("abrx", ("r",), ("a",), digits, Padding([padding]), phases=max(digits - 1, 4))
    check_run(model, groups, "a" + prefix + body, ("r",), ("a",))


def test_named_example_base_three() -> None:
    """Three base tokens, 27 padding tokens: rank 23 has c - 1 = 22 = 2*9 + 1*3 + 1."""
    model, groups = build("ab", ("PAD",), ("a", "b"), 3, Padding([0, 0, 0, 1]))
    trace = run(model, "aba", record=False)
    position = 1 + 3 + 22
    readings = [layer_norm_reading([trace.value(position, cell) for cell in group]) for group in groups]
    assert readings == [phi(2), phi(1), phi(1)]
    assert len(model.prefix) == 7


def test_bad_arguments_are_named() -> None:
    program = Program("ab")
    region, base = program.group("region", 4), program.group("base", 4)
    with pytest.raises(ModelError, match="digits must be a positive integer"):
        digit_hashes(program, "c", region=region, digits=0, base=base)
    with pytest.raises(ModelError, match="need a base group"):
        digit_hashes(program, "c", region=region, digits=2)
    with pytest.raises(ModelError, match="region must be a 4-cell spin group"):
        digit_hashes(program, "c", region=region[:2], digits=1)
    program.set("BOS", spin_cells(region, 1))
    with pytest.raises(ModelError, match="BOS must not be a region token"):
        digit_hashes(program, "c", region=region, digits=1)


def test_proof_module_check() -> None:
    facts = check(max_n=5, k=2)
    assert facts["padding_tokens_checked"] == sum(n * n for n in range(1, 6))
    assert facts["digit_mismatches"] == 0
    assert facts["layers"] == 4
    assert facts["looks_back_only"]
    assert 0 < facts["smallest_gap"] < 1
