"""The exact backend against a brute-force reference that lives here, in sympy, and knows nothing of
expressivity.numbers or the backends.

The reference implements docs/semantics.md literally, position by position: embedding, views (norm groups,
N(x) = (x - mean)/||x - mean||, N(0) = 0; the "rms" variant x/||x||), heads (scores q_i . k_j over the
visible set of the mask, tie set = argmax set, output = plain mean of v_j over it, 0 when the visible
set is empty), FFNs (W2 ReLU(W1 z + b1) + b2), the layers as prefix / block r(n) times / suffix, and the
readout argmax at the last position (an exact tie goes to the earlier symbol). Zero tests (`is_zero`)
expand a - b into terms q sqrt(m) and merge the terms of one square class by an integer square root
(sympy pulls square factors out of a radicand only as far as it can factor it, so 2^140-sized weights
leave sqrt(m) and sqrt(m k^2) unmerged); square roots of distinct classes are independent, so this is
exact. The sign of a non-zero value is read from `sympy.N(x, 60)`.

Random models are tiny (at most 6 positions, width <= 6, 1-2 distinct layers, an optional looped block
with r = 1..3 or r(n) = ceil(log2 n), every mask, norm groups of 1..4 cells, weights in -2..2 by halves).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from math import isqrt

import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, event, given, settings

from expressivity import FFN, Head, Layer, LoopCount, Model, Padding, Stage, View, run
from expressivity.backends import SimulationError
from expressivity.strategies import models, staged_models

# ---------------------------------------------------------------------------------------------------
# The reference evaluator.


class NestedRadical(Exception):
    """The reference met a norm group whose squared norm is irrational."""

    def __init__(self, place: str, group: int, position: int, squared_norm: sp.Expr) -> None:
        super().__init__(f"{place}: group {group}: position {position}: ||y||^2 = {squared_norm}")
        self.place = place
        self.group = group
        self.position = position
        self.squared_norm = squared_norm


def to_sympy(x: Fraction | int) -> sp.Rational:
    x = Fraction(x)
    return sp.Rational(x.numerator, x.denominator)


def sqrt_number_to_sympy(x) -> sp.Expr:
    """A core SqrtNumber (sum_r q_r sqrt r) as a sympy expression, read from its public terms."""
    return sp.expand(sum((to_sympy(q) * sp.sqrt(r) for r, q in x.terms.items()), sp.Integer(0)))


def radical_terms(x: sp.Expr) -> dict[int, sp.Rational] | None:
    """x as {m: q} with x = sum q sqrt(m) over positive integers m, or None for any other form."""
    terms: dict[int, sp.Rational] = {}
    for term in sp.Add.make_args(sp.expand(x)):
        coefficient, rest = term.as_coeff_Mul()
        if rest == 1:
            m = 1
        elif isinstance(rest, sp.Pow) and rest.exp == sp.S.Half and rest.base.is_Integer and rest.base > 0:
            m = int(rest.base)
        else:
            return None
        terms[m] = terms.get(m, 0) + coefficient
    return terms


def is_zero(x: sp.Expr) -> bool:
    """Exact: sympy pulls square factors out of a radicand only as far as it can factor it, so terms
    sqrt(m), sqrt(m') of one square class (m m' a square) are merged here by an integer square root,
    sqrt(m) = (isqrt(m r) / r) sqrt(r); square roots of distinct classes are linearly independent over
    Q, so the sum is zero iff every class's coefficient is."""
    terms = radical_terms(x)
    if terms is None:
        return sp.expand(x) == 0
    classes: dict[int, sp.Rational] = {}
    for m, q in terms.items():
        for r in classes:
            root = isqrt(m * r)
            if root * root == m * r:
                classes[r] += q * sp.Rational(root, r)
                break
        else:
            classes[m] = q
    return all(q == 0 for q in classes.values())


