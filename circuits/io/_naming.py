"""Names on the way in and out of files whose outputs are identified by net names (.bench, BLIF, .th).

In the IR an output has its own name and reads some net; in these formats an output *is* a net. So the
writers first make every output read a net of its own name (adding a buffer where they differ) and
rename nets whose names the format cannot carry or that stand in an output's way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath

from circuits.ir import Circuit, Gate, Op
from circuits.naming import FreshNames


def circuit_name_from_path(path: str) -> str:
    """The file's stem ('c17' for '.../c17.bench'), or 'circuit' for text not read from a file."""
    return PurePath(path).stem if path != "<string>" else "circuit"


def comment_line(text: str, marker: str = "#") -> str:
    """`text` as a one-line comment."""
    return f"{marker} {' '.join(text.split())}"


def netlist_ready(circuit: Circuit, is_legal: Callable[[str], object]) -> Circuit:
    """An equivalent circuit whose every output reads the net of its own name, all names legal.

    Inputs keep their positions and outputs their order; an input is renamed only when its name is not
    legal or an output of that name reads another net. Illegal output names are replaced too.
    """
    taken = {gate.name for gate in circuit.gates} | set(circuit.output_names)
    fresh = FreshNames(taken)
    outputs = [(name if is_legal(name) else fresh("out"), net) for name, net in circuit.outputs]
    reads = dict(outputs)
    renamed = {
        gate.name: fresh("n")
        for gate in circuit.gates
        if not is_legal(gate.name) or reads.get(gate.name, gate.name) != gate.name
    }

    def new(name: str) -> str:
        return renamed.get(name, name)

    gates = [
        Gate(new(g.name), g.op, tuple(new(s) for s in g.fanin), g.weights, g.threshold, g.value)
        for g in circuit.gates
    ]
    for name, net in outputs:
        if name != new(net):
            gates.append(Gate(name, Op.BUF, (new(net),)))
    return Circuit(gates, [(name, name) for name, _ in outputs], name=circuit.name)


def model_header(circuit: Circuit, ready: Circuit, is_legal: Callable[[str], object]) -> list[str]:
    """The lines BLIF and `.th` open with: the circuit's name as a comment, `.model`, `.inputs`, `.outputs`.

    `ready` is `circuit` after `netlist_ready`; the model takes the circuit's name if it is legal.
    """
    model = circuit.name if is_legal(circuit.name) else "circuit"
    return [
        comment_line(circuit.name),
        f".model {model}",
        ".inputs " + " ".join(ready.inputs),
        ".outputs " + " ".join(ready.output_names),
    ]
