"""AIGER 1.9 and-inverter graphs, ASCII (`.aag`) and binary (`.aig`): read and write.

A file starts with the header `aag M I L O A` (binary: `aig ...`), M the largest variable index, I/L/O/A
the numbers of inputs, latches, outputs and AND gates, optionally followed by the 1.9 fields B C J F
(bad-state properties, invariant constraints, justice and fairness properties). Only combinational
graphs are read: L, B, C, J and F must be 0 (absent fields count as 0); a non-zero one is reported at
its place in the header. Numbers are ASCII decimal, at most 20 digits. O must be at least 1 (a circuit
without outputs computes nothing). The header's counts are checked against the file's size before
anything is allocated: every input, output and AND line of an ASCII file is a line of its own, every
binary output line takes at least 2 bytes and every binary AND gate at least 2 (one per delta). Binary
inputs take no bytes at all, so their number is capped at `MAX_BINARY_INPUTS`. A literal is 2v
(variable v) or 2v+1 (its negation); 0 and 1 are the constants false and true.

ASCII: I lines with an input literal, O lines with an output literal, A lines `lhs rhs0 rhs1`, in any
order as long as they are acyclic. Binary: inputs are implicitly 2, 4, ..., 2I; outputs are ASCII
lines as above; then the ANDs, whose lhs are implicitly 2(I+L+1), 2(I+L+2), ..., each written as the
two deltas lhs - rhs0 and rhs0 - rhs1 (lhs > rhs0 >= rhs1) in 7-bit groups, low group first, the high
bit set on every byte but the last. Both end in an optional symbol table (`i<k> name`, `o<k> name`)
and an optional comment section starting with a line `c`.

The circuit's inputs are named from the symbol table, else i0, i1, ...; its outputs likewise, else o0,
o1, ... (a default that clashes with a symbol gets a suffix). The net of an AND with lhs 2v is called
`n<2v>`; each complemented literal 2v+1 that is read becomes one NOT gate `n<2v+1>`, and a constant
literal a CONST gate `n0`/`n1` (the prefix `n` grows to `n_` if an input name would clash).

The writers rewrite the circuit into INPUT/CONST/2-input AND/NOT gates (`circuits.lower_boolean`),
number inputs first and ANDs in topological order (so lhs > rhs0 >= rhs1 as binary AIGER needs) and
turn NOT into literal complement. Input and output names go to the symbol table unless they contain a
line break.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from circuits.errors import NetlistError
from circuits.io._naming import circuit_name_from_path
from circuits.io._source import (
    CONTROL,
    CycleFound,
    Token,
    check_characters,
    decode_utf8,
    describe_cycle,
    error_at,
    integer,
    position,
    topological_order,
    words,
)
from circuits.ir import Circuit, Gate, Op
from circuits.lower_boolean import to_and_inverter
from circuits.naming import FreshNames

HEADER_FIELDS = ("M", "I", "L", "O", "A", "B", "C", "J", "F")
UNSUPPORTED_FIELDS = {
    "L": "latches",
    "B": "bad-state properties",
    "C": "invariant constraints",
    "J": "justice properties",
    "F": "fairness constraints",
}
SYMBOL = re.compile(r"([a-z])([0-9]+) (.*)")
MAX_DELTA_BYTES = 5
MAX_DIGITS = 20
MAX_BINARY_INPUTS = 100_000
"""Most inputs a binary file may declare: they take no bytes, so the file's size does not bound them."""


@dataclass(frozen=True)
class _Header:
    counts: dict[str, int]
    tokens: dict[str, Token]

    @property
    def max_literal(self) -> int:
        return 2 * self.counts["M"] + 1


@dataclass(frozen=True)
class _Graph:
    """What a file says, before naming: input literals, ANDs in topological order, output literals."""

    inputs: list[int]
    ands: list[tuple[int, int, int]]
    outputs: list[int]


