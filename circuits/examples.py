"""Small named circuits used by the demo and the docs.

`c17` is the smallest ISCAS-85 benchmark (Brglez and Fujiwara, 1985): 5 inputs, 6 two-input NAND
gates, 2 outputs, written out gate by gate from its published netlist. The tests check it against the
c17.bench file in examples/circuits/iscas85 and against its truth table.
"""

from __future__ import annotations

from circuits.ir import Circuit, Gate, Op


def c17() -> Circuit:
    inputs = [Gate(name, Op.INPUT) for name in ("1", "2", "3", "6", "7")]
    nands = [
        ("10", ("1", "3")),
        ("11", ("3", "6")),
        ("16", ("2", "11")),
        ("19", ("11", "7")),
        ("22", ("10", "16")),
        ("23", ("16", "19")),
    ]
    gates = [Gate(name, Op.NAND, fanin) for name, fanin in nands]
    return Circuit([*inputs, *gates], {"22": "22", "23": "23"}, name="c17")
