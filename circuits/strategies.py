"""Hypothesis strategies for random, well-formed circuits and their input vectors.

`circuits(...)` draws a `Circuit` whose inputs are named x0, x1, ..., whose gates are named g0, g1, ...
(plain identifiers, so every file format can carry them) and whose 1..3 outputs are named y0, y1, ...
Each gate reads nets defined before it, repeated fan-in included, so the result is valid by
construction; an output may read any net, an input or a constant included. Every non-source `Op` can be
drawn, THRESHOLD gates with weights in [-max_weight, max_weight] (negative ones included) and a
threshold near the reachable range of the weighted sum, so that both outcomes occur.

`input_vectors(circuit)` draws a tuple of bits, one per input, in `circuit.inputs` order.
"""

from __future__ import annotations

from collections.abc import Collection

from hypothesis import strategies as st

from circuits.errors import CircuitError
from circuits.ir import SOURCE_OPS, UNARY_OPS, Circuit, Gate, Op

ALL_NON_SOURCE_OPS: tuple[Op, ...] = tuple(op for op in Op if op not in SOURCE_OPS)


def _check_arguments(
    min_inputs: int,
    max_inputs: int,
    max_gates: int,
    ops: tuple[Op, ...],
    max_fanin: int,
    allow_const: bool,
    max_weight: int,
    max_depth: int | None,
) -> None:
    if not 0 <= min_inputs <= max_inputs:
        raise CircuitError(f"need 0 <= min_inputs <= max_inputs, got {min_inputs}, {max_inputs}")
    if min_inputs == 0 and not allow_const:
        raise CircuitError("min_inputs=0 needs allow_const=True, or a circuit may have no net at all")
    if max_gates < 0 or max_fanin < 1 or max_weight < 0:
        raise CircuitError("max_gates must be >= 0, max_fanin >= 1 and max_weight >= 0")
    if any(op in SOURCE_OPS for op in ops):
        raise CircuitError("ops lists gate kinds with fan-in; use allow_const for CONST")
    if max_depth is not None and max_depth < 0:
        raise CircuitError(f"max_depth must be >= 0 or None, got {max_depth}")


@st.composite
def _threshold_gate(draw: st.DrawFn, name: str, fanin: tuple[str, ...], max_weight: int) -> Gate:
    weights = tuple(draw(st.integers(-max_weight, max_weight)) for _ in fanin)
    low = sum(w for w in weights if w < 0)
    high = sum(w for w in weights if w > 0)
    threshold = draw(st.integers(low - 1, high + 1))
    return Gate(name, Op.THRESHOLD, fanin, weights, threshold)


@st.composite
def _circuits(
    draw: st.DrawFn,
    min_inputs: int,
    max_inputs: int,
    max_gates: int,
    ops: tuple[Op, ...],
    max_fanin: int,
    allow_const: bool,
    max_weight: int,
    max_depth: int | None,
) -> Circuit:
    n_inputs = draw(st.integers(min_inputs, max_inputs))
    gates = [Gate(f"x{i}", Op.INPUT) for i in range(n_inputs)]
    depth = dict.fromkeys((g.name for g in gates), 0)
    can_add_gates = bool(ops) and max_depth != 0
    for index in range(draw(st.integers(0, max_gates))):
        name = f"g{index}"
        readable = [net for net, d in depth.items() if max_depth is None or d < max_depth]
        make_const = not readable or not can_add_gates or (allow_const and draw(st.integers(0, 9)) == 0)
        if make_const:
            if not allow_const:
                break
            gate = Gate(name, Op.CONST, value=draw(st.integers(0, 1)))
        else:
            op = draw(st.sampled_from(ops))
            arity = 1 if op in UNARY_OPS else draw(st.integers(1, max_fanin))
            fanin = tuple(draw(st.sampled_from(readable)) for _ in range(arity))
            if op is Op.THRESHOLD:
                gate = draw(_threshold_gate(name, fanin, max_weight))
            else:
                gate = Gate(name, op, fanin)
        gates.append(gate)
        depth[name] = 1 + max((depth[s] for s in gate.fanin), default=-1)
    if not gates:
        gates.append(Gate("g0", Op.CONST, value=draw(st.integers(0, 1))))
    nets = [g.name for g in gates]
    n_outputs = draw(st.integers(1, 3))
    outputs = [(f"y{i}", draw(st.sampled_from(nets[::-1]))) for i in range(n_outputs)]
    return Circuit(gates, outputs, name="random")


def circuits(
    min_inputs: int = 1,
    max_inputs: int = 6,
    max_gates: int = 20,
    ops: Collection[Op] = ALL_NON_SOURCE_OPS,
    max_fanin: int = 4,
    allow_const: bool = True,
    max_weight: int = 3,
    max_depth: int | None = None,
) -> st.SearchStrategy[Circuit]:
    """Strategy of random valid `Circuit`s; bad arguments raise `CircuitError` here, not at draw time.

    Depth counts gates on the longest path (inputs and constants have depth 0); with `max_depth` set,
    a gate only reads nets of depth < max_depth, so the circuit's depth is at most max_depth
    (max_depth=0 leaves only inputs and constants). A draw with no input and no gate gets one CONST g0,
    so that there is a net for the outputs to read.
    """
    ops = tuple(Op(op) for op in ops)
    _check_arguments(min_inputs, max_inputs, max_gates, ops, max_fanin, allow_const, max_weight, max_depth)
    return _circuits(min_inputs, max_inputs, max_gates, ops, max_fanin, allow_const, max_weight, max_depth)


def input_vectors(circuit: Circuit) -> st.SearchStrategy[tuple[int, ...]]:
    """Bit tuples of length len(circuit.inputs), in input order."""
    return st.tuples(*(st.integers(0, 1) for _ in circuit.inputs))
