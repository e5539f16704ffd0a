"""The gadgets of expressivity.compile.gadgets, each on a small hand-built model whose tokens are extra
kinds in the tail with embedded values, independent of any compiler.

Expected values are computed here from the definitions: spins b - 1/2, counts over prefixes, phi(d) =
(d, 1, -d, -1)/sqrt(2 d^2 + 2), means over the tokens whose keys equal the query.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from itertools import product

from hypothesis import given, settings
from hypothesis import strategies as st

from expressivity import Layer, Model, run
from expressivity.compile.coordinates import key_cells
from expressivity.compile.formula.quantifiers import threshold
from expressivity.compile.gadgets import (
    Axis,
    decision_ffn,
    join_head,
    linear_ffn,
    match_head,
    spin_cells,
    spin_writes,
    table_ffn,
    uniform_head,
    unit_id_cells,
    zero_digit_ffn,
)
from expressivity.compile.program import Group, Program
from expressivity.logic import AtLeast, Exists, Forall, Majority, PairMajority, parse
from expressivity.numbers.sqrtfield import SqrtNumber

HALF = Fraction(1, 2)


def tail_model(program: Program, rows: Sequence[dict[str, Fraction]], layers: Sequence[Layer]) -> Model:
    """Token i of the tail (position i + 1, after BOS) is a kind of its own embedding rows[i]."""
    tail = []
    for index, row in enumerate(rows):
        kind = f"t{index}"
        program.add_kind(kind)
        program.set(kind, row)
        tail.append(kind)
    return program.model(prefix=layers, tail=tail)


def values_at(model: Model, label: str, backend: str = "exact") -> list:
    """The values of `label` at the tail tokens after the run (BOS dropped)."""
    return run(model, "", backend, record=False).column(label)[1:]


def hash_cells(group: Group, d: int) -> dict[str, Fraction]:
    """(d, 1, -d, -1): its layer-norm reading is phi(d)."""
    return dict(zip(group, (Fraction(d), Fraction(1), Fraction(-d), Fraction(-1)), strict=True))


def phi(d: int) -> list[SqrtNumber]:
    scale = SqrtNumber.sqrt_of(Fraction(1, 2 * d * d + 2))
    return [SqrtNumber(d) * scale, scale, SqrtNumber(-d) * scale, -scale]


@given(st.lists(st.booleans(), min_size=1, max_size=8))
def test_spin_group_reads_itself_and_linear_ffn_copies_and_negates(bits: list[bool]) -> None:
    program = Program("a")
    spin, out = program.group("spin", 4), program.group("out", 2)
    ffn = linear_ffn("copy", [spin], {out[0]: {spin[0]: 1}, out[1]: {spin[2]: -3}})
    model = tail_model(program, [spin_cells(spin, b) for b in bits], [Layer(ffns=[ffn])])
    s = [Fraction(b) - HALF for b in bits]
    assert values_at(model, out[0]) == s
    assert values_at(model, out[1]) == [3 * x for x in s]  # the third cell reads -s, times -3


@settings(max_examples=20)
@given(st.lists(st.integers(0, 1), min_size=8, max_size=8))
def test_table_ffn_is_any_function_of_three_bits(outputs: list[int]) -> None:
    program = Program("a")
    groups = [program.group(f"b{r}", 4) for r in range(3)]
    out = program.cell("out")
    patterns = list(product((0, 1), repeat=3))
    table = dict(zip(patterns, outputs, strict=True))
    ffn = table_ffn("f", groups, lambda bits: {out: table[bits]}, [out])
    rows = [
        {k: v for g, b in zip(groups, p, strict=True) for k, v in spin_cells(g, b).items()} for p in patterns
    ]
    model = tail_model(program, rows, [Layer(ffns=[ffn])])
    assert values_at(model, out) == outputs


@given(st.lists(st.booleans(), min_size=1, max_size=10), st.sampled_from(["causal", "unmasked", "strict"]))
def test_uniform_head_means_an_indicator(bits: list[bool], mask: str) -> None:
    program = Program("a")
    flag, out = program.group("flag", 4), program.cell("out")
    program.set_all(spin_cells(flag, 0))
    model = tail_model(
        program, [spin_cells(flag, b) for b in bits], [Layer([uniform_head("u", flag, {out: 1}, mask)])]
    )
    got = values_at(model, out)
    everything = [False, *bits]  # BOS holds bit 0
    for i, value in enumerate(got, start=1):
        visible = {"causal": everything[: i + 1], "strict": everything[:i], "unmasked": everything}[mask]
        assert value == Fraction(sum(visible), len(visible)) - HALF


@given(st.permutations(range(6)), st.lists(st.booleans(), min_size=6, max_size=6))
def test_match_head_with_unit_ids_retrieves_the_matching_token(order: list[int], bits: list[bool]) -> None:
    program = Program("a")
    query, key, bit, out = (program.group(name, 4) for name in ("query", "key", "bit", "out"))
    rows = [
        {**unit_id_cells(query, order[j]), **unit_id_cells(key, j), **spin_cells(bit, b)}
        for j, b in enumerate(bits)
    ]
    program.set("BOS", unit_id_cells(key, 99))
    head = match_head("m", query, key, spin_writes(out, {bit[0]: 1}), reads=[bit])
    model = tail_model(program, rows, [Layer([head])])
    assert values_at(model, out[0]) == [Fraction(bits[order[j]]) - HALF for j in range(6)]


@given(
    st.lists(st.tuples(st.integers(0, 5), st.booleans()), min_size=1, max_size=8),
    st.data(),
)
def test_match_head_with_hashes_averages_over_equal_keys(tokens: list[tuple[int, bool]], data) -> None:
    """Keys phi(d_j) may repeat: the tie set is every token whose key equals the query phi(e_i)."""
    keys = [d for d, _ in tokens]
    queries = [data.draw(st.sampled_from(keys)) for _ in tokens]
    program = Program("a")
    query, key, bit, out = (program.group(name, 4) for name in ("query", "key", "bit", "out"))
    rows = [
        {**hash_cells(query, e), **hash_cells(key, d), **spin_cells(bit, b)}
        for (d, b), e in zip(tokens, queries, strict=True)
    ]
    head = match_head("m", query, key, spin_writes(out, {bit[0]: 1}), reads=[bit])
    model = tail_model(program, rows, [Layer([head])])
    for value, e in zip(values_at(model, out[0]), queries, strict=True):
        tie = [b for d, b in tokens if d == e]
        assert value == Fraction(sum(tie), len(tie)) - HALF


@settings(max_examples=30)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.booleans()), min_size=1, max_size=10))
def test_join_head_ties_on_every_pair_and_restricts_to_a_kind(tokens: list[tuple[int, int, bool]]) -> None:
    """Keys (phi(a), phi(b), kind spin): the tie set of a kind-1 token is the kind-1 tokens with the
    same (a, b); BOS (kind 0, hashes reading 0) never joins them."""
    program = Program("a")
    first, second, kind, bit, out = (program.group(n, 4) for n in ("first", "second", "kind", "bit", "out"))
    program.set_all(spin_cells(kind, 0))
    rows = [
        {**hash_cells(first, a), **hash_cells(second, b), **spin_cells(kind, 1), **spin_cells(bit, a < b)}
        for a, b, _ in tokens
    ]
    rows += [{**hash_cells(first, a), **hash_cells(second, b), **spin_cells(bit, c)} for a, b, c in tokens]
    head = join_head(
        "j", [(first, first), (second, second), (kind, kind)], spin_writes(out, {bit[0]: 1}), [bit]
    )
    model = tail_model(program, rows, [Layer([head])])
    got = values_at(model, out[0])
    for index, (a, b, _) in enumerate(tokens):
        assert got[index] == Fraction(a < b) - HALF  # only kind-1 twins, which all hold bit a < b


def axes_and_rows(program: Program):
    """A spin axis, an order axis and a one-hot axis with a default, and one token per value pattern."""
    spin, order = program.group("spin", 4), program.group("order", 4)
    letters = {symbol: program.group(f"is({symbol})", 4) for symbol in "ab"}
    axes = [Axis.spin(spin), Axis.order(order), Axis.one_hot(letters, other="other")]
    patterns = list(product(*(axis.values for axis in axes)))
    rows = []
    for bit, sign, letter in patterns:
        row = spin_cells(spin, bit)
        row.update(zip(order, (Fraction(sign), Fraction(sign), Fraction(0), Fraction(0)), strict=True))
        for symbol, group in letters.items():
            row.update(spin_cells(group, symbol == letter))
        rows.append(row)
    return axes, patterns, rows


@settings(max_examples=25)
@given(st.lists(st.integers(-2, 2), min_size=18, max_size=18))
def test_decision_ffn_is_any_function_of_mixed_axes(outputs: list[int]) -> None:
    program = Program("a")
    axes, patterns, rows = axes_and_rows(program)
    out = program.cell("out")
    table = dict(zip(patterns, outputs, strict=True))
    ffn = decision_ffn("d", axes, lambda values: {out: table[values]}, [out])
    model = tail_model(program, rows, [Layer(ffns=[ffn])])
    assert values_at(model, out) == outputs


def test_decision_ffn_named_example_equality_of_positions() -> None:
    """[x = y] from an order group needs no detector of 0: 1 - [<] - [>]; two units and a constant."""
    program = Program("a")
    order, out = program.group("order", 4), program.cell("out")
    ffn = decision_ffn("eq", [Axis.order(order)], lambda values: {out: int(values[0] == 0)}, [out])
    rows = [
        dict(zip(order, (Fraction(x), Fraction(x), Fraction(y), Fraction(y)), strict=True))
        for x, y in [(1, 2), (2, 2), (3, 2)]
    ]
    assert values_at(tail_model(program, rows, [Layer(ffns=[ffn])]), out) == [0, 1, 0]
    assert len(ffn.w1) == 3


def test_zero_digit_ffn_thresholds_a_key_exactly() -> None:
    """Digit d is stored as the key (1/(d+1), 1, -1/(d+1), -1): the FFN flags d = 0 (and only there)
    at gated tokens, on the exact backend and under fixed:p."""
    program = Program("a")
    digit, gate, out = program.group("digit", 4), program.group("gate", 4), program.group("zero", 4)
    program.set_all({**spin_cells(out, 0), **spin_cells(gate, 0)})
    rows = [
        {**key_cells(digit, Fraction(1, d + 1)), **spin_cells(gate, g)} for d in range(30) for g in (0, 1)
    ]
    model = tail_model(program, rows, [Layer(ffns=[zero_digit_ffn("z", digit, gate, out)])])
    expected = [Fraction(d == 0 and g == 1) - HALF for d in range(30) for g in (0, 1)]
    assert values_at(model, out[0]) == expected
    assert values_at(model, out[0], "fixed:24") == expected


QUANTIFIERS = [
    parse("exists y. Q_a(y)"),
    parse("forall y. Q_a(y)"),
    parse("M y. Q_a(y)"),
    parse("exists>=2 y. Q_a(y)"),
    parse("M2 x y. Q_a(y)"),
]


def counting_model(n: int, bits: dict[tuple[int, int], bool], quantifier) -> tuple[Model, Group]:
    """Assignment tokens (x, y) in [n]^2 (tail kinds) with key hashes and a body bit; one counting head
    joined on the digits the quantifier leaves free, averaging the body and the zero-digit indicator into
    the comparison group of `threshold`."""
    program = Program("a")
    keys = {v: program.group(f"key({v})", 4) for v in "xy"}
    pad, body, zero, group = (program.group(name, 4) for name in ("pad", "body", "zero", "count"))
    program.set_all(spin_cells(pad, 0))
    bound = set(quantifier.bound)
    rows = []
    for x, y in product(range(n), repeat=2):
        zero_bit = all(v == 0 for name, v in (("x", x), ("y", y)) if name in bound)
        row = {**hash_cells(keys["x"], x), **hash_cells(keys["y"], y), **spin_cells(pad, 1)}
        rows.append({**row, **spin_cells(body, bits[(x, y)]), **spin_cells(zero, zero_bit)})
    theta, kappa = threshold(quantifier)
    program.set_all(dict(zip(group, (HALF - kappa, HALF - kappa, theta / 2, theta / 2), strict=True)))
    pairs = [(keys[v], keys[v]) for v in "xy" if v not in bound] + [(pad, pad)]
    values = {
        group[0]: {body[0]: 1},
        group[1]: {body[0]: 1},
        group[2]: {zero[0]: theta},
        group[3]: {zero[0]: theta},
    }
    head = join_head("count", pairs, values, reads=[body, zero])
    return tail_model(program, rows, [Layer([head])]), group


@settings(max_examples=30)
@given(st.integers(1, 4), st.sampled_from(QUANTIFIERS), st.data())
def test_counting_head_decides_every_quantifier_kind(n: int, quantifier, data) -> None:
    bits = {cell: data.draw(st.booleans()) for cell in product(range(n), repeat=2)}
    model, group = counting_model(n, bits, quantifier)
    trace = run(model, "", record=False)
    for index, (x, _) in enumerate(product(range(n), repeat=2)):
        difference = trace.value(index + 1, group[0]) - trace.value(index + 1, group[2])
        if isinstance(quantifier, PairMajority):
            count, m = sum(bits.values()), n * n
        else:
            count, m = sum(bits[(x, other)] for other in range(n)), n
        truth = {
            Exists: count >= 1,
            Forall: count == m,
            Majority: 2 * count > m,
            PairMajority: 2 * count > m,
        }.get(type(quantifier), isinstance(quantifier, AtLeast) and count >= quantifier.t)
        assert difference != 0
        assert (difference > 0) == truth


@settings(max_examples=15)
@given(st.integers(1, 5))
def test_rank_head_counts_the_digit(n: int) -> None:
    """Causal join on x with the zero(y) spin: the mean over the d_y + 1 tokens (x, 0..d_y) is
    1/(d_y + 1) - 1/2, the rank behind the order comparisons."""
    program = Program("a")
    key, pad, zero, out = (program.group(name, 4) for name in ("key", "pad", "zero", "out"))
    program.set_all({**spin_cells(pad, 0), **spin_cells(zero, 0)})
    rows = [
        {**hash_cells(key, x), **spin_cells(pad, 1), **spin_cells(zero, y == 0)}
        for x, y in product(range(n), repeat=2)
    ]
    head = join_head("rank", [(key, key), (pad, pad)], {out[0]: {zero[0]: 1}}, reads=[zero], mask="causal")
    got = values_at(tail_model(program, rows, [Layer([head])]), out[0])
    assert got == [Fraction(1, y + 1) - HALF for _, y in product(range(n), repeat=2)]