def sign(x: sp.Expr) -> int:
    x = sp.expand(x)
    if is_zero(x):
        return 0
    value = sp.N(x, 60)
    assert abs(value) > sp.Float("1e-45", 60), f"the reference cannot settle the sign of {x}"
    return 1 if value > 0 else -1


def magnitude(x: sp.Expr) -> float:
    return float(abs(sp.N(sp.expand(x), 30)))


def is_rational_constant(x: sp.Expr) -> bool:
    return isinstance(sp.expand(x), sp.Rational)


def loop_count(loops: LoopCount, n: int) -> int:
    """r(n) = value + coefficient * ceil(log2 n)^power, ceil(log2 n) = 0 for n <= 1, by counting."""
    log_term = 0
    while 2**log_term < n:
        log_term += 1
    return loops.value + loops.coefficient * log_term**loops.power


def timestep_values(stage: Stage, t: int) -> dict[str, sp.Expr]:
    """psi(t) by cell: parity (b - 1/2)(1, 1, -1, -1) with b = t mod 2; index (1/(t+1), 1, -1/(t+1), -1)."""
    values = {}
    for cells in stage.timestep:
        if cells.encoding == "parity":
            x = sp.Rational(t % 2) - sp.Rational(1, 2)
            psi = (x, x, -x, -x)
        else:
            psi = (sp.Rational(1, t + 1), sp.Integer(1), -sp.Rational(1, t + 1), sp.Integer(-1))
        values.update(zip(cells.labels, psi, strict=True))
    return values


def padding_length(padding: Padding, n: int) -> int:
    return sum(c * n**k for k, c in enumerate(padding.coefficients))


@dataclass
class Reference:
    """What the reference computed, plus the margins of every decision (for the fixed/float checks)."""

    final: list[list[sp.Expr]] = field(default_factory=list)
    ties: dict[tuple[str, str], list[list[int]]] = field(default_factory=dict)
    symbol: int | None = None
    layers_run: int = 0
    score_gap: float = float("inf")  # max score minus the next lower visible score, over all heads
    relu_gap: float = float("inf")  # smallest |W1 z + b1| over all hidden units and positions
    norm_gap: float = float("inf")  # smallest ||y|| of a non-zero norm group
    zero_groups: int = 0  # norm groups read as N(0) = 0
    readout_gap: float = float("inf")  # best readout score minus every other one
    scoring_ties: int = 0  # tie sets of two or more positions in heads with Q != 0 and K != 0


def reference_views(h: list[list[sp.Expr]], index: dict[str, int], view: View, place: str, ref: Reference):
    """z_i for every position: N over each norm group, concatenated; group-major, as the core reports
    the first nested radical by group and then by position."""
    out: list[list[sp.Expr]] = [[] for _ in h]
    for k, group in enumerate(view.groups):
        for i, row in enumerate(h):
            x = [row[index[label]] for label in group]
            if view.norm == "layer":
                mean = sum(x, sp.Integer(0)) / len(x)
                y = [sp.expand(xc - mean) for xc in x]
            else:
                y = x
            squared = sp.expand(sum((yc * yc for yc in y), sp.Integer(0)))
            if squared == 0:
                ref.zero_groups += 1
                out[i].extend([sp.Integer(0)] * len(y))
                continue
            if not is_rational_constant(squared):
                raise NestedRadical(place, k, i, squared)
            ref.norm_gap = min(ref.norm_gap, magnitude(sp.sqrt(squared)))
            inverse = 1 / sp.sqrt(squared)
            out[i].extend(sp.expand(yc * inverse) for yc in y)
    return out


def apply(matrix, vector) -> list[sp.Expr]:
    return [
        sp.expand(sum((to_sympy(w) * x for w, x in zip(row, vector, strict=True)), sp.Integer(0)))
        for row in matrix
    ]


def visible(mask: str, i: int, size: int) -> range:
    return {"causal": range(i + 1), "strict": range(i), "unmasked": range(size)}[mask]