def _header(tokens: list[Token], end: Token, magic: str, path: str) -> _Header:
    if not tokens or tokens[0].text != magic:
        where = tokens[0] if tokens else end
        raise error_at(where, f"expected the header '{magic} M I L O A'", path)
    values = tokens[1:]
    if len(values) < 5:
        raise error_at(end, f"the header needs M I L O A, found {len(values)} numbers", path)
    if len(values) > len(HEADER_FIELDS):
        raise error_at(
            values[len(HEADER_FIELDS)], "the header has at most 9 numbers (M I L O A B C J F)", path
        )
    counts: dict[str, int] = dict.fromkeys(HEADER_FIELDS, 0)
    places: dict[str, Token] = {}
    for field, token in zip(HEADER_FIELDS, values, strict=False):
        counts[field] = _unsigned(token, f"header field {field}", path)
        places[field] = token
    for field, what in UNSUPPORTED_FIELDS.items():
        if counts[field]:
            message = f"{what} are not supported (combinational AIGER only), but {field} = {counts[field]}"
            raise error_at(places[field], message, path)
    needed = counts["I"] + counts["A"]
    if counts["M"] < needed or (magic == "aig" and counts["M"] != needed):
        relation = "=" if magic == "aig" else ">="
        message = f"M = {counts['M']} but the header needs M {relation} I + L + A = {needed}"
        raise error_at(places["M"], message, path)
    return _Header(counts, places)


def _check_has_outputs(header: _Header, path: str) -> None:
    if header.counts["O"] == 0:
        message = "O = 0: the file declares no outputs (a circuit needs at least one)"
        raise error_at(header.tokens["O"], message, path)


def _unsigned(token: Token, what: str, path: str) -> int:
    return integer(token, what, path, max_digits=MAX_DIGITS, signed=False)


def _check_size(header: _Header, needed: int, available: int, unit: str, fields: str, path: str) -> None:
    """The counts in `fields` need `needed` `unit`s of the file, which has `available`: an error at the
    largest of those header fields if it is too short (before anything is allocated)."""
    if needed <= available:
        return
    field = max(fields, key=lambda name: header.counts[name])
    declared = ", ".join(f"{name} = {header.counts[name]}" for name in fields)
    message = f"the header declares {declared}, which needs {needed} {unit}; the file has {available}"
    raise error_at(header.tokens[field], message, path)


def _literal(token: Token, header: _Header, what: str, path: str) -> int:
    value = _unsigned(token, what, path)
    if value > header.max_literal:
        message = f"{what} {value} is larger than 2M+1 = {header.max_literal}"
        raise error_at(token, message, path)
    return value


class _Lines:
    """The text lines of a file, handed out one at a time with their tokens."""

    def __init__(self, lines: list[str], first_line: int, path: str) -> None:
        self.lines = lines
        self.first_line = first_line
        self.next = 0
        self.path = path

    def numbers(self, count: int, what: str) -> list[Token]:
        """The next line, which must hold exactly `count` fields describing `what` (the header's counts
        were checked against the number of lines, so there is one)."""
        line_no = self.first_line + self.next
        text = self.lines[self.next].rstrip("\r")
        self.next += 1
        tokens = words(text, line_no)
        if len(tokens) < count:
            end = Token("", line_no, len(text) + 1)
            raise error_at(end, f"expected {what}, found {len(tokens)} of {count} numbers", self.path)
        if len(tokens) > count:
            raise error_at(tokens[count], f"unexpected {tokens[count].text!r} after {what}", self.path)
        return tokens

    def rest(self) -> list[str]:
        return self.lines[self.next :]


