"""networkx round trips, the edge encoding of repeated fan-in, and malformed graphs."""

import networkx as nx
import pytest
from hypothesis import given, settings

from circuits import Circuit, CircuitError, Gate, Op, from_networkx, to_networkx
from circuits.evaluation import evaluate
from circuits.strategies import circuits


@settings(max_examples=150)
@given(circuits(max_inputs=6, max_gates=25, max_fanin=5))
def test_round_trip_is_identity(circuit):
    assert from_networkx(to_networkx(circuit)) == circuit


def small() -> Circuit:
    return Circuit(
        [
            Gate("x", Op.INPUT),
            Gate("one", Op.CONST, value=1),
            Gate("y", Op.INPUT),
            Gate("t", Op.THRESHOLD, ("x", "y", "x"), (2, -1, 1), 2),
        ],
        [("out", "t"), ("copy", "y")],
        name="small",
    )


def test_node_and_edge_attributes():
    graph = to_networkx(small())
    assert isinstance(graph, nx.DiGraph)
    assert graph.nodes["t"]["op"] is Op.THRESHOLD
    assert graph.nodes["t"]["weights"] == (2, -1, 1) and graph.nodes["t"]["threshold"] == 2
    assert graph.nodes["one"]["value"] == 1
    assert graph.nodes["x"]["input_index"] == 0 and graph.nodes["y"]["input_index"] == 1
    assert "input_index" not in graph.nodes["t"]
    assert graph.edges["x", "t"]["positions"] == (0, 2)
    assert graph.edges["y", "t"]["positions"] == (1,)
    assert graph.number_of_edges() == 2
    assert graph.graph == {"name": "small", "outputs": (("out", "t"), ("copy", "y"))}


def test_hand_made_graph_without_positions():
    graph = nx.DiGraph(outputs=[("z", "and")])
    graph.add_node("and", op="AND")
    graph.add_node("b", op="INPUT", input_index=1)
    graph.add_node("a", op="INPUT", input_index=0)
    graph.add_edge("b", "and", positions=(0,))
    graph.add_edge("a", "and", positions=(1,))
    circuit = from_networkx(graph)
    assert circuit.inputs == ("a", "b")
    assert circuit.gate("and").fanin == ("b", "a")
    assert evaluate(circuit, {"a": 1, "b": 1}) == {"z": 1}
    assert evaluate(circuit, {"a": 1, "b": 0}) == {"z": 0}


def test_cycle_is_reported_with_a_gate():
    graph = to_networkx(small())
    graph.add_edge("t", "x", positions=(0,))
    with pytest.raises(CircuitError, match=r"cycle through gate '(x|t)'"):
        from_networkx(graph)


def test_missing_fanin_position_names_the_gate():
    graph = to_networkx(small())
    graph.edges["y", "t"]["positions"] = (3,)
    with pytest.raises(CircuitError, match=r"gate 't' has fan-in positions \[0, 2, 3\]"):
        from_networkx(graph)


def test_edge_without_positions():
    graph = to_networkx(small())
    del graph.edges["y", "t"]["positions"]
    with pytest.raises(CircuitError, match="edge 'y' -> 't' has no fan-in positions"):
        from_networkx(graph)


def test_unknown_op_and_missing_op():
    graph = to_networkx(small())
    graph.nodes["t"]["op"] = "MUX"
    with pytest.raises(CircuitError, match="node 't' has unknown op 'MUX'"):
        from_networkx(graph)
    del graph.nodes["t"]["op"]
    with pytest.raises(CircuitError, match="node 't' has no 'op' attribute"):
        from_networkx(graph)


def test_wrong_arity_from_graph_names_the_gate():
    graph = to_networkx(small())
    graph.add_node("n", op=Op.NOT)
    graph.add_edge("x", "n", positions=(0, 1))
    with pytest.raises(CircuitError, match=r"gate 'n' \(NOT\) takes exactly one fan-in net, got 2"):
        from_networkx(graph)


def test_contradicting_input_index():
    graph = to_networkx(small())
    graph.nodes["x"]["input_index"], graph.nodes["y"]["input_index"] = 1, 0
    with pytest.raises(CircuitError, match="contradict input_index"):
        from_networkx(graph)


def test_multigraph_is_refused():
    with pytest.raises(CircuitError, match="not a MultiDiGraph"):
        from_networkx(nx.MultiDiGraph())