def reference_run(model: Model, word: str) -> Reference:
    ref = Reference()
    n = len(word)
    tokens = ["BOS", *word, *["PAD"] * padding_length(model.padding, n), *model.tail]
    index = {label: c for c, label in enumerate(model.labels)}
    h = [[to_sympy(model.embedding.get(kind, {}).get(label, 0)) for label in model.labels] for kind in tokens]
    size = len(tokens)
    schedule = []
    names = [stage.name for stage in model.stages]
    for stage in model.stages:
        loops = stage.loops
        once = (loops.value, loops.coefficient, loops.power, loops.fixed) == (1, 0, 0, False)
        looped = not once or (names == ["prefix", "block", "suffix"] and stage.name == "block")
        for iteration in range(loop_count(loops, n)):
            schedule.append((timestep_values(stage, iteration), "", 0, None))
            tag = f"{stage.name}[{iteration}]" if looped else stage.name
            schedule += [(None, tag, k, layer) for k, layer in enumerate(stage.layers)]
    for clock, tag, number, layer in schedule:
        if clock is not None:  # set the stage's timestep cells to psi(t) at every position
            h = [[clock.get(label, x) for label, x in zip(model.labels, row, strict=True)] for row in h]
            continue
        updates = []
        for head in layer.heads:
            z = reference_views(h, index, head.view, f"{tag} layer {number} head {head.name}", ref)
            q = [apply(head.query, zi) for zi in z]
            k = [apply(head.key, zi) for zi in z]
            v = [apply(head.value, zi) for zi in z]
            outputs, ties = [], []
            scoring = any(any(row) for row in head.query) and any(any(row) for row in head.key)
            for i in range(size):
                scores = {
                    j: sp.expand(sum((a * b for a, b in zip(q[i], k[j], strict=True)), sp.Integer(0)))
                    for j in visible(head.mask, i, size)
                }
                best = None
                for j, s in scores.items():
                    if best is None or sign(s - scores[best]) > 0:
                        best = j
                tie = [j for j, s in scores.items() if is_zero(s - scores[best])]
                for j, s in scores.items():
                    if j not in tie:
                        ref.score_gap = min(ref.score_gap, magnitude(scores[best] - s))
                ties.append(tie)
                if len(tie) > 1 and scoring:
                    ref.scoring_ties += 1
                if tie:
                    outputs.append(
                        [
                            sp.expand(sum((v[j][r] for j in tie), sp.Integer(0)) / len(tie))
                            for r in range(len(head.writes))
                        ]
                    )
                else:
                    outputs.append([sp.Integer(0)] * len(head.writes))
            ref.ties[(f"{tag}.layer{number}.attention", head.name)] = ties
            updates.append((head.writes, outputs))
        h = add_updates(h, index, updates)
        updates = []
        for ffn in layer.ffns:
            z = reference_views(h, index, ffn.view, f"{tag} layer {number} ffn {ffn.name}", ref)
            outputs = []
            for zi in z:
                pre = [sp.expand(p + to_sympy(b)) for p, b in zip(apply(ffn.w1, zi), ffn.b1, strict=True)]
                for p in pre:
                    ref.relu_gap = min(ref.relu_gap, magnitude(p))
                hidden = [p if sign(p) > 0 else sp.Integer(0) for p in pre]
                out = apply(ffn.w2, hidden)
                outputs.append([sp.expand(o + to_sympy(b)) for o, b in zip(out, ffn.b2, strict=True)])
            updates.append((ffn.writes, outputs))
        h = add_updates(h, index, updates)
        ref.layers_run += 1
    ref.final = h
    if model.unembedding:
        scores = apply(model.unembedding, h[-1])
        best = 0
        for s in range(1, len(scores)):
            if sign(scores[s] - scores[best]) > 0:
                best = s
        ref.symbol = best
        for s in range(len(scores)):
            if s != best:
                ref.readout_gap = min(ref.readout_gap, magnitude(scores[best] - scores[s]))
    return ref