def parse_aag(text: str, path: str = "<string>") -> Circuit:
    """Parse ASCII AIGER text into a `Circuit`; a malformed file raises `NetlistError` at the bad token."""
    check_characters(text, path)
    lines = _Lines(text.split("\n"), 1, path)
    first = lines.lines[0].rstrip("\r")
    header = _header(words(first, 1), Token("", 1, len(first) + 1), "aag", path)
    lines.next = 1
    counts = header.counts
    needed = counts["I"] + counts["O"] + counts["A"]
    _check_size(header, needed, len(lines.lines) - 1, "lines after the header", "IOA", path)
    defined: dict[int, Token] = {}
    inputs = []
    for k in range(counts["I"]):
        (token,) = lines.numbers(1, f"input literal {k}")
        literal = _literal(token, header, "input literal", path)
        _define(literal, token, defined, "input", path)
        inputs.append(literal)
    output_tokens = [lines.numbers(1, f"output literal {k}")[0] for k in range(counts["O"])]
    outputs = [_literal(token, header, "output literal", path) for token in output_tokens]
    and_tokens: dict[int, tuple[Token, Token, Token]] = {}
    for k in range(counts["A"]):
        lhs_token, *rhs_tokens = lines.numbers(3, f"AND gate {k} (lhs rhs0 rhs1)")
        lhs = _literal(lhs_token, header, "AND lhs literal", path)
        for token in rhs_tokens:
            _literal(token, header, "AND rhs literal", path)
        _define(lhs, lhs_token, defined, "AND lhs", path)
        and_tokens[lhs >> 1] = (lhs_token, *rhs_tokens)
    for tokens in and_tokens.values():
        for token in tokens[1:]:
            _check_defined(token, defined, path)
    for token in output_tokens:
        _check_defined(token, defined, path)
    reads = {var: [int(t.text) >> 1 for t in tokens[1:]] for var, tokens in and_tokens.items()}
    try:
        order = topological_order(reads)
    except CycleFound as cycle:
        where = and_tokens[cycle.cycle[0]][0]
        steps = describe_cycle([f"AND {2 * var}" for var in cycle.cycle])
        raise error_at(where, f"combinational cycle through AND gate {where.text}: {steps}", path) from None
    ands = [tuple(int(t.text) for t in and_tokens[var]) for var in order]
    graph = _Graph(inputs, ands, outputs)
    input_names, output_names = _symbols(lines.rest(), lines.first_line + lines.next, 1, counts, path)
    _check_has_outputs(header, path)
    return _build(graph, input_names, output_names, path)


def _define(literal: int, token: Token, defined: dict[int, Token], what: str, path: str) -> None:
    if literal < 2 or literal & 1:
        message = f"{what} must be an even literal >= 2 (a variable, not negated), found {literal}"
        raise error_at(token, message, path)
    if literal >> 1 in defined:
        first = defined[literal >> 1]
        message = f"variable {literal >> 1} (literal {literal}) is defined twice (first on line {first.line})"
        raise error_at(token, message, path)
    defined[literal >> 1] = token


def _check_defined(token: Token, defined: dict[int, Token], path: str) -> None:
    variable = int(token.text) >> 1
    if variable and variable not in defined:
        message = f"literal {token.text} reads variable {variable}, which is neither an input nor an AND gate"
        raise error_at(token, message, path)


def parse_aig(data: bytes, path: str = "<string>") -> Circuit:
    """Parse binary AIGER bytes into a `Circuit`; a malformed file raises `NetlistError` where it is bad."""
    header_end = data.find(b"\n")
    if header_end < 0:
        line, col = position(data, len(data))
        raise NetlistError("the file ends inside the header line", path, line, col)
    first = decode_utf8(data[:header_end], path)
    check_characters(first, path)
    header = _header(words(first, 1), Token("", 1, len(first) + 1), "aig", path)
    counts = header.counts
    if counts["I"] > MAX_BINARY_INPUTS:
        message = f"I = {counts['I']} inputs: a binary file may declare at most {MAX_BINARY_INPUTS}"
        raise error_at(header.tokens["I"], message, path)
    offset = header_end + 1
    needed = 2 * (counts["O"] + counts["A"]) - 1
    _check_size(header, needed, len(data) - offset, "bytes after the header", "OA", path)
    output_lines = []
    for _ in range(counts["O"]):
        line_end = data.find(b"\n", offset)
        if line_end < 0:
            line_end = len(data)
        output_lines.append(decode_utf8(data[offset:line_end], path))
        offset = line_end + 1
    lines = _Lines(output_lines, 2, path)
    outputs = [
        _literal(lines.numbers(1, f"output literal {k}")[0], header, "output literal", path)
        for k in range(counts["O"])
    ]
    offset = min(offset, len(data))
    ands, offset = _binary_ands(data, offset, counts, path)
    symbols_line, symbols_col = position(data, offset)
    graph = _Graph([2 * (k + 1) for k in range(counts["I"])], ands, outputs)
    text = decode_utf8(data, path, start=offset)
    input_names, output_names = _symbols(text.split("\n"), symbols_line, symbols_col, counts, path)
    _check_has_outputs(header, path)
    return _build(graph, input_names, output_names, path)


