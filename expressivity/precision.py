"""Precision audit: the least p from which a fixed:p run does everything the exact run does.

fixed:p is the papers' log-precision semantics (p bits per scalar, every primitive rounded once, see
`expressivity.backends.fixed` and docs/backends.md). A fixed:p run *agrees* with the exact run on a word
iff

- every tie set of every head at every position, in every sublayer and every loop iteration, is the
  same set of positions, and
- the readout symbol and every named output bit are the same.

Comparing decisions alone is not enough: a run can reach the right answer with wrong tie sets (a lucky
p), and then nothing says it will at the next p or the next word. A run that overflows disagrees.

Agreement is not monotone in p (more bits can split a tie that fewer bits merged), so the audit reports
p0 = the least p such that every p' in p .. p + WINDOW, and 2p, agrees on every tested word. The theory
says p0 <= c log2 N for a construction whose ties survive rounding; `fitted_constant` gives the least c.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from expressivity.backends import SimulationError, TieSets
from expressivity.model import Model
from expressivity.simulator import Simulator
from expressivity.trace import Trace

WINDOW = 16
"""p0 must agree at every p' in p0 .. p0 + WINDOW (and at 2 p0)."""


@dataclass(frozen=True)
class Disagreement:
    """Where a fixed:p run first differs from exact on `word`: a tie set (`step` = the sublayer's name
    with its loop iteration, `head`, `position`, both sets), an output, or an overflow (`error`)."""

    word: str
    bits: int
    kind: str
    step: str = ""
    head: str = ""
    position: int = -1
    exact: object = None
    fixed: object = None
    error: str = ""

    def describe(self) -> str:
        if self.kind == "overflow":
            return f"fixed:{self.bits} on {self.word!r}: {self.error}"
        if self.kind == "tie set":
            return (
                f"fixed:{self.bits} on {self.word!r}: {self.step} head {self.head!r} at position "
                f"{self.position} ties on {self.fixed}, exact on {self.exact}"
            )
        return f"fixed:{self.bits} on {self.word!r}: {self.kind} is {self.fixed}, exact {self.exact}"


@dataclass(frozen=True)
class PrecisionRow:
    """The audit at one size n: N = `positions`, the number of words tried, p0 (`smallest_bits`; None
    when no p up to max_bits qualifies), the theory's c log2 N, and the disagreement at p0 - 1 (what
    breaks just below p0; None when p0 - 1 itself agrees, or p0 is the least p tried)."""

    n: int
    positions: int
    words: int
    smallest_bits: int | None
    theory_bits: float
    below: Disagreement | None = None


def _first_split(exact: TieSets, fixed: TieSets) -> int | None:
    """The first position whose tie sets differ, or None."""
    if exact.indices is None and fixed.indices is None:
        return None
    both = exact.indices is not None and fixed.indices is not None
    if both and np.array_equal(exact.indptr, fixed.indptr) and np.array_equal(exact.indices, fixed.indices):
        return None
    for i in range(exact.size):
        if not np.array_equal(exact.of(i), fixed.of(i)):
            return i
    return None


def compare(exact: Trace, fixed: Trace, bits: int) -> Disagreement | None:
    """The first tie set or output where `fixed` differs from `exact`, or None when they agree."""
    for key, exact_ties in exact.ties.items():
        fixed_ties = fixed.ties.get(key)
        step, head = key
        if fixed_ties is None:
            return Disagreement(exact.word, bits, "tie set", step, head, exact=exact_ties, fixed=None)
        position = _first_split(exact_ties, fixed_ties)
        if position is not None:
            return Disagreement(
                exact.word,
                bits,
                "tie set",
                step,
                head,
                position,
                exact_ties.of(position).tolist(),
                fixed_ties.of(position).tolist(),
            )
    if exact.symbol != fixed.symbol:
        return Disagreement(exact.word, bits, "the readout symbol", exact=exact.symbol, fixed=fixed.symbol)
    if exact.outputs != fixed.outputs:
        return Disagreement(exact.word, bits, "the outputs", exact=exact.outputs, fixed=fixed.outputs)
    return None


class Audit:
    """One model and one word set: the exact traces once, then `check(p)` per precision (memoised)."""

    def __init__(self, model: Model | Simulator, words: Iterable[str]) -> None:
        self.simulator = model if isinstance(model, Simulator) else Simulator(model)
        words = list(dict.fromkeys(words))
        if not words:
            raise ValueError("the precision audit needs at least one word to compare on")
        self.exact: dict[str, Trace] = {}
        for word in words:
            try:
                self.exact[word] = self.simulator.run(word, "exact", record=False)
            except SimulationError as err:
                raise SimulationError(f"the exact run on word {word!r} failed: {err}") from None
        self.order = list(self.exact)
        self._results: dict[int, Disagreement | None] = {}

    def check(self, bits: int) -> Disagreement | None:
        """The first disagreement of fixed:bits over the words, or None when it agrees on all. The word
        that failed last is tried first next time (only the speed changes, not the answer)."""
        if bits not in self._results:
            self._results[bits] = None
            for index, word in enumerate(self.order):
                found = self._run(word, bits)
                if found is not None:
                    self._results[bits] = found
                    self.order.insert(0, self.order.pop(index))
                    break
        return self._results[bits]

    def _run(self, word: str, bits: int) -> Disagreement | None:
        try:
            fixed = self.simulator.run(word, f"fixed:{bits}", record=False)
        except SimulationError as err:
            return Disagreement(word, bits, "overflow", error=str(err))
        return compare(self.exact[word], fixed, bits)

    def agrees_from(self, bits: int, window: int = WINDOW) -> bool:
        """Every precision in bits .. bits + window, and 2 bits, agrees on every word."""
        return all(self.check(b) is None for b in [*range(bits, bits + window + 1), 2 * bits])

    def stable_from(self, max_bits: int, window: int = WINDOW) -> int | None:
        """p0: the least p in 2..max_bits with `agrees_from(p, window)`, or None."""
        bits = 2
        while bits <= max_bits:
            failed = next((b for b in range(bits, bits + window + 1) if self.check(b) is not None), None)
            if failed is not None:
                bits = failed + 1
            elif self.check(2 * bits) is not None:
                bits += 1
            else:
                return bits
        return None


