"""ISCAS `.bench` netlists: read and write.

A file is a list of lines, each one of

    INPUT(x)            a primary input; the circuit's inputs come in the order of these lines
    OUTPUT(y)           a primary output named after the net it reads, in the order of these lines
    y = OP(a, b, ...)   a gate, OP one of AND OR NAND NOR XOR XNOR NOT BUF BUFF (ASCII, any case)
    y = vdd | gnd       the constant 1 or 0 (the spelling ABC uses)

with `#` starting a comment. Net names are any run of characters other than blanks, `(`, `)`, `,`, `=`
and `#` (the ISCAS-85 files use plain numbers). Gates may be defined in any order and OUTPUT lines may
come before the net is defined; the reader sorts gates topologically and reports a cycle. `DFF`
(sequential) is rejected. XOR and XNOR may take more than two inputs. A file needs at least one OUTPUT.

The writer emits MAJ and THRESHOLD gates (which `.bench` lacks) as AND/NOT networks (see
`circuits.lower_boolean`), BUF as the ISCAS spelling BUFF, and constants as `vdd`/`gnd`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from circuits.io._naming import comment_line, netlist_ready
from circuits.io._source import (
    Token,
    assemble_circuit,
    check_characters,
    check_has_outputs,
    declare_output,
    decode_utf8,
    define,
    error_at,
    keyword,
    located,
)
from circuits.ir import Circuit, Gate, Op
from circuits.lower_boolean import to_and_inverter

GATE_OPS = {
    "AND": Op.AND,
    "OR": Op.OR,
    "NAND": Op.NAND,
    "NOR": Op.NOR,
    "XOR": Op.XOR,
    "XNOR": Op.XNOR,
    "NOT": Op.NOT,
    "BUF": Op.BUF,
    "BUFF": Op.BUF,
}
CONSTANTS = {"VDD": 1, "GND": 0}
SEQUENTIAL = frozenset({"DFF", "LATCH"})
DECLARATIONS = frozenset({"INPUT", "OUTPUT"})
LEXEME = re.compile(r"[(),=]|[^\s(),=#]+")
NAME = re.compile(r"[^\s(),=#]+")


@dataclass(frozen=True)
class _GateLine:
    """`name = OP(fanin...)` or `name = vdd|gnd` as read, before ordering."""

    output: Token
    op_token: Token
    fanin: tuple[Token, ...]


class _LineReader:
    """Hands out the tokens of one line, reporting what was expected where it is missing."""

    def __init__(self, text: str, line: int, path: str) -> None:
        code = text.split("#", 1)[0].rstrip()
        self.tokens = [Token(m.group(), line, m.start() + 1) for m in LEXEME.finditer(code)]
        self.end = Token("", line, len(code) + 1)
        self.path = path
        self.next = 0

    def take(self, what: str) -> Token:
        if self.next == len(self.tokens):
            raise error_at(self.end, f"expected {what} at the end of the line", self.path)
        token = self.tokens[self.next]
        self.next += 1
        return token

    def name(self, what: str) -> Token:
        token = self.take(what)
        if not NAME.fullmatch(token.text):
            raise error_at(token, f"expected {what}, found {token.text!r}", self.path)
        return token

    def punct(self, char: str) -> Token:
        token = self.take(f"'{char}'")
        if token.text != char:
            raise error_at(token, f"expected '{char}', found {token.text!r}", self.path)
        return token

    def finish(self) -> None:
        if self.next < len(self.tokens):
            token = self.tokens[self.next]
            raise error_at(token, f"unexpected {token.text!r} after the end of the statement", self.path)


def parse_bench(text: str, path: str = "<string>") -> Circuit:
    """Parse `.bench` text into a `Circuit`; a malformed file raises `NetlistError` at the bad token."""
    check_characters(text, path)
    inputs: list[Token] = []
    outputs: list[Token] = []
    gate_lines: dict[str, _GateLine] = {}
    defined: dict[str, Token] = {}
    declared_outputs: dict[str, Token] = {}
    for line_no, text_line in enumerate(text.split("\n"), start=1):
        line = _LineReader(text_line, line_no, path)
        if not line.tokens:
            continue
        head = line.name("INPUT(...), OUTPUT(...) or a gate definition")
        if keyword(head) in DECLARATIONS and len(line.tokens) > 1 and line.tokens[1].text == "(":
            line.punct("(")
            net = line.name("a net name")
            line.punct(")")
            line.finish()
            if keyword(head) == "INPUT":
                define(net, defined, path)
                inputs.append(net)
            else:
                declare_output(net, declared_outputs, path)
                outputs.append(net)
            continue
        line.punct("=")
        op_token = line.name("a gate type")
        kind = keyword(op_token)
        if kind in CONSTANTS:
            fanin: tuple[Token, ...] = ()
        elif kind in GATE_OPS:
            fanin = _argument_list(line)
        elif kind in SEQUENTIAL:
            message = f"{op_token.text} is sequential; only combinational .bench is supported"
            raise error_at(op_token, message, path)
        else:
            raise error_at(op_token, f"unknown gate type {op_token.text!r}", path)
        line.finish()
        define(head, defined, path)
        gate_lines[head.text] = _GateLine(head, op_token, fanin)
    circuit = assemble_circuit(path, None, inputs, outputs, gate_lines, defined, partial(_gate, path))
    check_has_outputs(circuit.outputs, text, path)
    return circuit


def _argument_list(line: _LineReader) -> tuple[Token, ...]:
    line.punct("(")
    fanin = [line.name("a fan-in net name")]
    while line.take("',' or ')'").text == ",":
        fanin.append(line.name("a fan-in net name"))
    closing = line.tokens[line.next - 1]
    if closing.text != ")":
        raise error_at(closing, f"expected ',' or ')', found {closing.text!r}", line.path)
    return tuple(fanin)


def _gate(path: str, gate_line: _GateLine) -> list[Gate]:
    name = gate_line.output.text
    kind = keyword(gate_line.op_token)
    with located(path, gate_line.op_token):
        if kind in CONSTANTS:
            return [Gate(name, Op.CONST, value=CONSTANTS[kind])]
        return [Gate(name, GATE_OPS[kind], tuple(t.text for t in gate_line.fanin))]


def read_bench(path: str | Path) -> Circuit:
    """Read a `.bench` file (UTF-8)."""
    return parse_bench(decode_utf8(Path(path).read_bytes(), str(path)), str(path))


def write_bench(circuit: Circuit) -> str:
    """`.bench` text computing the same function, inputs and outputs in the same order.

    Output names become net names (a BUFF is added where an output's name differs from its net's), and
    nets whose names `.bench` cannot carry are renamed.
    """
    lowered = to_and_inverter(circuit, keep=lambda gate: gate.op not in (Op.MAJ, Op.THRESHOLD))
    ready = netlist_ready(lowered, NAME.fullmatch)
    lines = [comment_line(circuit.name)]
    lines += [f"INPUT({name})" for name in ready.inputs]
    lines += [f"OUTPUT({name})" for name in ready.output_names]
    for gate in ready.gates:
        if gate.op is Op.CONST:
            lines.append(f"{gate.name} = {'vdd' if gate.value else 'gnd'}")
        elif gate.op is not Op.INPUT:
            kind = "BUFF" if gate.op is Op.BUF else gate.op.value
            lines.append(f"{gate.name} = {kind}({', '.join(gate.fanin)})")
    return "\n".join(lines) + "\n"


__all__ = ["parse_bench", "read_bench", "write_bench"]
