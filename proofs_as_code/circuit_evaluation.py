"""The circuit-evaluation lemma (docs/routes.md): depth(C) loops of one fixed block evaluate C.

This is a per-circuit (non-uniform) evaluator: the model is built for one circuit, so for one input
length, and its loop count is that circuit's depth. The uniform statement (one model for every n) is
proofs_as_code/iterated_programs.py.

Statement. Let C be a threshold circuit and C' its literal form (`circuits.literal_form`: every node is
"at least t of my literals are true", NOT/BUF folded into literals), of depth d. There is one padded
looped AHAT transformer with layer norm and rational weights, with one token per input, per node and
per wire of C', whose 2-layer block updates every node at once from its wires. For every input x:

- (invariant) after t iterations of the block, every node of level <= t in C' holds its value on x;
- so after d iterations every node, and hence every output, is right, and
- (stability) further iterations change nothing: the residual after d + e iterations equals the one
  after d iterations, for every e >= 0.

Construction: `expressivity.compile.circuit.compile_circuit` (its module docstring gives the tokens and
layers); `construct` calls it and `with_loops` reruns the same weights with another loop count. Check:
`check` runs inputs exactly (all of them when there are at most `samples`, else `samples` random ones),
compares the outputs with `circuits.evaluate`, tests the invariant at every iteration against the net
values of the lowered circuit (`circuits.net_values`), and the stability on extra iterations.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
import time
from collections.abc import Sequence
from fractions import Fraction

from circuits import Circuit, evaluate, net_values, to_threshold
from circuits.literal_form import LiteralCircuit
from expressivity import Trace
from expressivity.compile.circuit import CompiledCircuit, compile_circuit, input_word
from expressivity.model import LoopCount

STATE = "state[0]"  # first cell of a node's state spin group: b - 1/2 for the node's current bit b
HALF = Fraction(1, 2)


def construct(circuit: Circuit, causal: bool = False) -> CompiledCircuit:
    """The evaluator of `circuit` (mixed masking, or purely causal with `causal=True`)."""
    return compile_circuit(circuit, causal=causal)


def with_loops(compiled: CompiledCircuit, loops: int) -> CompiledCircuit:
    """The same weights run with `loops` iterations of the block instead of depth(C')."""
    model = dataclasses.replace(compiled.model, loops=LoopCount(value=loops, fixed=True))
    return CompiledCircuit(model, compiled.form)


def recorded_run(compiled: CompiledCircuit, bits: Sequence[int]) -> Trace:
    """One exact run on `bits` that keeps the residual after every sublayer."""
    return compiled.simulator.run(input_word(compiled.inputs, bits), "exact")


def node_states(compiled: CompiledCircuit, bits: Sequence[int]) -> list[dict[str, int]]:
    """The bit each node of the literal form holds after iteration t = 1 .. loops of one exact run."""
    return _states(compiled.form, recorded_run(compiled, bits))


def _states(form: LiteralCircuit, trace: Trace) -> list[dict[str, int]]:
    """Each node's state spin right after the block's update sublayer, per iteration, as a bit; a state
    that is not exactly a spin (+-1/2) breaks the construction and raises ValueError."""
    position = {node: trace.tokens.index(f"node {node}") for node in form.nodes}
    states = []
    for t in range(trace.loops):
        column = trace.column(STATE, f"block[{t}].layer0.ffn")
        state = {}
        for node, i in position.items():
            if column[i] not in (HALF, -HALF):
                raise ValueError(f"node {node!r} holds state {column[i]} after iteration {t + 1}, not a spin")
            state[node] = int(column[i] == HALF)
        states.append(state)
    return states


def input_vectors(count: int, samples: int, rng: random.Random) -> list[tuple[int, ...]]:
    """Every vector of `count` bits when there are at most `samples`, else `samples` random ones."""
    if 2**count <= samples:
        return list(itertools.product((0, 1), repeat=count))
    return [tuple(rng.randrange(2) for _ in range(count)) for _ in range(samples)]


def check(
    circuit: Circuit, samples: int = 32, seed: int = 0, causal: bool = False, extra_iterations: int = 2
) -> dict:
    """Runs inputs exactly (see the module docstring); returns the counts of agreements with the circuit,
    of invariant violations (a node of level <= t wrong after iteration t) and of runs whose final
    residual changed under `extra_iterations` more loops, with the loop count, tokens and layers."""
    compiled = construct(circuit, causal)
    longer = with_loops(compiled, compiled.form.depth + extra_iterations)
    lowered = to_threshold(circuit)
    level = compiled.form.levels()
    vectors = input_vectors(len(circuit.inputs), samples, random.Random(seed))
    agreements = violations = changed = 0
    start = time.perf_counter()
    for bits in vectors:
        trace = recorded_run(compiled, bits)
        agreements += trace.outputs == evaluate(circuit, bits)
        truth = net_values(lowered, bits)
        for t, states in enumerate(_states(compiled.form, trace), start=1):
            violations += sum(states[v] != truth[v] for v in compiled.form.nodes if level[v] <= t)
        more = longer.simulator.run(input_word(compiled.inputs, bits), "exact", record=False)
        changed += not _same_residual(trace, more)
    model = compiled.model
    return {
        "circuit": circuit.name,
        "inputs": len(circuit.inputs),
        "runs": len(vectors),
        "exhaustive": 2 ** len(circuit.inputs) <= samples,
        "agreements": agreements,
        "invariant_violations": violations,
        "changed_by_extra_iterations": changed,
        "depth": compiled.form.depth,
        "loops": model.loops(model.size(len(circuit.inputs))),
        "nodes": len(compiled.form.nodes),
        "wires": compiled.form.wire_count,
        "tokens": model.sequence_length(len(circuit.inputs)),
        "layers": {"prefix": len(model.prefix), "block": len(model.block), "suffix": len(model.suffix)},
        "width": model.width,
        "seconds": round(time.perf_counter() - start, 3),
    }


def _same_residual(first: Trace, second: Trace) -> bool:
    """Whether two exact traces end with equal residuals, cell by cell."""
    return (
        all(first.column(label) == second.column(label) for label in first.labels)
        and first.outputs == second.outputs
    )