def add_updates(h, index, updates):
    h = [list(row) for row in h]
    for writes, outputs in updates:
        for i, out in enumerate(outputs):
            for label, value in zip(writes, out, strict=True):
                h[i][index[label]] = sp.expand(h[i][index[label]] + value)
    return h


# ---------------------------------------------------------------------------------------------------
# The properties.

NESTED = re.compile(
    r"^(?P<tag>\w+(?:\[\d+\])?) layer (?P<layer>\d+) (?P<kind>head|ffn) '(?P<name>[^']*)': "
    r"norm group (?P<group>\d+): position (?P<position>\d+):"
)


def run_both(model: Model, word: str):
    """(core trace or the core's SimulationError, reference result or the reference's NestedRadical)."""
    try:
        trace = run(model, word, "exact")
    except SimulationError as err:
        trace = err
    try:
        ref = reference_run(model, word)
    except NestedRadical as err:
        ref = err
    return trace, ref


def assert_same_nested_stop(err: SimulationError, nested: NestedRadical) -> None:
    """The core stopped where the reference found an irrational squared norm, and said so by name."""
    found = NESTED.match(str(err))
    assert found, f"the nested-radical stop does not name layer, sublayer, group and position: {err}"
    place = f"{found['tag']} layer {found['layer']} {found['kind']} {found['name']}"
    assert (place, int(found["group"]), int(found["position"])) == (
        nested.place,
        nested.group,
        nested.position,
    )
    assert not is_rational_constant(nested.squared_norm)


def assert_agrees_with_reference(model: Model, trace, ref) -> bool:
    """The core and the reference both stopped at the same irrational squared norm (False), or both ran
    and agree on every final cell, every tie set and the readout symbol (True)."""
    if isinstance(ref, NestedRadical):
        event("nested radical")
        assert isinstance(trace, SimulationError), f"the core ran where the reference needs {ref}"
        assert_same_nested_stop(trace, ref)
        return False
    assert not isinstance(trace, SimulationError), f"the core stopped ({trace}) but the reference did not"
    event("ran")
    for c, label in enumerate(model.labels):
        column = trace.column(label)
        for i, row in enumerate(ref.final):
            assert is_zero(sqrt_number_to_sympy(column[i]) - row[c]), (label, i, column[i], row[c])
    assert {
        key: [trace.ties[key].of(i).tolist() for i in range(trace.positions)] for key in trace.ties
    } == ref.ties
    assert trace.symbol == model.symbols[ref.symbol]
    return True


@given(models())
@settings(max_examples=250)
def test_exact_backend_equals_the_reference(case):
    assert_exact_equals_reference(*case)


@given(staged_models())
@settings(max_examples=80, deadline=None)
def test_exact_backend_equals_the_reference_on_staged_models(case):
    """Stages with their own loop counts and timestep cells, against the reference's own schedule."""
    assert_exact_equals_reference(*case)


def assert_exact_equals_reference(model: Model, word: str) -> None:
    trace, ref = run_both(model, word)
    if not assert_agrees_with_reference(model, trace, ref):
        return
    assert trace.layers_run == ref.layers_run
    assert trace.positions == len(ref.final)
    quiet = run(model, word, "exact", record=False)  # keeps only the final residual
    assert [quiet.column(label) for label in model.labels] == [trace.column(label) for label in model.labels]
    assert {key: ties.as_lists() for key, ties in quiet.ties.items()} == ref.ties
    assert quiet.symbol == trace.symbol


SEPARATION = 2.0**-20