def _binary_ands(data: bytes, offset: int, counts: dict[str, int], path: str) -> tuple[list, int]:
    """Decode the delta-encoded AND section starting at `offset`; returns the ANDs and the end offset."""
    ands = []
    first_lhs = 2 * (counts["I"] + counts["L"] + 1)
    for k in range(counts["A"]):
        lhs = first_lhs + 2 * k
        gate_start = offset
        delta0, offset = _delta(data, offset, k, path)
        delta1, offset = _delta(data, offset, k, path)
        if not 0 < delta0 <= lhs or delta1 > lhs - delta0:
            line, col = position(data, gate_start)
            message = f"AND gate {k} (lhs {lhs}) has deltas {delta0}, {delta1}; need lhs > rhs0 >= rhs1 >= 0"
            raise NetlistError(message, path, line, col)
        ands.append((lhs, lhs - delta0, lhs - delta0 - delta1))
    return ands, offset


def _delta(data: bytes, offset: int, gate: int, path: str) -> tuple[int, int]:
    value = 0
    for k in range(MAX_DELTA_BYTES):
        if offset + k >= len(data):
            line, col = position(data, len(data))
            raise NetlistError(
                f"the file ends inside the binary encoding of AND gate {gate}", path, line, col
            )
        byte = data[offset + k]
        value |= (byte & 0x7F) << (7 * k)
        if byte < 0x80:
            return value, offset + k + 1
    line, col = position(data, offset)
    message = f"AND gate {gate}: a delta longer than {MAX_DELTA_BYTES} bytes is not a 32-bit number"
    raise NetlistError(message, path, line, col)


def _symbols(
    lines: list[str], first_line: int, first_col: int, counts: dict[str, int], path: str
) -> tuple[list[str], list[str]]:
    """Input and output names from the symbol table, defaults for the ones it does not give."""
    given: dict[str, dict[int, str]] = {"i": {}, "o": {}}
    taken: dict[str, dict[str, Token]] = {"i": {}, "o": {}}
    for index, raw in enumerate(lines):
        text = raw.rstrip("\r")
        line_no = first_line + index
        col = first_col if index == 0 else 1
        if text == "c":
            break
        if not text:
            continue
        match = SYMBOL.fullmatch(text)
        if match is None:
            message = "expected a symbol 'i<k> name' or 'o<k> name', or 'c' to start the comments"
            raise NetlistError(message, path, line_no, col)
        where = Token(text, line_no, col)
        control = CONTROL.search(text)
        if control:
            character = f"U+{ord(control.group()):04X}"
            message = f"control character {character} is not allowed in a symbol name"
            raise NetlistError(message, path, line_no, col + control.start())
        kind, name = match.group(1), match.group(3)
        number = _unsigned(Token(match.group(2), line_no, col + 1), f"the index of symbol {kind}", path)
        count = {"i": counts["I"], "o": counts["O"]}.get(kind)
        if count is None:
            raise error_at(where, f"unknown symbol kind {kind!r} (a combinational file has i and o)", path)
        if number >= count:
            raise error_at(where, f"symbol {kind}{number}, but the file has {count} of that kind", path)
        if number in given[kind]:
            raise error_at(where, f"symbol {kind}{number} is given twice", path)
        if not name:
            raise error_at(where, f"symbol {kind}{number} has an empty name", path)
        if name in taken[kind]:
            first = taken[kind][name].line
            raise error_at(where, f"name {name!r} is given twice (first on line {first})", path)
        given[kind][number] = name
        taken[kind][name] = where
    return (
        _names(given["i"], counts["I"], "i"),
        _names(given["o"], counts["O"], "o"),
    )


def _names(given: dict[int, str], count: int, default_stem: str) -> list[str]:
    """Names for `count` inputs or outputs: the given ones, `<stem><k>` (made unique) for the others."""
    fresh = FreshNames(given.values())
    return [given[k] if k in given else fresh(f"{default_stem}{k}") for k in range(count)]


