"""Circuits as JSON-ready dictionaries, so a compiled model file can carry the circuit it was compiled
from (and `expressivity verify` can evaluate that circuit, not something derived from it).

Format: {"name": str, "gates": [[name, op, fanin, weights or null, threshold or null, value or null]...],
"outputs": [[output name, net name]...]}, gates in circuit order.
"""

from __future__ import annotations

from typing import Any

from circuits.errors import CircuitError
from circuits.ir import Circuit, Gate, Op


def circuit_to_dict(circuit: Circuit) -> dict[str, Any]:
    gates = [
        [g.name, g.op.value, list(g.fanin), g.weights and list(g.weights), g.threshold, g.value]
        for g in circuit.gates
    ]
    return {"name": circuit.name, "gates": gates, "outputs": [list(pair) for pair in circuit.outputs]}


def circuit_from_dict(data: Any) -> Circuit:
    """The circuit of `circuit_to_dict`; raises CircuitError naming the entry that is malformed.

    Strict, as the dictionary comes from a file: exactly the keys name, gates and outputs; names and ops
    are strings, fan-ins lists of strings, weights, thresholds and values integers (not floats, strings
    or booleans) or null; at least one output.
    """
    if not isinstance(data, dict) or set(data) != {"name", "gates", "outputs"}:
        found = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise CircuitError(f"a circuit must be an object with exactly name, gates and outputs, got {found}")
    if not isinstance(data["name"], str) or not isinstance(data["gates"], list):
        raise CircuitError("a circuit's name must be a string and its gates a list")
    gates = [_gate(index, entry) for index, entry in enumerate(data["gates"])]
    outputs = data["outputs"]
    if not isinstance(outputs, list) or not outputs or not all(_is_pair(pair) for pair in outputs):
        raise CircuitError("outputs must be a non-empty list of [output name, net name] string pairs")
    return Circuit(gates, [tuple(pair) for pair in outputs], name=data["name"])


def _is_integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_pair(pair: object) -> bool:
    return isinstance(pair, list) and len(pair) == 2 and all(isinstance(name, str) for name in pair)


def _gate(index: int, entry: object) -> Gate:
    """Gate #index from its [name, op, fanin, weights, threshold, value] entry, types checked."""
    if not (isinstance(entry, list) and len(entry) == 6):
        raise CircuitError(f"gate #{index}: expected [name, op, fanin, weights, threshold, value]")
    name, op, fanin, weights, threshold, value = entry
    checks = {
        "name": isinstance(name, str),
        "op": isinstance(op, str) and op in {kind.value for kind in Op},
        "fanin": isinstance(fanin, list) and all(isinstance(net, str) for net in fanin),
        "weights": weights is None or (isinstance(weights, list) and all(map(_is_integer, weights))),
        "threshold": threshold is None or _is_integer(threshold),
        "value": value is None or _is_integer(value),
    }
    wrong = next((field for field, passed in checks.items() if not passed), None)
    if wrong is not None:
        raise CircuitError(f"gate #{index} ({name!r}): its {wrong} has the wrong type or value")
    try:
        return Gate(name, Op(op), tuple(fanin), weights, threshold, value)
    except CircuitError as err:
        raise CircuitError(f"gate #{index} ({name!r}): {err}") from None
