"""Input formats: which words over its alphabet a model is defined on (docs/model-file.md).

A compiled model's reference (a circuit, the connectivity problem, a graph program) only defines some
words: a circuit reads exactly one bit per input; connectivity reads a ruler of m vertex marks with exactly
one source and one target, then an m x m matrix. Run on any other word a model still computes
something, and that answer means nothing. So every `Model` carries an input format, and `Model.tokens`
refuses a word outside it (an `InputError` naming the position and what was expected) before anything
runs.

- `AnyWord()`: every word over the alphabet (formulas, word programs, hand-built models);
- `FixedLength(k)`: words of exactly k symbols (a per-circuit evaluator, k = its number of inputs);
- `GraphWord(ruler, matrix, source, target)`: m ruler symbols, then m^2 matrix symbols (so m^2 + m in
  all); with `source` (`target`) non-empty, exactly one ruler symbol is one of `source` (`target`).

Each format says what is wrong with a word (`mismatch`) and with a model it is attached to
(`inconsistency`) as a message, or None; the model raises its own InputError / ModelError with that
message (this module imports nothing from the model, which imports it). `to_json`/`from_json` give the
form stored in model files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from math import isqrt
from numbers import Integral
from typing import Any


@dataclass(frozen=True)
class AnyWord:
    """Every word over the model's alphabet."""

    def mismatch(self, word: str) -> str | None:
        return None

    def inconsistency(self, alphabet: Sequence[str], size_root: int) -> str | None:
        return None

    def to_json(self) -> dict[str, Any]:
        return {"kind": "any"}

    def describe(self) -> str:
        return "any word over the alphabet"


@dataclass(frozen=True)
class FixedLength:
    """Words of exactly `length` symbols."""

    length: int

    def mismatch(self, word: str) -> str | None:
        if len(word) == self.length:
            return None
        return f"the word has {len(word)} symbols; this model reads exactly {self.length}"

    def inconsistency(self, alphabet: Sequence[str], size_root: int) -> str | None:
        if isinstance(self.length, bool) or not isinstance(self.length, Integral) or self.length < 0:
            return f"input format: length must be a non-negative integer, got {self.length!r}"
        return None

    def to_json(self) -> dict[str, Any]:
        return {"kind": "fixed_length", "length": self.length}

    def describe(self) -> str:
        return f"words of exactly {self.length} symbols"


def graph_vertices_below(length: int) -> int:
    """The largest m with m^2 + m <= length (length >= 0)."""
    return (isqrt(4 * length + 1) - 1) // 2


def graph_vertices(length: int) -> int | None:
    """m with m^2 + m = length, or None when `length` is not of that form."""
    m = graph_vertices_below(length)
    return m if m * m + m == length else None


@dataclass(frozen=True)
class GraphWord:
    """A graph on m vertices: m symbols of `ruler` (one mark per vertex), then the m x m matrix row-major
    over `matrix`. With `source` non-empty exactly one ruler symbol is in `source`; likewise `target`."""

    ruler: str
    matrix: str
    source: str = ""
    target: str = ""

    def mismatch(self, word: str) -> str | None:
        m = graph_vertices(len(word))
        if m is None:
            below = graph_vertices_below(len(word))
            return (
                f"a graph word has m^2 + m symbols (a ruler of m vertex marks, then the m x m matrix); "
                f"{len(word)} is not of that form ({below * below + below} or "
                f"{(below + 1) * (below + 2)} would be)"
            )
        for position, symbol in enumerate(word, start=1):
            allowed, part = (self.ruler, "ruler") if position <= m else (self.matrix, "matrix")
            if symbol not in allowed:
                return (
                    f"symbol {symbol!r} at input position {position} is a {part} symbol (the ruler is "
                    f"positions 1..{m} of the {len(word)}) and must be one of {allowed!r}"
                )
        for role, marks in (("source", self.source), ("target", self.target)):
            if not marks:
                continue
            found = [position for position, symbol in enumerate(word[:m], start=1) if symbol in marks]
            if len(found) != 1:
                where = f"at input positions {', '.join(map(str, found))}" if found else "none"
                return f"the ruler must mark exactly one {role} (one of {marks!r}); found {where}"
        return None

    def inconsistency(self, alphabet: Sequence[str], size_root: int) -> str | None:
        for name in ("ruler", "matrix", "source", "target"):
            if not isinstance(getattr(self, name), str):
                return f"input format: {name} must be a string of symbols, got {getattr(self, name)!r}"
        if not self.ruler or not self.matrix:
            return "input format: a graph word needs ruler and matrix symbols"
        if set(self.ruler) & set(self.matrix):
            return f"input format: ruler {self.ruler!r} and matrix {self.matrix!r} share symbols"
        outside = [s for s in self.ruler + self.matrix if s not in alphabet]
        if outside:
            return f"input format: symbol {outside[0]!r} is not in the alphabet {{{', '.join(alphabet)}}}"
        for name in ("source", "target"):
            stray = [s for s in getattr(self, name) if s not in self.ruler]
            if stray:
                return f"input format: {name} symbol {stray[0]!r} is not a ruler symbol {self.ruler!r}"
        if size_root != 2:
            return f"input format: a graph word has size m (size_root 2); the model has size_root {size_root}"
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "graph",
            "ruler": self.ruler,
            "matrix": self.matrix,
            "source": self.source,
            "target": self.target,
        }

    def describe(self) -> str:
        ends = " and ".join(
            f"exactly one {role} ({marks!r})"
            for role, marks in (("source", self.source), ("target", self.target))
            if marks
        )
        ruler = f"a ruler over {self.ruler!r}" + (f" with {ends}" if ends else "")
        return f"graph words: {ruler}, then a matrix over {self.matrix!r}"


InputFormat = AnyWord | FixedLength | GraphWord
ANY_WORD = AnyWord()


def from_json(data: Mapping[str, Any]) -> InputFormat:
    """The format stored as `data` (its shape is checked by the model file's schema first); a ValueError
    names an unknown kind."""
    kind = data.get("kind")
    if kind == "any":
        return ANY_WORD
    if kind == "fixed_length":
        return FixedLength(data["length"])
    if kind == "graph":
        return GraphWord(data["ruler"], data["matrix"], data["source"], data["target"])
    raise ValueError(f"unknown input format kind {kind!r} (known: any, fixed_length, graph)")
