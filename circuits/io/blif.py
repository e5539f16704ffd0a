"""BLIF (Berkeley Logic Interchange Format), combinational subset: read and write.

Read: `.model name`, `.inputs a b ...`, `.outputs y ...` (each may repeat), `.names in_1 ... in_n out`
followed by its cover rows, and `.end`. A `\\` at the end of a line continues it on the next line and
`#` starts a comment. A cover row is an input plane of n characters from `0 1 -` (`-`: don't care)
and an output value; all rows of one cover share that value: 1 lists the ON-set (out = OR of the row
products), 0 the OFF-set (out = NOR of the row products); a cover with no rows is the constant 0, and
`.names x` followed by the row `1` the constant 1. `.names` blocks may come in any order; they are
sorted topologically and a cycle is reported. The circuit's inputs follow `.inputs`, its outputs
`.outputs`, each output named after its net.

Only one model per file: a second `.model` is rejected (hierarchical BLIF needs `.subckt`, which is
sequential/hierarchical and rejected like `.latch`, `.mlatch`, `.gate`, `.clock`, ...). Any other
directive is rejected as unknown, and so is a file without outputs.

Each cover becomes a few IR gates: a one-row cover is one AND (NOR when all its literals are negated,
NAND/OR for an OFF-set row, BUF/NOT for a single literal); a cover of several rows is an OR (NOR for
an OFF-set) over its rows, rows of one literal used directly and wider rows as AND helper gates; a
negated literal reads one shared NOT helper per net. Helper nets get fresh names (`<net>_n`, `<out>_p`).

Write: every gate becomes one `.names` over its distinct fan-in nets. AND, OR, NAND, NOR, BUF and NOT
get their one-row or k-row covers; XOR, XNOR, MAJ and THRESHOLD are written by truth table (the ON-set
or OFF-set minterms, whichever is shorter), so those with more than 10 distinct fan-in nets are first
rewritten into AND/NOT gates by `circuits.lower_boolean`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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
    located,
    logical_lines,
)
from circuits.ir import Circuit, Gate, Op
from circuits.lower_boolean import to_and_inverter
from circuits.naming import FreshNames

NAME = re.compile(r"[^\s#\\]+")
UNSUPPORTED = frozenset(
    {
        ".latch",
        ".mlatch",
        ".clock",
        ".clock_event",
        ".subckt",
        ".gate",
        ".search",
        ".exdc",
        ".start_kiss",
        ".end_kiss",
        ".cycle",
    }
)
TRUTH_TABLE_OPS = frozenset({Op.XOR, Op.XNOR, Op.MAJ, Op.THRESHOLD})
MAX_TRUTH_TABLE_FANIN = 10


@dataclass(frozen=True)
class _Cover:
    """One `.names` block: its output net, input nets and (input plane, output value) rows."""

    output: Token
    fanin: tuple[Token, ...]
    rows: tuple[tuple[Token, Token], ...]


def parse_blif(text: str, path: str = "<string>") -> Circuit:
    """Parse BLIF text into a `Circuit`; a malformed file raises `NetlistError` at the bad token."""
    check_characters(text, path)
    reader = BlifLikeReader(logical_lines(text), path)
    covers: dict[str, _Cover] = {}
    for directive, line in reader.directives():
        head = line[0]
        if not directive.startswith("."):
            raise error_at(head, f"expected a directive such as .names, found {head.text!r}", path)
        if directive == ".names":
            rows = []
            while (row := reader.row()) is not None:
                rows.append(row)
            cover = _read_cover(line, rows, path)
            define(cover.output, reader.defined, path)
            covers[cover.output.text] = cover
        elif directive in UNSUPPORTED:
            raise error_at(
                head,
                f"{head.text} is not supported: only combinational BLIF is read "
                "(.model .inputs .outputs .names .end)",
                path,
            )
        else:
            raise error_at(head, f"unknown directive {head.text!r}", path)
    builder = _CoverBuilder(path, FreshNames(reader.defined))
    circuit = assemble_circuit(
        path, reader.model, reader.inputs, reader.outputs, covers, reader.defined, builder.gates_for
    )
    check_has_outputs(circuit.outputs, text, path)
    return circuit


def _read_cover(line: list[Token], rows: list[list[Token]], path: str) -> _Cover:
    if len(line) < 2:
        end = Token("", line[0].line, line[0].col + len(line[0].text))
        raise error_at(end, ".names needs at least its output net", path)
    *fanin, output = line[1:]
    parsed: list[tuple[Token, Token]] = []
    for row in rows:
        if fanin:
            if len(row) != 2:
                where = row[2] if len(row) > 2 else row[0]
                raise error_at(
                    where, f"a cover row is an input plane and an output value, got {len(row)} fields", path
                )
            plane, value = row
        else:
            if len(row) != 1:
                raise error_at(row[1], ".names without inputs takes rows of one output value", path)
            plane, value = Token("", row[0].line, row[0].col), row[0]
        if len(plane.text) != len(fanin):
            raise error_at(
                plane, f"input plane has {len(plane.text)} columns but .names lists {len(fanin)} inputs", path
            )
        bad = next((i for i, ch in enumerate(plane.text) if ch not in "01-"), None)
        if bad is not None:
            raise error_at(
                Token(plane.text[bad], plane.line, plane.col + bad),
                f"cover entries are 0, 1 or -, found {plane.text[bad]!r}",
                path,
            )
        if value.text not in ("0", "1"):
            raise error_at(value, f"the output value of a cover row is 0 or 1, found {value.text!r}", path)
        if parsed and value.text != parsed[0][1].text:
            raise error_at(value, "a cover mixes ON-set (1) and OFF-set (0) rows", path)
        parsed.append((plane, value))
    return _Cover(output, tuple(fanin), tuple(parsed))


class _CoverBuilder:
    """Turns covers into IR gates, sharing one NOT helper per negated net."""

    def __init__(self, path: str, fresh: FreshNames) -> None:
        self.path = path
        self.fresh = fresh
        self.negations: dict[str, str] = {}
        self.gates: list[Gate] = []

    def gates_for(self, cover: _Cover) -> list[Gate]:
        """The gates computing `cover`'s net, after the NOT helpers they are the first to read."""
        self.gates = []
        with located(self.path, cover.output):
            self.add(cover)
        return self.gates

    def add(self, cover: _Cover) -> None:
        out = cover.output.text
        names = [t.text for t in cover.fanin]
        products = [
            [(names[i], ch == "1") for i, ch in enumerate(plane.text) if ch != "-"] for plane, _ in cover.rows
        ]
        on_set = not cover.rows or cover.rows[0][1].text == "1"
        if not products:
            self.gates.append(Gate(out, Op.CONST, value=0))
        elif any(not product for product in products):
            self.gates.append(Gate(out, Op.CONST, value=int(on_set)))
        elif len(products) == 1:
            self.product(out, products[0], negated=not on_set)
        else:
            terms = [self.term(out, product) for product in products]
            self.gates.append(Gate(out, Op.OR if on_set else Op.NOR, tuple(terms)))

    def literal(self, net: str, positive: bool) -> str:
        if positive:
            return net
        if net not in self.negations:
            self.negations[net] = self.fresh(f"{net}_n")
            self.gates.append(Gate(self.negations[net], Op.NOT, (net,)))
        return self.negations[net]

    def term(self, out: str, product: list[tuple[str, bool]]) -> str:
        if len(product) == 1:
            return self.literal(*product[0])
        return self.product(self.fresh(f"{out}_p"), product, negated=False)

    def product(self, name: str, product: list[tuple[str, bool]], negated: bool) -> str:
        """Gate `name` = AND of the literals, or its negation."""
        nets = tuple(net for net, _ in product)
        signs = {positive for _, positive in product}
        if len(product) == 1:
            op = Op.BUF if product[0][1] != negated else Op.NOT
        elif signs == {True}:
            op = Op.NAND if negated else Op.AND
        elif signs == {False}:
            op = Op.OR if negated else Op.NOR
        else:
            nets = tuple(self.literal(net, positive) for net, positive in product)
            op = Op.NAND if negated else Op.AND
        self.gates.append(Gate(name, op, nets))
        return name


