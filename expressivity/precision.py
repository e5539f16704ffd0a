"""Precision audit: how many fixed-point bits a model needs to decide like the exact semantics.

The fixed:P backend is the papers' log-precision semantics (P fractional bits, |x| < 2^P, every primitive
computed exactly and rounded once; overflow is a SimulationError). A model *agrees* with exact at P on a
word when the fixed:P run gives the same readout symbol and the same named output bits (OutputTaps) as the
exact run; a fixed:P run that overflows disagrees. The theory says c * log2 N bits suffice at sequence
length N for a fixed construction; `precision_table` puts the measured smallest P beside that curve.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from expressivity.backends import SimulationError
from expressivity.model import Model
from expressivity.simulator import Simulator
from expressivity.trace import Trace

Agreement = Callable[[Trace, Trace], bool]


@dataclass(frozen=True)
class PrecisionRow:
    """The audit at one size n (usually the input length): N = `positions` (the sequence length of its
    words), the number of words tried, the smallest P that agrees on all of them (None: none up to
    max_bits), and the theory's c * log2 N."""

    n: int
    positions: int
    words: int
    smallest_bits: int | None
    theory_bits: float


def same_decision(exact: Trace, fixed: Trace) -> bool:
    """The default agreement: the same readout symbol and the same named output bits."""
    return exact.symbol == fixed.symbol and exact.outputs == fixed.outputs


def _simulator(model: Model | Simulator) -> Simulator:
    return model if isinstance(model, Simulator) else Simulator(model)


def _check_comparable(model: Model, agree: Agreement | None) -> None:
    if agree is None and not model.unembedding and not model.outputs:
        raise ValueError(
            f"model {model.name!r} has no unembedding and no output taps: the default agreement "
            "(same symbol, same output bits) has nothing to compare; pass `agree`"
        )


def _exact_traces(simulator: Simulator, words: Sequence[str]) -> dict[str, Trace]:
    """One exact run per distinct word (the reference every precision is compared with)."""
    traces: dict[str, Trace] = {}
    for word in words:
        if word in traces:
            continue
        try:
            traces[word] = simulator.run(word, "exact", record=False)
        except SimulationError as err:
            raise SimulationError(f"the exact run on word {word!r} failed: {err}") from None
    return traces


def _first_disagreement(
    simulator: Simulator, order: list[str], exact: dict[str, Trace], bits: int, agree: Agreement
) -> int | None:
    """The index in `order` of the first word on which fixed:bits disagrees with exact, or None."""
    for index, word in enumerate(order):
        try:
            fixed = simulator.run(word, f"fixed:{bits}", record=False)
        except SimulationError:
            return index
        if not agree(exact[word], fixed):
            return index
    return None


def smallest_precision(
    model: Model | Simulator,
    words: Iterable[str],
    max_bits: int = 64,
    agree: Agreement | None = None,
) -> int | None:
    """The smallest P in 1..max_bits such that fixed:P agrees with exact on every word, or None.

    `agree(exact_trace, fixed_trace)` decides agreement (default `same_decision`: same symbol and same
    output bits); a fixed:P run that raises SimulationError (overflow) disagrees.

    Agreement is not monotone in P in general: rounding to more bits can turn a tie of scores that the
    construction needs into a strict order, or the other way round, so a model may agree at P and fail
    at P + 1 (the connectivity and count-hash-retrieve models do). The search therefore goes upward from
    P = 1 and reports the first P that works; it does not check P + 1, P + 2, ... afterwards, so the
    answer is "the least P that works", not "works from P on".

    Each word runs exactly once (the reference). For each P the words are tried until the first
    disagreement; the word that failed last is tried first at the next P, since it is the likeliest to
    fail again (this changes only the speed, not the answer). `model` may be a prepared Simulator, so
    that callers auditing several word sets reuse its compiled weights.
    """
    simulator = _simulator(model)
    _check_comparable(simulator.model, agree)
    words = list(words)
    if not words:
        raise ValueError("smallest_precision needs at least one word to compare on")
    if isinstance(max_bits, bool) or not isinstance(max_bits, int) or max_bits < 1:
        raise ValueError(f"max_bits must be a positive integer, got {max_bits!r}")
    exact = _exact_traces(simulator, words)
    order = list(exact)
    agree = agree or same_decision
    for bits in range(1, max_bits + 1):
        failed = _first_disagreement(simulator, order, exact, bits, agree)
        if failed is None:
            return bits
        order.insert(0, order.pop(failed))
    return None


def fitted_constant(rows: Iterable[tuple[int, int | None]]) -> float:
    """c = max of P / log2 N over (N, P) pairs with a measured P and N >= 2: the least c for which
    c * log2 N bounds every measurement. NaN when no pair qualifies (nothing to fit)."""
    ratios = [bits / math.log2(positions) for positions, bits in rows if bits is not None and positions >= 2]
    return max(ratios) if ratios else math.nan


def precision_table(
    model: Model | Simulator,
    words_of_length: Callable[[int], Sequence[str]],
    lengths: Iterable[int],
    max_bits: int = 64,
    constant: float | None = None,
    agree: Agreement | None = None,
) -> list[PrecisionRow]:
    """One `PrecisionRow` per size n in `lengths` (any iterable, iterated once, so it may be wrapped in a
    progress bar): the words are `words_of_length(n)`, smallest_bits = `smallest_precision` on them, and
    N = model.sequence_length(L) for their common length L. Usually n is the input length (L = n); it may
    be any size index instead, e.g. the vertex count m of connectivity words (L = m^2 + m) or a row number
    for a circuit's fixed-length inputs. The words of one row must all have the same length.

    theory_bits = c * log2 N. With `constant=None` the constant c is fitted from the table itself as
    max over rows of smallest_bits / log2 N (rows with smallest_bits None or N = 1 are left out), the
    least c whose curve lies on or above every measurement; a number given as `constant` is used as is
    (e.g. the c of a proof). With nothing to fit, theory_bits is NaN.
    """
    simulator = _simulator(model)
    measured: list[tuple[int, int, int, int | None]] = []
    for n in lengths:
        words = list(words_of_length(n))
        if not words:
            raise ValueError(f"words_of_length({n}) gave no words")
        length = len(words[0])
        other = next((w for w in words if len(w) != length), None)
        if other is not None:
            raise ValueError(
                f"words_of_length({n}) gave words of different lengths: {words[0]!r} has {length} "
                f"symbols, {other!r} has {len(other)}"
            )
        bits = smallest_precision(simulator, words, max_bits, agree)
        measured.append((n, simulator.model.sequence_length(length), len(words), bits))
    c = (
        fitted_constant((positions, bits) for _, positions, _, bits in measured)
        if constant is None
        else constant
    )
    return [
        PrecisionRow(n, positions, count, bits, c * math.log2(positions))
        for n, positions, count, bits in measured
    ]