def well_separated(ref: Reference) -> bool:
    """No decision is near a tie, so that small errors cannot flip one: every margin exceeds 2^-20 --
    the best score over the next one, |W1 z + b1| against 0, the readout scores, and the norm of every
    norm group against 0 (an exact N(0) = 0 is a zero margin: a float residue 1e-17 would read as a unit
    vector) -- and no scoring head has a tie set of two or more positions (an exact tie, e.g. keys
    (0, 3/2) and (0, 1/2) that both normalise to (-1, 1)/sqrt 2, is a margin of 0). Uniform heads
    (Q = 0) are continuous and need no margin."""
    margins = (ref.score_gap, ref.relu_gap, ref.norm_gap, ref.readout_gap)
    return min(margins) > SEPARATION and ref.scoring_ties == 0 and ref.zero_groups == 0


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["fixed:120", "float64"])
@given(case=models(generic=True))
@settings(max_examples=80, suppress_health_check=[HealthCheck.filter_too_much])
def test_approximate_backends_decide_like_exact_when_nothing_is_close(backend, case):
    model, word = case
    try:
        ref = reference_run(model, word)
    except NestedRadical:
        ref = None  # the exact semantics stops: nothing to compare with
    assume(ref is not None and well_separated(ref))
    event("well separated")
    approx = run(model, word, backend)
    assert {
        key: [approx.ties[key].of(i).tolist() for i in range(approx.positions)] for key in approx.ties
    } == ref.ties
    assert approx.symbol == model.symbols[ref.symbol]


# ---------------------------------------------------------------------------------------------------
# Scaling: exact decisions cannot depend on the size of the numbers.


def scaled(model: Model, c: Fraction) -> Model:
    """Q times c in every head, the unembedding times c, and in every FFN W1, b1 times c and W2 times
    1/c: for c > 0 the argmax sets, ReLU(c x) = c ReLU(x) and so the whole run are unchanged."""

    def layer(old: Layer) -> Layer:
        heads = [
            Head(h.name, h.view, [[c * x for x in row] for row in h.query], h.key, h.value, h.writes, h.mask)
            for h in old.heads
        ]
        ffns = [
            FFN(
                f.name,
                f.view,
                w1=[[c * x for x in row] for row in f.w1],
                w2=[[x / c for x in row] for row in f.w2],
                writes=f.writes,
                b1=[c * b for b in f.b1],
                b2=f.b2,
            )
            for f in old.ffns
        ]
        return Layer(heads, ffns)

    return Model(
        alphabet=model.alphabet,
        labels=model.labels,
        embedding=model.embedding,
        prefix=[layer(x) for x in model.prefix],
        block=[layer(x) for x in model.block],
        suffix=[layer(x) for x in model.suffix],
        loops=model.loops,
        padding=model.padding,
        symbols=model.symbols,
        unembedding=[[c * x for x in row] for row in model.unembedding],
    )


FACTORS = [Fraction(2**63 + 1), Fraction(10**400), Fraction(1, 10**400), Fraction(2**64 - 1, 3)]


@pytest.mark.parametrize("factor", FACTORS, ids=["2^63+1", "1e400", "1e-400", "(2^64-1)/3"])
@given(case=models())
@settings(max_examples=25)
def test_scaling_weights_changes_nothing_in_the_exact_run(factor, case):
    model, word = case
    try:
        plain = run(model, word)
    except SimulationError:
        assume(False)
    big = run(scaled(model, factor), word)
    assert big.symbol == plain.symbol
    assert {key: ties.as_lists() for key, ties in big.ties.items()} == {
        key: ties.as_lists() for key, ties in plain.ties.items()
    }
    for label in model.labels:
        assert big.column(label) == plain.column(label), label


