"""Shared reading machinery: located tokens, located errors, decoding, and topological ordering.

Every reader reports a bad file as `NetlistError(message, path, line, col)` with a 1-based line and a
1-based column pointing at the offending token, and never returns part of a circuit.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import pairwise
from typing import TypeVar

from circuits.errors import CircuitError, NetlistError

WORD = re.compile(r"\S+")
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
