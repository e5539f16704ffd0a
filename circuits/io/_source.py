"""Shared reading machinery: located tokens and errors, decoding, net definitions, checking and ordering.

Every reader reports a bad file as `NetlistError(message, path, line, col)` with a 1-based line and a
1-based column pointing at the offending token, and never returns part of a circuit. Keywords and numbers
are ASCII only (`keyword`, `integer`): a dotless `ı` or a ligature `ﬀ` is not upper-cased into a keyword,
and Arabic-Indic or full-width digits are not read as numbers. A file with control characters
(`check_characters`) or without any output (`check_has_outputs`) is an error too. The net-named
formats (.bench, BLIF, .th) record each gate as a `Definition` and hand them to `assemble_circuit`,
which checks that every net is defined and sorts the gates; BLIF and .th also share the directive loop
of `BlifLikeReader`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import pairwise
from typing import Protocol, TypeVar

from circuits.errors import CircuitError, NetlistError
from circuits.io._naming import circuit_name_from_path
from circuits.ir import Circuit, Gate, Op

WORD = re.compile(r"\S+")
CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
INTEGER = re.compile(r"[+-]?[0-9]+")
MAX_DIGITS = 4300
"""Longest number (in digits) a reader takes: Python's default limit on converting text to int."""
Key = TypeVar("Key", bound=Hashable)


@dataclass(frozen=True)
class Token:
    """A piece of text and where it starts in its file (1-based line and column)."""

    text: str
    line: int
    col: int


def words(text: str, line: int, first_col: int = 1) -> list[Token]:
    """The whitespace-separated words of one line, `text` starting at column `first_col`."""
    return [Token(m.group(), line, first_col + m.start()) for m in WORD.finditer(text)]


def logical_lines(text: str) -> list[list[Token]]:
    """BLIF-style lines: non-empty lines as tokens, `#` comments removed, `\\`-continued lines joined."""
    lines: list[list[Token]] = []
    pending: list[Token] = []
    for line_no, raw in enumerate(text.split("\n"), start=1):
        code = raw.split("#", 1)[0].rstrip()
        continued = code.endswith("\\")
        pending += words(code[:-1] if continued else code, line_no)
        if not continued and pending:
            lines.append(pending)
            pending = []
    if pending:
        lines.append(pending)
    return lines


def error_at(token: Token, message: str, path: str) -> NetlistError:
    return NetlistError(message, path, token.line, token.col)


@contextmanager
def located(path: str, token: Token) -> Iterator[None]:
    """Turn a `CircuitError` raised by the IR while building into a `NetlistError` at `token`."""
    try:
        yield
    except NetlistError:
        raise
    except CircuitError as err:
        raise error_at(token, str(err), path) from None


