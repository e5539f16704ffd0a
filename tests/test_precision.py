"""The fixed:p backend (p bits per scalar, floor(p/2) fractional) and the precision audit (every tie set
and every output, over a window of precisions), on hand-built models whose needs are derived by hand."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from expressivity import FFN, Head, Layer, Model, Padding, Simulator, View
from expressivity.backends import FixedBackend, SimulationError, get_backend
from expressivity.examples import majority_model
from expressivity.precision import (
    WINDOW,
    Audit,
    audit_words,
    compare,
    fitted_constant,
    precision_table,
    smallest_precision,
    worst_case_words,
)


def inverse_length_model(pad: int = 0) -> Model:
    """Accepts every word over {a}, by the sign of 1/N at the last position.

    A uniform causal head reads the one-cell RMS group (bos), which reads 1 at BOS and 0 elsewhere, and
    writes the mean over all N positions, 1/N, into `share`; the readout scores accept = share and
    reject = 0 (an exact tie goes to reject). Exactly, 1/N > 0: accept.
    """
    return Model(
        alphabet="a",
        labels=["bos", "share"],
        embedding={"BOS": {"bos": 1}},
        prefix=[
            Layer(
                heads=[
                    Head(
                        "mean",
                        View([["bos"]], norm="rms"),
                        query=[[0]],
                        key=[[0]],
                        value=[[1]],
                        writes=["share"],
                    )
                ]
            )
        ],
        padding=Padding([pad]),
        unembedding=[{}, {"share": 1}],
        name="inverse-length",
    )


def hand_derived_p0(positions: int) -> int:
    """For `inverse_length_model`: with f = floor(p/2) fractional bits the mean is floor(2^f/N + 1/2)
    units, >= 1 iff 2^(f+1) >= N, i.e. f >= F = max(0, ceil(log2 N) - 1); the value 1 (BOS, the reading)
    must fit below 2^(p-1-f), i.e. p >= 3. Every larger p keeps both, so p0 = max(3, 2F)."""
    needed = max(0, (positions - 1).bit_length() - 1)
    return max(3, 2 * needed)


@settings(max_examples=30)
@given(st.integers(0, 200), st.integers(0, 100))
def test_hand_built_model_needs_the_derived_precision(n: int, pad: int) -> None:
    model = inverse_length_model(pad)
    positions = model.sequence_length(n)
    assert smallest_precision(model, ["a" * n], max_bits=40) == hand_derived_p0(positions)


def tie_split_model() -> Model:
    """A Q = K head over the 2-cell RMS group g, at the last of three positions: 'a' holds (1/5, 2/5), 'b'
    holds (1/4, 1/2), BOS (0, 0) (reads 0). Exactly, both read (1, 2)/sqrt 5, so at 'b' the tie set is {1, 2}.

    Under fixed:p the cells of 'a' are rounded: with y = 2^f/5 = m + phi, 2 round(y) = round(2y) iff
    phi < 1/4 or phi >= 3/4; phi cycles .2, .4, .8, .6 for f = 0, 1, 2, 3 (mod 4), so the cells keep
    the ratio 1 : 2 exactly when f is even (then both readings are computed from the same ratio and are
    bit-identical) and lose it when f is odd. The readout is an embedded constant (accept by 1), so
    every run decides like exact whatever the tie sets are: a decision-only audit passes at p = 4."""
    head = Head(
        "same",
        View([["g0", "g1"]], norm="rms"),
        query=[[1, 0], [0, 1]],
        key=[[1, 0], [0, 1]],
        value=[[1, 0]],
        writes=["out"],
    )
    return Model(
        alphabet="ab",
        labels=["g0", "g1", "out", "yes"],
        embedding={
            "a": {"g0": Fraction(1, 5), "g1": Fraction(2, 5), "yes": 1},
            "b": {"g0": Fraction(1, 4), "g1": Fraction(1, 2), "yes": 1},
            "BOS": {"yes": 1},
        },
        prefix=[Layer(heads=[head])],
        unembedding=[{}, {"yes": 1}],
        name="tie-split",
    )


def test_a_lucky_precision_does_not_pass() -> None:
    """Decisions are right at every p. The tie set at 'b' is right at p = 4 (f = 2: the rounded cells keep
    the ratio 1 : 2, docstring of tie_split_model) and wrong at some larger p (where rounded cells lose
    the ratio and the rounded scores differ). Every such p is a disagreement, although the decision agrees
    there, and no p whose window p .. p + 16 (or 2p) reaches one of them qualifies as p0."""
    simulator = Simulator(tie_split_model())
    exact = simulator.run("ab", "exact", record=False)
    assert exact.tie_set("prefix.layer0.attention", "same", 2) == [1, 2]
    audit = Audit(simulator, ["ab"])
    assert audit.check(4) is None
    split = []
    for bits in range(3, 60):
        fixed = simulator.run("ab", f"fixed:{bits}", record=False)
        assert fixed.symbol == exact.symbol  # the decision is always right
        if fixed.tie_set("prefix.layer0.attention", "same", 2) != [1, 2]:
            split.append(bits)
            found = audit.check(bits)
            assert found is not None and found.kind == "tie set" and found.position == 2
            assert found.head == "same" and found.exact == [1, 2]
    assert split and all((bits // 2) % 2 == 1 for bits in split)  # only odd f can split (docstring)
    lucky = [b for b in range(3, 40) if audit.check(b) is None and audit.check(b + 1) is None]
    for bits in lucky:
        reaches_a_split = any(bits <= s <= bits + WINDOW or s == 2 * bits for s in split)
        assert audit.agrees_from(bits) is not reaches_a_split


def test_compare_names_the_sublayer_head_and_position() -> None:
    simulator = Simulator(tie_split_model())
    exact = simulator.run("ab", "exact", record=False)
    bits = next(b for b in range(3, 60) if compare(exact, simulator.run("ab", f"fixed:{b}"), b))
    found = compare(exact, simulator.run("ab", f"fixed:{bits}"), bits)
    assert found is not None
    text = found.describe()
    assert f"fixed:{bits}" in text and "prefix.layer0.attention" in text and "'same'" in text
    assert "position 2" in text


def test_window_and_double_are_required() -> None:
    """p0 = max(3, 2F) for the inverse-length model, and the audit checked p0 .. p0 + WINDOW and 2 p0."""
    model = inverse_length_model(pad=40)
    audit = Audit(model, ["a" * 9])
    p0 = audit.stable_from(40)
    assert p0 == hand_derived_p0(model.sequence_length(9))
    assert set(range(p0, p0 + WINDOW + 1)) | {2 * p0} <= set(audit._results)
    assert audit.check(p0 - 1) is not None and audit.check(p0 - 1).kind == "the readout symbol"


def test_overflow_names_where_and_large_p_does_not_crash() -> None:
    """A score of 14 * 14 = 196 does not fit in fixed:16 (|x| < 2^7): the error names the head; fixed:200 runs
    on Python integers (no numpy overflow)."""
    head = Head("big", View([["q"]], norm="rms"), query=[[14]], key=[[14]], value=[[1]], writes=["out"])
    model = Model(
        alphabet="a",
        labels=["q", "out"],
        embedding={"a": {"q": 1}, "BOS": {"q": 1}},
        prefix=[Layer(heads=[head])],
        unembedding=[{}, {"out": 1}],
    )
    with pytest.raises(
        SimulationError, match=r"prefix layer 0 head 'big': fixed:16 overflow in an attention score"
    ):
        Simulator(model).run("a", "fixed:16")
    for bits in (62, 63, 64, 100, 200):
        assert Simulator(model).run("a", f"fixed:{bits}").symbol == "accept"
    readout = Model(alphabet="a", labels=["x"], embedding={"a": {"x": 1}}, unembedding=[{}, {"x": 100}])
    with pytest.raises(SimulationError, match=r"readout score of symbol 1 at position 1"):
        Simulator(readout).run("a", "fixed:10")


def test_backend_convention() -> None:
    backend = get_backend("fixed:13")
    assert isinstance(backend, FixedBackend)
    assert (backend.bits, backend.fraction, backend.limit, backend.scale) == (13, 6, 2**12, 2**6)
    with pytest.raises(ValueError, match="at least 2 bits"):
        FixedBackend(1)


def test_linear_map_is_one_rounding() -> None:
    """out = x/3 + x/3 + x/3 with x = 1/4 at fixed:4 (quarters): one rounding of the exact 1/4 gives 1/4;
    three roundings of 1/12 would give 0."""
    ffn = FFN(
        "thirds", View([["x", "y", "z"]], norm="rms"), w1=[[1, 1, 1]], w2=[[Fraction(1, 12)]], writes=["out"]
    )
    model = Model(
        alphabet="a",
        labels=["x", "y", "z", "out"],
        embedding={"BOS": {"x": 1, "y": 1, "z": 1}},
        prefix=[Layer(ffns=[ffn])],
    )
    trace = Simulator(model).run("", "fixed:4")
    # the view reads (1, 1, 1)/sqrt 3 -> round(4 * 0.577) = 2 quarters each; hidden = 6 quarters = 3/2;
    # out = (3/2)/12 = 1/8 -> round(0.5 quarters) = 1 quarter (ties up)
    assert trace.value(0, "out") == Fraction(1, 4)


def test_majority_p0_is_logarithmic() -> None:
    """The one-variable majority example: p0 on random words plus threshold words, and c = max p0/log2 N
    bounds every row."""
    model = majority_model()
    rows = precision_table(model, lambda n: audit_words(model, n, 4, seed=n), [2, 4, 8, 16], max_bits=48)
    assert all(row.smallest_bits is not None for row in rows)
    c = fitted_constant((row.positions, row.smallest_bits) for row in rows)
    assert all(row.smallest_bits <= c * math.log2(row.positions) + 1e-9 for row in rows)
    assert c < 8


def test_worst_cases_per_route() -> None:
    from expressivity.compile.connectivity import compile_connectivity

    words = worst_case_words(compile_connectivity(), 4)
    assert words[0] == "s--t" + "0100" + "0010" + "0001" + "0000"  # the path 0 -> 1 -> 2 -> 3
    assert words[1] == "s--t" + "0100" + "0010" + "0000" + "0000"
    majority = majority_model()
    assert set(worst_case_words(majority, 5)) >= {"00000", "11111", "00111", "11000"}


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one word"):
        Audit(majority_model(), [])
    with pytest.raises(ValueError, match="max_bits"):
        smallest_precision(majority_model(), ["1"], max_bits=1)
    with pytest.raises(ValueError, match="different lengths"):
        precision_table(majority_model(), lambda n: ["1", "11"], [1])
    assert math.isnan(fitted_constant([(1, 5), (8, None)]))
