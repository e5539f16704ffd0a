"""Threshold and Boolean circuits: the IR, evaluation, analysis, lowering and uniform families.

This package is the reference world for the transformer compiler and never imports `expressivity`.
File formats live in `circuits.io` (read_circuit / write_circuit are exported from there).
"""

from circuits.analysis import CircuitStats, depth, levels, size, stats
from circuits.errors import CircuitError, NetlistError
from circuits.evaluation import evaluate, evaluate_batch, net_values, net_values_batch
from circuits.graph import from_networkx, to_networkx
from circuits.ir import Circuit, CircuitBuilder, Gate, Op
from circuits.lower_threshold import to_threshold

__all__ = [
    "Circuit",
    "CircuitBuilder",
    "CircuitError",
    "CircuitStats",
    "Gate",
    "NetlistError",
    "Op",
    "depth",
    "evaluate",
    "evaluate_batch",
    "from_networkx",
    "levels",
    "net_values",
    "net_values_batch",
    "size",
    "stats",
    "to_networkx",
    "to_threshold",
]
