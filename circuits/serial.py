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
    """The circuit of `circuit_to_dict`; raises CircuitError naming the entry that is malformed."""
    if not isinstance(data, dict) or not isinstance(data.get("gates"), list):
        raise CircuitError("a circuit must be an object with a list of gates")
    gates = []
    for index, entry in enumerate(data["gates"]):
        if not (isinstance(entry, list) and len(entry) == 6):
            raise CircuitError(f"gate #{index}: expected [name, op, fanin, weights, threshold, value]")
        name, op, fanin, weights, threshold, value = entry
        try:
            gates.append(Gate(name, Op(op), tuple(fanin), weights, threshold, value))
        except (ValueError, TypeError) as err:
            raise CircuitError(f"gate #{index} ({name!r}): {err}") from None
    outputs = data.get("outputs", [])
    if not isinstance(outputs, list) or not all(isinstance(p, list) and len(p) == 2 for p in outputs):
        raise CircuitError("outputs must be a list of [output name, net name] pairs")
    return Circuit(gates, [tuple(p) for p in outputs], name=str(data.get("name", "circuit")))