def position(data: bytes | str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of character or byte `offset`, counting '\\n' as the line break."""
    newline = b"\n" if isinstance(data, bytes) else "\n"
    line_start = data.rfind(newline, 0, offset) + 1
    return data.count(newline, 0, offset) + 1, offset - line_start + 1


def decode_utf8(data: bytes, path: str, start: int = 0) -> str:
    """`data[start:]` as UTF-8; a bad byte is a `NetlistError` at its place in `data`."""
    try:
        return data[start:].decode("utf-8")
    except UnicodeDecodeError as err:
        line, col = position(data, start + err.start)
        bad_byte = data[start + err.start]
        raise NetlistError(f"byte 0x{bad_byte:02x} is not valid UTF-8 text", path, line, col) from None


def check_characters(text: str, path: str) -> None:
    """A control character other than tab, line breaks and form feeds is an error at its place.

    Such bytes (NUL above all) never belong in a netlist; they mean the file is not text.
    """
    found = CONTROL.search(text)
    if found:
        line, col = position(text, found.start())
        raise NetlistError(
            f"control character U+{ord(found.group()):04X} is not allowed in a netlist", path, line, col
        )


def check_has_outputs(outputs: Sequence[object], text: str, path: str) -> None:
    """A netlist with no output computes nothing: an error at the end of the file."""
    if not outputs:
        line, col = position(text, len(text))
        raise NetlistError("the netlist declares no outputs (a circuit needs at least one)", path, line, col)


def keyword(token: Token) -> str:
    """The token's text in upper case if it is ASCII, else '' (which matches no keyword).

    `str.upper` maps some non-ASCII letters onto ASCII ones ('ı' -> 'I', 'ﬀ' -> 'FF'); keywords must be
    written in ASCII.
    """
    return token.text.upper() if token.text.isascii() else ""


def integer(token: Token, what: str, path: str, max_digits: int = MAX_DIGITS, signed: bool = True) -> int:
    """The token as a decimal integer written with ASCII digits (a sign too when `signed`).

    More than `max_digits` digits is an error at the token, before any conversion: Python refuses to
    convert numbers longer than 4300 digits, and no netlist needs one.
    """
    text = token.text
    if not INTEGER.fullmatch(text) or (not signed and text[0] in "+-"):
        kind = "an integer" if signed else "an unsigned integer"
        hint = "" if text.isascii() else " (numbers are written with the ASCII digits 0-9)"
        raise error_at(token, f"{what} must be {kind}, found {text[:40]!r}{hint}", path)
    digits = len(text.lstrip("+-"))
    if digits > max_digits:
        message = f"{what} has {digits} digits, more than the {max_digits} this reader takes"
        raise error_at(token, message, path)
    return int(text)


class CycleFound(Exception):
    """The definitions are cyclic; `cycle` lists nets k_0, k_1, ..., k_0 where each reads the next."""

    def __init__(self, cycle: list) -> None:
        super().__init__(cycle)
        self.cycle = cycle


def topological_order(reads: Mapping[Key, Sequence[Key]]) -> list[Key]:
    """The keys of `reads`, each after every key it reads (keys not in `reads` count as sources).

    Keys already in order stay in their given order. Iterative depth-first search, O(nets + wires), so
    deep netlists do not hit Python's recursion limit. Raises `CycleFound` on a cycle.
    """
    done: set[Key] = set()
    on_path: set[Key] = set()
    order: list[Key] = []
    for root in reads:
        if root in done:
            continue
        stack = [(root, iter(reads[root]))]
        on_path.add(root)
        while stack:
            node, children = stack[-1]
            for child in children:
                if child in done or child not in reads:
                    continue
                if child in on_path:
                    path = [key for key, _ in stack]
                    raise CycleFound([*path[path.index(child) :], child])
                on_path.add(child)
                stack.append((child, iter(reads[child])))
                break
            else:
                stack.pop()
                on_path.discard(node)
                done.add(node)
                order.append(node)
    return order


def describe_cycle(cycle: Sequence[object], limit: int = 8) -> str:
    """'a reads b, b reads c, c reads a' (shortened in the middle for long cycles)."""
    steps = [f"{a} reads {b}" for a, b in pairwise(cycle)]
    if len(steps) > limit:
        steps = [*steps[: limit - 1], f"... ({len(steps) - limit} more)", steps[-1]]
    return ", ".join(steps)


def define(net: Token, defined: dict[str, Token], path: str) -> None:
    """Record `net` as defined in `defined`; a second definition of the same net is an error at it."""
    if net.text in defined:
        first = defined[net.text]
        raise error_at(net, f"net {net.text!r} is defined twice (first on line {first.line})", path)
    defined[net.text] = net


def declare_output(net: Token, declared: dict[str, Token], path: str) -> None:
    """Record output `net` in `declared`; declaring the same output twice is an error at it."""
    if net.text in declared:
        first = declared[net.text]
        raise error_at(net, f"output {net.text!r} is declared twice (first on line {first.line})", path)
    declared[net.text] = net


class Definition(Protocol):
    """A gate as a reader parsed it: the token naming its net, and the tokens of the nets it reads."""

    @property
    def output(self) -> Token: ...

    @property
    def fanin(self) -> Sequence[Token]: ...


Parsed = TypeVar("Parsed", bound=Definition)


def checked_gate_order(
    path: str,
    definitions: Mapping[str, Definition],
    outputs: Sequence[Token],
    defined: Container[str],
) -> list[str]:
    """The nets of `definitions` in topological order, once the parsed netlist's nets are checked.

    `defined` holds every net an input or a gate defines. Errors, in this order: a fan-in net that is
    never defined (at that fan-in), an output that is never defined or declared twice (at that output),
    a combinational cycle (at the output token of the first gate on it).
    """
    for definition in definitions.values():
        for net in definition.fanin:
            if net.text not in defined:
                raise error_at(net, f"net {net.text!r} is never defined", path)
    declared: dict[str, Token] = {}
    for output in outputs:
        if output.text not in defined:
            raise error_at(output, f"output {output.text!r} is never defined", path)
        declare_output(output, declared, path)
    try:
        return topological_order({name: [t.text for t in d.fanin] for name, d in definitions.items()})
    except CycleFound as cycle:
        net = definitions[cycle.cycle[0]].output
        message = f"combinational cycle through net {net.text!r}: {describe_cycle(cycle.cycle)}"
        raise error_at(net, message, path) from None


def assemble_circuit(
    path: str,
    model: str | None,
    inputs: Sequence[Token],
    outputs: Sequence[Token],
    definitions: Mapping[str, Parsed],
    defined: Container[str],
    gates_for: Callable[[Parsed], Iterable[Gate]],
) -> Circuit:
    """The circuit a net-named format (.bench, BLIF, .th) describes, checked by `checked_gate_order`.

    Its gates are the inputs in order, then `gates_for(definition)` for each definition in topological
    order; each output is the net of its name; the circuit is named `model`, else after the file.
    """
    order = checked_gate_order(path, definitions, outputs, defined)
    gates = [Gate(token.text, Op.INPUT) for token in inputs]
    for name in order:
        gates += gates_for(definitions[name])
    return Circuit(gates, [(t.text, t.text) for t in outputs], name=model or circuit_name_from_path(path))


class BlifLikeReader:
    """Reads the directives BLIF and `.th` share and hands the others, in order, to the format's reader.

    `.model`, the input and output directives and `.end` are read here: the inputs (each defined once)
    go to `inputs` and `defined`, the outputs to `outputs`, the model's name to `model`; one model per
    file, nothing after `.end`. `directives()` yields every other line; its reader may take the lines
    after it that are not directives (cover rows, weights) with `row()`.
    """

    def __init__(
        self,
        lines: list[list[Token]],
        path: str,
        input_directives: Container[str] = frozenset({".inputs"}),
        output_directives: Container[str] = frozenset({".outputs"}),
    ) -> None:
        self.lines = lines
        self.path = path
        self.input_directives = input_directives
        self.output_directives = output_directives
        self.next = 0
        self.model: str | None = None
        self.inputs: list[Token] = []
        self.outputs: list[Token] = []
        self.defined: dict[str, Token] = {}

    def directives(self) -> Iterator[tuple[str, list[Token]]]:
        """(the first word in lower case, the line) for each line this reader does not read itself."""
        has_model = ended = False
        while self.next < len(self.lines):
            line = self.lines[self.next]
            self.next += 1
            head = line[0]
            directive = head.text.lower() if head.text.isascii() else head.text
            if ended:
                raise error_at(head, "text after .end (only one model per file is read)", self.path)
            if directive == ".model":
                if has_model:
                    raise error_at(head, "a second .model: only one model per file is supported", self.path)
                has_model = True
                self.model = line[1].text if len(line) > 1 else None
            elif directive in self.input_directives:
                for net in line[1:]:
                    define(net, self.defined, self.path)
                    self.inputs.append(net)
            elif directive in self.output_directives:
                self.outputs += line[1:]
            elif directive == ".end":
                ended = True
            else:
                yield directive, line

    def row(self) -> list[Token] | None:
        """Take the next line if there is one and it is not a directive; else None."""
        if self.next < len(self.lines) and not self.lines[self.next][0].text.startswith("."):
            self.next += 1
            return self.lines[self.next - 1]
        return None
