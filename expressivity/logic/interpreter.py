"""The reference interpreter of iterated programs: the exact model checker, iterated (program.py).

Words are run in groups of one length, all at once: a relation of arity k is a Boolean array
(words, n, .., n) and every init, update and accept formula is one vectorised evaluation
(`checker.evaluate_on_batch`). `iterations` overrides r(n), which is how tests show that r(n) - 1
iterations are not enough.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from expressivity.logic.checker import evaluate_on_batch
from expressivity.logic.program import GRAPH_MATRIX, GRAPH_RULER, IteratedProgram


def accepts(program: IteratedProgram, word: str, iterations: int | None = None) -> bool:
    """True iff `program` accepts `word` after r(n) (or `iterations`) rounds of updates."""
    return bool(accepts_batch(program, [word], iterations)[0])


def accepts_batch(
    program: IteratedProgram, words: Iterable[str], iterations: int | None = None
) -> np.ndarray:
    """[accepts(program, w, iterations) for w in words] as a Boolean array."""
    words = list(words)
    result = np.zeros(len(words), dtype=bool)
    by_length: dict[int, list[int]] = {}
    for index, word in enumerate(words):
        by_length.setdefault(len(word), []).append(index)
    for indices in by_length.values():
        group = [words[i] for i in indices]
        states, positions, inputs = final_relations(program, group, iterations)
        result[indices] = evaluate_on_batch(program.accept, positions, (), {**inputs, **states})
    return result


def final_relations(
    program: IteratedProgram, words: list[str], iterations: int | None = None
) -> tuple[dict[str, np.ndarray], list[str], dict[str, np.ndarray]]:
    """(relation values after the loop, the position words, the input relations) for words of one
    length: a relation R of arity k is an array (len(words), n, .., n). The rounds stop early at a fixed
    point (a round that changes no relation changes none after it), so a loop count of 10^18 on a short
    word, e.g. the compiler's empty-word answer, takes as long as the rounds that change something."""
    positions, inputs = read_inputs(program, words)
    n = len(positions[0]) if positions else 0
    rounds = program.loops(n) if iterations is None else iterations
    states = {
        spec.name: evaluate_on_batch(spec.init, positions, spec.args, inputs) for spec in program.relations
    }
    for _ in range(rounds):
        known: Mapping[str, np.ndarray] = {**inputs, **states}
        updated = {
            spec.name: evaluate_on_batch(spec.update, positions, spec.args, known)
            for spec in program.relations
        }
        if all(np.array_equal(updated[name], states[name]) for name in states):
            break
        states = updated
    return states, positions, inputs


def read_inputs(program: IteratedProgram, words: list[str]) -> tuple[list[str], dict[str, np.ndarray]]:
    """The words whose positions the variables range over, and the input relations. A word program reads
    the words as they are; a graph program reads the ruler (vertices) and the matrix (A_c relations)."""
    if program.input == "word":
        return words, {}
    positions, matrices = [], []
    for index, word in enumerate(words):
        m = program.size(len(word))
        ruler, matrix = word[:m], word[m:]
        for offset, symbol in enumerate(ruler):
            if symbol not in GRAPH_RULER:
                where = f"word {index}: ruler symbol {symbol!r} at {offset + 1}"
                raise ValueError(f"{where} is not in {GRAPH_RULER!r}")
        for offset, symbol in enumerate(matrix):
            if symbol not in GRAPH_MATRIX:
                where = f"word {index}: matrix symbol {symbol!r} at {m + offset + 1}"
                raise ValueError(f"{where} is not in {GRAPH_MATRIX!r}")
        positions.append(ruler)
        matrices.append([ord(symbol) for symbol in matrix])
    m = len(positions[0]) if positions else 0
    codes = np.array(matrices, dtype=np.int64).reshape(len(words), m, m)
    inputs = {f"A_{symbol}": codes == ord(symbol) for symbol in GRAPH_MATRIX}
    return positions, inputs