def _build(graph: _Graph, input_names: list[str], output_names: list[str], path: str) -> Circuit:
    prefix = "n"
    while any(re.fullmatch(re.escape(prefix) + r"\d+", name) for name in input_names):
        prefix += "_"
    gates = [Gate(name, Op.INPUT) for name in input_names]
    net_of = {literal: name for literal, name in zip(graph.inputs, input_names, strict=True)}

    def net(literal: int) -> str:
        if literal not in net_of:
            name = f"{prefix}{literal}"
            if literal < 2:
                gates.append(Gate(name, Op.CONST, value=literal))
            else:
                gates.append(Gate(name, Op.NOT, (net(literal ^ 1),)))
            net_of[literal] = name
        return net_of[literal]

    for lhs, rhs0, rhs1 in graph.ands:
        fanin = (net(rhs0), net(rhs1))
        gates.append(Gate(f"{prefix}{lhs}", Op.AND, fanin))
        net_of[lhs] = f"{prefix}{lhs}"
    outputs = [(name, net(literal)) for name, literal in zip(output_names, graph.outputs, strict=True)]
    return Circuit(gates, outputs, name=circuit_name_from_path(path))


def read_aiger(path: str | Path) -> Circuit:
    """Read an AIGER file, ASCII or binary according to its header."""
    data = Path(path).read_bytes()
    if data.startswith(b"aag"):
        return parse_aag(decode_utf8(data, str(path)), str(path))
    if data.startswith(b"aig"):
        return parse_aig(data, str(path))
    raise NetlistError("not an AIGER file: the header must start with 'aag' or 'aig'", str(path), 1, 1)


@dataclass(frozen=True)
class _Numbered:
    """A circuit as AIGER numbers: I inputs, ANDs (lhs, rhs0, rhs1) in order, output literals."""

    input_names: tuple[str, ...]
    ands: list[tuple[int, int, int]]
    outputs: list[int]
    output_names: tuple[str, ...]

    def header(self, magic: str) -> str:
        n_inputs, n_ands = len(self.input_names), len(self.ands)
        return f"{magic} {n_inputs + n_ands} {n_inputs} 0 {len(self.outputs)} {n_ands}"

    def symbol_lines(self) -> list[str]:
        def writable(name: str) -> bool:
            return "\n" not in name and "\r" not in name

        return [f"i{k} {name}" for k, name in enumerate(self.input_names) if writable(name)] + [
            f"o{k} {name}" for k, name in enumerate(self.output_names) if writable(name)
        ]


def _numbered(circuit: Circuit) -> _Numbered:
    graph = to_and_inverter(circuit)
    literal: dict[str, int] = {}
    ands: list[tuple[int, int, int]] = []
    next_variable = len(graph.inputs) + 1
    for k, name in enumerate(graph.inputs):
        literal[name] = 2 * (k + 1)
    for gate in graph.gates:
        if gate.op is Op.CONST:
            literal[gate.name] = gate.value or 0
        elif gate.op is Op.NOT:
            literal[gate.name] = literal[gate.fanin[0]] ^ 1
        elif gate.op is Op.AND:
            rhs1, rhs0 = sorted(literal[net] for net in gate.fanin)
            ands.append((2 * next_variable, rhs0, rhs1))
            literal[gate.name] = 2 * next_variable
            next_variable += 1
    outputs = [literal[net] for net in graph.output_nets]
    return _Numbered(graph.inputs, ands, outputs, graph.output_names)


def write_aag(circuit: Circuit) -> str:
    """ASCII AIGER text computing the same function, inputs and outputs in the same order."""
    numbered = _numbered(circuit)
    lines = [numbered.header("aag")]
    lines += [str(2 * (k + 1)) for k in range(len(numbered.input_names))]
    lines += [str(literal) for literal in numbered.outputs]
    lines += [f"{lhs} {rhs0} {rhs1}" for lhs, rhs0, rhs1 in numbered.ands]
    lines += numbered.symbol_lines()
    return "\n".join(lines) + "\n"


def write_aig(circuit: Circuit) -> bytes:
    """Binary AIGER bytes computing the same function, inputs and outputs in the same order."""
    numbered = _numbered(circuit)
    text_head = [numbered.header("aig"), *(str(literal) for literal in numbered.outputs)]
    body = bytearray("\n".join(text_head).encode() + b"\n")
    for lhs, rhs0, rhs1 in numbered.ands:
        body += _encode_delta(lhs - rhs0) + _encode_delta(rhs0 - rhs1)
    symbols = numbered.symbol_lines()
    if symbols:
        body += ("\n".join(symbols) + "\n").encode()
    return bytes(body)


def _encode_delta(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


__all__ = ["parse_aag", "parse_aig", "read_aiger", "write_aag", "write_aig"]
