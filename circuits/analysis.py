"""Size, depth, fan-in and depth-growth measurements of circuits.

Conventions (used everywhere in the project):

- size counts gates other than INPUT and CONST;
- the depth (level) of a net is 0 for INPUT and CONST and 1 + max(level of its fan-in) otherwise, so
  the depth of a circuit is the largest number of gates on a path from a source to a net. BUF counts as
  a gate: it is a layer of the circuit like any other, and the transformer compiler spends a layer on
  it too;
- the depth of a circuit is taken over all nets, not only those that reach an output, so that it agrees
  with the per-net `levels`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from circuits.errors import CircuitError
from circuits.ir import SOURCE_OPS, Circuit, Op


def levels(circuit: Circuit) -> dict[str, int]:
    """Depth of every net: 0 for INPUT/CONST, 1 + max over fan-in otherwise (in circuit order)."""
    level: dict[str, int] = {}
    for gate in circuit.gates:
        level[gate.name] = 0 if gate.op in SOURCE_OPS else 1 + max(level[s] for s in gate.fanin)
    return level


def size(circuit: Circuit) -> int:
    """Number of gates other than INPUT and CONST."""
    return sum(1 for g in circuit.gates if g.op not in SOURCE_OPS)


def depth(circuit: Circuit) -> int:
    """Largest net level (0 for a circuit of inputs and constants only)."""
    return max(levels(circuit).values(), default=0)


def max_fanin(circuit: Circuit) -> int:
    """Largest fan-in of any gate, counting repeated nets as often as they occur (0 if no gate)."""
    return max((len(g.fanin) for g in circuit.gates), default=0)


def gate_histogram(circuit: Circuit) -> dict[Op, int]:
    """How many nets of each `Op` the circuit has (INPUT and CONST included), in `Op` order."""
    counts = Counter(g.op for g in circuit.gates)
    return {op: counts[op] for op in Op if counts[op]}


@dataclass(frozen=True)
class CircuitStats:
    """Summary numbers of one circuit; see the module docstring for the conventions."""

    inputs: int
    outputs: int
    size: int
    depth: int
    max_fanin: int
    edges: int
    histogram: dict[Op, int]


def stats(circuit: Circuit) -> CircuitStats:
    """`CircuitStats` of `circuit`; `edges` is the total fan-in (repeated nets counted each time)."""
    return CircuitStats(
        inputs=len(circuit.inputs),
        outputs=len(circuit.outputs),
        size=size(circuit),
        depth=depth(circuit),
        max_fanin=max_fanin(circuit),
        edges=sum(len(g.fanin) for g in circuit.gates),
        histogram=gate_histogram(circuit),
    )


DEPTH_CLASS_LABELS = {0: "O(1)", 1: "O(log n)", 2: "O(log^2 n)"}


def depth_class(ns: Sequence[int], depths: Sequence[int], slack: float = 1.5) -> int | None:
    """The least d in {0, 1, 2} such that the measured depths fit O(log^d n), or None if none does.

    Rule: with L(n) = max(1, log2 n) and r_d(n) = depth(n) / L(n)^d, depths fit O(log^d n) iff
    r_d(n) <= slack * r_d(n_min) for every measured n, where n_min is the smallest n. A family of
    depth c * L(n)^e has r_d constant for d = e and growing by (L(n_max) / L(n_min))^(e-d) for d < e;
    the sizes must therefore span at least L(n_max) >= 2 L(n_min) (checked), and slack must lie in
    [1, 2) so that one extra log factor always exceeds it. Additive constants blur the rule on small n
    (depth 5 + log2 n looks constant until log2 n is large against 5), so start ns past degenerate
    sizes. `DEPTH_CLASS_LABELS[d]` spells the answer.
    """
    if len(ns) != len(depths) or len(ns) < 2:
        raise CircuitError("depth_class needs two or more sizes and one depth per size")
    if not 1 <= slack < 2:
        raise CircuitError(f"slack must lie in [1, 2), got {slack}")
    if min(ns) < 1 or min(depths) < 0:
        raise CircuitError("sizes must be >= 1 and depths >= 0")
    log = [max(1.0, math.log2(n)) for n in ns]
    smallest = min(range(len(ns)), key=lambda i: ns[i])
    if max(log) < 2 * log[smallest]:
        raise CircuitError(
            f"sizes {min(ns)}..{max(ns)} are too close to tell log factors apart: "
            "need log2(max n) >= 2 max(1, log2(min n))"
        )
    for d in DEPTH_CLASS_LABELS:
        ratios = [depth_n / log_n**d for depth_n, log_n in zip(depths, log, strict=True)]
        if all(r <= slack * ratios[smallest] for r in ratios):
            return d
    return None
