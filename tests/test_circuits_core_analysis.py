"""Size, depth, fan-in and the depth-growth rule, on circuits and sequences worked out by hand."""

import math

import pytest

from circuits import Circuit, CircuitBuilder, CircuitError, Gate, Op
from circuits.analysis import (
    DEPTH_CLASS_LABELS,
    CircuitStats,
    depth,
    depth_class,
    gate_histogram,
    levels,
    max_fanin,
    size,
    stats,
)


def chain() -> Circuit:
    # x, y -> a = AND(x, y) -> b = BUF(a) -> c = OR(b, x, x, one); one is a constant.
    b = CircuitBuilder("chain")
    x, y = b.input("x"), b.input("y")
    one = b.const(1, name="one")
    a = b.gate(Op.AND, x, y, name="a")
    buf = b.gate(Op.BUF, a, name="b")
    b.output(b.gate(Op.OR, buf, x, x, one, name="c"), "out")
    return b.build()


def test_levels_count_gates_and_buf():
    assert levels(chain()) == {"x": 0, "y": 0, "one": 0, "a": 1, "b": 2, "c": 3}
    assert depth(chain()) == 3


def test_size_fanin_histogram_stats():
    circuit = chain()
    assert size(circuit) == 3
    assert max_fanin(circuit) == 4
    assert gate_histogram(circuit) == {Op.INPUT: 2, Op.CONST: 1, Op.BUF: 1, Op.AND: 1, Op.OR: 1}
    assert stats(circuit) == CircuitStats(
        inputs=2,
        outputs=1,
        size=3,
        depth=3,
        max_fanin=4,
        edges=7,
        histogram={Op.INPUT: 2, Op.CONST: 1, Op.BUF: 1, Op.AND: 1, Op.OR: 1},
    )


def test_sources_only_circuit():
    circuit = Circuit([Gate("x", Op.INPUT)], [("out", "x")])
    assert (size(circuit), depth(circuit), max_fanin(circuit)) == (0, 0, 0)


NS = [2, 4, 8, 16, 32, 64, 128]


@pytest.mark.parametrize(
    ("depths", "expected"),
    [
        ([3] * len(NS), 0),
        ([3, 4, 3, 4, 4, 3, 4], 0),
        ([2 * int(math.log2(n)) for n in NS], 1),
        ([2 * int(math.log2(n)) + 1 for n in NS], 1),
        ([int(math.log2(n)) ** 2 for n in NS], 2),
        ([3 * int(math.log2(n)) ** 2 + int(math.log2(n)) for n in NS], 2),
    ],
)
def test_depth_class_on_synthetic_sequences(depths, expected):
    assert depth_class(NS, depths) == expected


def test_polynomial_depth_fits_no_class():
    # Over n = 2 .. 2^24, sqrt(n) / log2(n)^2 grows from 1.4 to 7.1, past slack 1.5 times its start.
    wide = [2**k for k in range(1, 25)]
    assert depth_class(wide, [math.isqrt(n) for n in wide]) is None
    assert depth_class(wide, wide) is None


def test_depth_class_labels():
    assert DEPTH_CLASS_LABELS == {0: "O(1)", 1: "O(log n)", 2: "O(log^2 n)"}


def test_depth_class_needs_a_wide_enough_range():
    with pytest.raises(CircuitError, match="too close to tell log factors apart"):
        depth_class([16, 32, 64, 128], [4, 5, 6, 7])
    with pytest.raises(CircuitError, match="one depth per size"):
        depth_class([2, 4], [1])
    with pytest.raises(CircuitError, match="slack"):
        depth_class([2, 4], [1, 1], slack=2)