def test_exact_scores_beyond_float64_range():
    """Query weights of 10^400: the float shadow of every score is infinite, the tie set is still exact.
    (Once found: every tie set came out empty.)"""
    big = 10**400
    head = Head(
        "h", View([["x", "y"]], norm="rms"), query=[[big, big]], key=[[1, 1]], value=[[1, 0]], writes=["x"]
    )
    model = Model(
        alphabet="ab",
        labels=["x", "y"],
        embedding={"a": {"x": 1}, "b": {"y": 1}, "BOS": {"x": 1, "y": 1}},
        prefix=[Layer([head])],
    )
    trace = run(model, "ab")
    # k_j = (1, 1) . N(h_j): sqrt 2 at BOS, 1 at a and at b; q_i > 0, so BOS wins everywhere.
    assert trace.ties[("prefix.layer0.attention", "h")].as_lists() == [[0], [0], [0]]
    assert reference_run(model, "ab").ties == {("prefix.layer0.attention", "h"): [[0], [0], [0]]}


def test_exact_bias_beyond_int64():
    """A bias of 2^63 + 1 stays an exact integer (once it went through float64 and broke the run)."""
    ffn = FFN(
        "f",
        View([["x"]], norm="rms"),
        w1=[[0], [0]],
        b1=[2**63 + 1, 1],
        w2=[[1, 0], [0, 1]],
        writes=["x", "y"],
    )
    model = Model(alphabet="a", labels=["x", "y"], embedding={}, prefix=[Layer(ffns=[ffn])])
    trace = run(model, "a")
    assert sqrt_number_to_sympy(trace.value(0, "x")) == 2**63 + 1
    assert sqrt_number_to_sympy(trace.value(1, "y")) == 1


def test_fixed_scores_beyond_int64():
    """fixed:120 (60 fractional bits) with a score near 9.3 (9.3 * 2^60 > 2^63): once every tie set came
    out empty, because numpy turned the row maxima into float64."""
    half = Fraction(1, 2)
    row = {"c0": -2, "c1": -2, "c2": -2, "c3": Fraction(-3, 2)}
    head = Head(
        "h",
        View([["c0", "c1", "c2", "c3"], ["c4", "c5"]]),
        query=[[0, 0, 0, -1, half, -2]],
        key=[[0, 0, 0, Fraction(-3, 2), half, -2]],
        value=[[0] * 6],
        writes=["c0"],
    )
    model = Model(
        alphabet="a",
        labels=[f"c{k}" for k in range(6)],
        embedding={
            "BOS": row | {"c4": Fraction(-3, 2), "c5": -2},
            "a": row | {"c4": -2, "c5": Fraction(-3, 2)},
        },
        prefix=[Layer([head])],
    )
    ref = reference_run(model, "a")
    assert ref.ties == {("prefix.layer0.attention", "h"): [[0], [1]]}
    assert ref.score_gap > 1  # far from a tie: the scores at position 1 are about -1.2 and 8.1
    for backend in ("fixed:120", "fixed:200", "float64"):
        assert run(model, "a", backend).ties[("prefix.layer0.attention", "h")].as_lists() == [[0], [1]], (
            backend
        )


def test_norm_with_a_square_free_part_beyond_int64():
    """||(p, 1)||^2 = p^2 + 1 with p = 10^12 + 39 has a square-free part above 2^63 (once an overflow in
    the normalisation); the rms view and a head over it agree with the reference."""
    p = 10**12 + 39
    view = View([["x", "y"]], norm="rms")
    head = Head(
        "h", view, query=[[1, 0]], key=[[1, 1]], value=[[1, 0], [0, 1]], writes=["u", "v"], mask="unmasked"
    )
    model = Model(
        alphabet="ab",
        labels=["x", "y", "u", "v"],
        embedding={"a": {"x": p, "y": 1}, "b": {"x": 1, "y": p}, "BOS": {"x": 1}},
        prefix=[Layer([head])],
    )
    trace = run(model, "ab")
    ref = reference_run(model, "ab")
    assert {key: ties.as_lists() for key, ties in trace.ties.items()} == ref.ties
    for c, label in enumerate(model.labels):
        for i, row in enumerate(ref.final):
            assert is_zero(sqrt_number_to_sympy(trace.value(i, label)) - row[c]), (label, i)
    assert any(not is_rational_constant(row[2]) for row in ref.final)  # the check did see a radical