def read_blif(path: str | Path) -> Circuit:
    """Read a BLIF file (UTF-8)."""
    return parse_blif(decode_utf8(Path(path).read_bytes(), str(path)), str(path))


def write_blif(circuit: Circuit) -> str:
    """BLIF text computing the same function, inputs and outputs in the same order.

    Output names become net names (a buffer is added where an output's name differs from its net's),
    and nets whose names BLIF cannot carry are renamed.
    """

    def writable(gate: Gate) -> bool:
        return gate.op not in TRUTH_TABLE_OPS or len(set(gate.fanin)) <= MAX_TRUTH_TABLE_FANIN

    ready = netlist_ready(to_and_inverter(circuit, keep=writable), NAME.fullmatch)
    lines = model_header(circuit, ready, NAME.fullmatch)
    for gate in ready.gates:
        if gate.op is not Op.INPUT:
            distinct = list(dict.fromkeys(gate.fanin))
            lines.append(" ".join([".names", *distinct, gate.name]))
            lines += _cover_rows(gate, distinct)
    lines.append(".end")
    return "\n".join(lines) + "\n"


def _cover_rows(gate: Gate, distinct: list[str]) -> list[str]:
    width = len(distinct)
    if gate.op is Op.CONST:
        return ["1"] if gate.value else []
    if gate.op in (Op.BUF, Op.NOT):
        return ["1 1" if gate.op is Op.BUF else "0 1"]
    if gate.op in (Op.AND, Op.NAND):
        return ["1" * width + (" 1" if gate.op is Op.AND else " 0")]
    if gate.op in (Op.OR, Op.NOR):
        return ["0" * width + (" 0" if gate.op is Op.OR else " 1")]
    on_set, off_set = [], []
    for minterm in range(2**width):
        bits = {net: minterm >> (width - 1 - i) & 1 for i, net in enumerate(distinct)}
        plane = "".join(str(bits[net]) for net in distinct)
        (on_set if _truth_table_value(gate, bits) else off_set).append(plane)
    if not off_set:
        return ["-" * width + " 1"]
    if len(on_set) <= len(off_set):
        return [plane + " 1" for plane in on_set]
    return [plane + " 0" for plane in off_set]


def _truth_table_value(gate: Gate, bits: dict[str, int]) -> bool:
    """XOR, XNOR, MAJ or THRESHOLD on `bits` (a net read twice counts twice, as in the IR)."""
    weights = gate.weights if gate.op is Op.THRESHOLD else (1,) * len(gate.fanin)
    total = sum(w * bits[net] for net, w in zip(gate.fanin, weights, strict=True))
    if gate.op is Op.XOR:
        return total % 2 == 1
    if gate.op is Op.XNOR:
        return total % 2 == 0
    if gate.op is Op.MAJ:
        return total >= len(gate.fanin) // 2 + 1
    return total >= gate.threshold


__all__ = ["parse_blif", "read_blif", "write_blif"]
