"""Converting circuits to and from networkx graphs.

`to_networkx(circuit)` gives an `nx.DiGraph` with

- one node per net, keyed by net name, with attributes `op` (an `Op`), `weights`, `threshold`, `value`
  (as in `Gate`, None where unused), `position` (index in `circuit.gates`) and, for INPUT nodes only,
  `input_index` (index in `circuit.inputs`);
- one edge u -> v for each distinct net u that gate v reads, with attribute `positions`: the sorted
  tuple of fan-in positions at which v reads u. A net read twice (AND(x, x)) is one edge with
  positions (0, 1), so a plain DiGraph carries repeated fan-in without loss;
- graph attributes `name` (the circuit name) and `outputs` (the tuple of (output name, net) pairs).

`from_networkx(graph)` reverses this. Gate order is a topological order of the graph, ties broken by
`position`, then `input_index`, then node name, so a graph from `to_networkx` gives back an equal
Circuit, and a hand-made graph without positions lists its inputs in `input_index` order first
(positions that contradict input_index are an error). Every edge must carry its `positions`; none
are guessed. A graph without `outputs` gives a circuit with no outputs.
"""

from __future__ import annotations

import math

import networkx as nx

from circuits.errors import CircuitError
from circuits.ir import Circuit, Gate, Op


def to_networkx(circuit: Circuit) -> nx.DiGraph:
    """The DiGraph of `circuit`, as described in the module docstring."""
    graph = nx.DiGraph(name=circuit.name, outputs=circuit.outputs)
    input_index = {name: i for i, name in enumerate(circuit.inputs)}
    for position, gate in enumerate(circuit.gates):
        attributes = {
            "op": gate.op,
            "weights": gate.weights,
            "threshold": gate.threshold,
            "value": gate.value,
            "position": position,
        }
        if gate.op is Op.INPUT:
            attributes["input_index"] = input_index[gate.name]
        graph.add_node(gate.name, **attributes)
        read_at: dict[str, list[int]] = {}
        for slot, source in enumerate(gate.fanin):
            read_at.setdefault(source, []).append(slot)
        for source, slots in read_at.items():
            graph.add_edge(source, gate.name, positions=tuple(slots))
    return graph


def _fanin(graph: nx.DiGraph, node: str) -> tuple[str, ...]:
    """Fan-in nets of `node` in position order, checking the positions form 0..k-1 exactly once."""
    slots: dict[int, str] = {}
    for source, _, data in graph.in_edges(node, data=True):
        positions = data.get("positions")
        if not positions:
            raise CircuitError(f"edge {source!r} -> {node!r} has no fan-in positions")
        for slot in positions:
            if slot in slots:
                raise CircuitError(f"gate {node!r} has two edges for fan-in position {slot}")
            slots[slot] = source
    if sorted(slots) != list(range(len(slots))):
        raise CircuitError(f"gate {node!r} has fan-in positions {sorted(slots)}, not 0..{len(slots) - 1}")
    return tuple(slots[i] for i in range(len(slots)))


def _gate(graph: nx.DiGraph, node: str) -> Gate:
    data = graph.nodes[node]
    if "op" not in data:
        raise CircuitError(f"node {node!r} has no 'op' attribute")
    try:
        op = Op(data["op"])
    except ValueError:
        raise CircuitError(f"node {node!r} has unknown op {data['op']!r}") from None
    return Gate(
        str(node), op, _fanin(graph, node), data.get("weights"), data.get("threshold"), data.get("value")
    )


def from_networkx(graph: nx.DiGraph) -> Circuit:
    """The Circuit described by `graph` (see the module docstring); CircuitError if it is not one."""
    if graph.is_multigraph():
        raise CircuitError("from_networkx needs a DiGraph with 'positions' on each edge, not a MultiDiGraph")
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        cycle = None
    if cycle:
        nodes = " -> ".join(str(u) for u, _ in cycle) + f" -> {cycle[0][0]}"
        raise CircuitError(f"the graph has a cycle through gate {cycle[0][0]!r}: {nodes}")

    def order(node: str) -> tuple[float, float, str]:
        data = graph.nodes[node]
        return (data.get("position", math.inf), data.get("input_index", math.inf), str(node))

    gates = [_gate(graph, node) for node in nx.lexicographical_topological_sort(graph, key=order)]
    indexed = [g.name for g in gates if g.op is Op.INPUT and "input_index" in graph.nodes[g.name]]
    if indexed != sorted(indexed, key=lambda name: graph.nodes[name]["input_index"]):
        raise CircuitError(f"input positions contradict input_index among inputs {indexed}")
    return Circuit(gates, graph.graph.get("outputs", ()), name=graph.graph.get("name", "circuit"))
