"""Malformed circuits are refused with a CircuitError that names the offending gate or net."""

import pytest

from circuits import Circuit, CircuitBuilder, CircuitError, Gate, NetlistError, Op


def test_undefined_net():
    with pytest.raises(CircuitError, match="gate 'g' reads net 'nowhere', which is not defined before it"):
        Circuit([Gate("x", Op.INPUT), Gate("g", Op.AND, ("x", "nowhere"))], [("out", "g")])
    with pytest.raises(CircuitError, match="output 'out' reads undefined net 'h'"):
        Circuit([Gate("x", Op.INPUT)], [("out", "h")])


def test_net_defined_after_its_reader():
    with pytest.raises(CircuitError, match="gate 'g' reads net 'y'"):
        Circuit([Gate("x", Op.INPUT), Gate("g", Op.OR, ("x", "y")), Gate("y", Op.INPUT)], [])


def test_duplicate_names():
    with pytest.raises(CircuitError, match="net 'x' is defined twice"):
        Circuit([Gate("x", Op.INPUT), Gate("x", Op.NOT, ("x",))], [])
    b = CircuitBuilder()
    b.input("x")
    with pytest.raises(CircuitError, match="net 'x' is defined twice"):
        b.input("x")
    with pytest.raises(CircuitError, match="output 'o' is declared twice"):
        Circuit([Gate("x", Op.INPUT)], [("o", "x"), ("o", "x")])


def test_wrong_arities():
    with pytest.raises(CircuitError, match=r"gate 'n' \(NOT\) takes exactly one fan-in net, got 2"):
        Gate("n", Op.NOT, ("a", "b"))
    with pytest.raises(CircuitError, match=r"gate 'a' \(AND\) needs at least one fan-in net"):
        Gate("a", Op.AND, ())
    with pytest.raises(CircuitError, match=r"gate 'x' \(INPUT\) takes no fan-in, got 1"):
        Gate("x", Op.INPUT, ("y",))
    with pytest.raises(CircuitError, match=r"gate 't' \(THRESHOLD\) has 2 fan-in nets but 1 weights"):
        Gate("t", Op.THRESHOLD, ("a", "b"), (1,), 1)


def test_netlist_error_is_a_circuit_error_with_a_location():
    err = NetlistError("unknown gate kind MUX", "c.bench", 3, 7)
    assert isinstance(err, CircuitError)
    assert str(err) == "c.bench:3:7: unknown gate kind MUX"