def smallest_precision(
    model: Model | Simulator, words: Iterable[str], max_bits: int = 96, window: int = WINDOW
) -> int | None:
    """p0 on `words`: the least p such that fixed:p' agrees with exact (every tie set and every output)
    for every p' in p .. p + window and p' = 2p; None when no p <= max_bits qualifies."""
    if isinstance(max_bits, bool) or not isinstance(max_bits, int) or max_bits < 2:
        raise ValueError(f"max_bits must be an integer >= 2, got {max_bits!r}")
    return Audit(model, words).stable_from(max_bits, window)


def fitted_constant(rows: Iterable[tuple[int, int | None]]) -> float:
    """c = max of p0 / log2 N over (N, p0) pairs with a measured p0 and N >= 2: the least c for which
    c log2 N bounds every measurement. NaN when no pair qualifies."""
    ratios = [bits / math.log2(positions) for positions, bits in rows if bits is not None and positions >= 2]
    return max(ratios) if ratios else math.nan


def precision_table(
    model: Model | Simulator,
    words_of_size: Callable[[int], Sequence[str]],
    sizes: Iterable[int],
    max_bits: int = 96,
    constant: float | None = None,
    window: int = WINDOW,
) -> list[PrecisionRow]:
    """One `PrecisionRow` per size n in `sizes` (iterated once, so it may be wrapped in a progress bar):
    p0 on the words `words_of_size(n)` (all of one length L; N = model.sequence_length(L)). n is
    usually the input length; it may be any size index, e.g. the vertex count m of connectivity words.

    theory_bits = c log2 N with c fitted from the table (`fitted_constant`) unless `constant` is given.
    """
    simulator = model if isinstance(model, Simulator) else Simulator(model)
    measured = []
    for n in sizes:
        words = list(words_of_size(n))
        if not words:
            raise ValueError(f"words_of_size({n}) gave no words")
        length = len(words[0])
        other = next((w for w in words if len(w) != length), None)
        if other is not None:
            raise ValueError(
                f"words_of_size({n}) gave words of different lengths: {words[0]!r} has {length} "
                f"symbols, {other!r} has {len(other)}"
            )
        audit = Audit(simulator, words)
        bits = audit.stable_from(max_bits, window)
        below = audit.check(bits - 1) if bits is not None and bits > 2 else None
        measured.append((n, simulator.model.sequence_length(length), len(audit.order), bits, below))
    c = fitted_constant((positions, bits) for _, positions, _, bits, _ in measured)
    c = c if constant is None else constant
    return [
        PrecisionRow(n, positions, count, bits, c * math.log2(positions), below)
        for n, positions, count, bits, below in measured
    ]


def worst_case_words(model: Model, size: int) -> list[str]:
    """Each route's hardest inputs of one size (those that put a decision on its edge):

    - connectivity (or a program over graph input) on m = size vertices: the path 0 -> 1 -> .. -> m-1
      from s = 0 to t = m-1 (reachable only by a path of length m - 1, found at the last loop
      iteration), the same path with its last edge missing (unreachable), and the complete graph;
    - a circuit: all-zero, all-one and alternating inputs;
    - a formula (or any other model over an alphabet): each constant word, and the words that split the
      length between two letters as evenly as possible (counts at a majority threshold).
    """
    from expressivity.compile.connectivity import connectivity_word

    route = model.metadata.get("route")
    if route == "connectivity" or model.metadata.get("input") == "graph":
        m = size
        path = [[int(j == i + 1) for j in range(m)] for i in range(m)]
        cut = [row[:] for row in path]
        if m >= 2:
            cut[m - 2][m - 1] = 0
        complete = [[1] * m for _ in range(m)]
        return [connectivity_word(graph, 0, m - 1) for graph in (path, cut, complete)]
    if route == "circuit":
        inputs = model.metadata.get("inputs") or []
        width = len(inputs)
        return ["0" * width, "1" * width, ("01" * width)[:width]]
    words = [symbol * size for symbol in model.alphabet]
    for first, second in zip(model.alphabet, model.alphabet[1:], strict=False):
        words += [
            first * (size // 2) + second * (size - size // 2),
            second * (size // 2) + first * (size - size // 2),
        ]
    return words


def audit_words(model: Model, size: int, samples: int, seed: int = 0) -> list[str]:
    """The audit's inputs of one size: `samples` random words (`verification.words_of_size`) plus the
    route's worst cases (`worst_case_words`), without repeats."""
    from expressivity.verification import words_of_size

    return list(dict.fromkeys([*words_of_size(model, size, samples, seed), *worst_case_words(model, size)]))
