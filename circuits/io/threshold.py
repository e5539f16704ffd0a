"""Threshold netlists in the `.th` format: read and write.

There is no single standard for threshold-gate netlists. This is the BLIF-like `.th` format of threABC
(N.-Z. Lee et al., "Analytic approaches to the collapse operation and equivalence verification of
threshold logic circuits", ICCAD 2016), made precise here:

    # a comment (anywhere, to the end of the line); a trailing \\ continues a line
    .model majority3
    .inputs a b c           (threABC spells it .input; both are read)
    .outputs y              (or .output)
    .threshold a b c y      fan-in nets, then the gate's own net
    1 1 1 2                 one integer weight per fan-in net, then the threshold t
    .end

meaning y = [1*a + 1*b + 1*c >= 2]: a gate is 1 iff sum_i w_i x_i >= t. Weights and thresholds are
any integers, written with the ASCII digits 0-9, at most 4300 of them (a negative weight inhibits:
`.threshold a b y` / `1 -1 1` is a AND NOT b). A gate with no fan-in is a constant, [0 >= t]:
`.threshold one` / `0` is 1 and `.threshold zero` / `1` is 0. Gates may come in any order (they are
sorted topologically; a cycle is an error), each output is the net of its name, and the circuit's
inputs follow `.inputs`. threABC writes a free-text title as the first line; a first line that does
not start with `.` is read as such a title and ignored. A file without outputs is an error (so a text
file that is not a netlist is not read as an empty circuit).

The writer turns every gate into threshold gates with `circuits.lower_threshold.to_threshold` (XOR
and XNOR get helper gates; the others map one to one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from circuits.io._naming import model_header, netlist_ready
from circuits.io._source import (
    BlifLikeReader,
    Token,
    assemble_circuit,
    check_characters,
    check_has_outputs,
    decode_utf8,
    define,
    error_at,
    integer,
    located,
    logical_lines,
)
from circuits.ir import Circuit, Gate, Op
from circuits.lower_threshold import to_threshold

NAME = re.compile(r"[^\s#\\]+")
INPUT_DIRECTIVES = frozenset({".inputs", ".input"})
OUTPUT_DIRECTIVES = frozenset({".outputs", ".output"})


@dataclass(frozen=True)
class _ThresholdLine:
    """One `.threshold` block as read: output net, fan-in nets, weights and threshold."""

    output: Token
    fanin: tuple[Token, ...]
    weights: tuple[int, ...]
    threshold: int


def parse_threshold(text: str, path: str = "<string>") -> Circuit:
    """Parse `.th` text into a `Circuit`; a malformed file raises `NetlistError` at the bad token."""
    check_characters(text, path)
    lines = logical_lines(text)
    if lines and lines[0][0].line == 1 and not lines[0][0].text.startswith("."):
        lines = lines[1:]
    reader = BlifLikeReader(lines, path, INPUT_DIRECTIVES, OUTPUT_DIRECTIVES)
    gates: dict[str, _ThresholdLine] = {}
    for directive, line in reader.directives():
        head = line[0]
        if directive == ".threshold":
            weight_line = reader.row()
            if weight_line is None:
                end = line[-1]
                message = "a .threshold line must be followed by a line of weights and the threshold"
                raise error_at(Token("", end.line, end.col + len(end.text)), message, path)
            gate = _read_gate(line, weight_line, path)
            define(gate.output, reader.defined, path)
            gates[gate.output.text] = gate
        elif directive.startswith("."):
            raise error_at(
                head,
                f"unknown directive {head.text!r} (a .th file has .model .inputs .outputs .threshold .end)",
                path,
            )
        else:
            raise error_at(head, f"expected a directive such as .threshold, found {head.text!r}", path)
    circuit = assemble_circuit(
        path, reader.model, reader.inputs, reader.outputs, gates, reader.defined, partial(_gates, path)
    )
    check_has_outputs(circuit.outputs, text, path)
    return circuit


def _read_gate(line: list[Token], weight_line: list[Token], path: str) -> _ThresholdLine:
    if len(line) < 2:
        end = Token("", line[0].line, line[0].col + len(line[0].text))
        raise error_at(end, ".threshold needs at least its output net", path)
    *fanin, output = line[1:]
    numbers = [integer(token, "a weight or threshold", path) for token in weight_line]
    expected = len(fanin) + 1
    if len(weight_line) != expected:
        where = weight_line[expected] if len(weight_line) > expected else weight_line[-1]
        message = (
            f"expected {len(fanin)} weights and a threshold ({expected} integers), found {len(weight_line)}"
        )
        raise error_at(where, message, path)
    return _ThresholdLine(output, tuple(fanin), tuple(numbers[:-1]), numbers[-1])


def _gates(path: str, gate: _ThresholdLine) -> list[Gate]:
    name = gate.output.text
    with located(path, gate.output):
        if gate.fanin:
            return [Gate(name, Op.THRESHOLD, tuple(t.text for t in gate.fanin), gate.weights, gate.threshold)]
        return [Gate(name, Op.CONST, value=int(gate.threshold <= 0))]


def read_threshold(path: str | Path) -> Circuit:
    """Read a `.th` file (UTF-8)."""
    return parse_threshold(decode_utf8(Path(path).read_bytes(), str(path)), str(path))


def write_threshold(circuit: Circuit) -> str:
    """`.th` text computing the same function, inputs and outputs in the same order.

    Output names become net names (a buffer gate [x >= 1] is added where an output's name differs from
    its net's), and nets whose names the format cannot carry are renamed.
    """
    ready = to_threshold(netlist_ready(circuit, NAME.fullmatch))
    lines = model_header(circuit, ready, NAME.fullmatch)
    for gate in ready.gates:
        if gate.op is Op.CONST:
            lines += [f".threshold {gate.name}", "0" if gate.value else "1"]
        elif gate.op is Op.THRESHOLD:
            lines.append(" ".join([".threshold", *gate.fanin, gate.name]))
            lines.append(" ".join(str(number) for number in (*gate.weights, gate.threshold)))
    lines.append(".end")
    return "\n".join(lines) + "\n"


__all__ = ["parse_threshold", "read_threshold", "write_threshold"]
