"""Exact model checking of FO[M] formulas on words, vectorised over all assignments.

Semantics. A word w = w_1 ... w_n (a Python str, one symbol per character) has positions 1..n; a variable
assignment maps variables to positions. Q_a(x) holds iff w_x = a (a symbol the word never uses is simply
never there), x < y and x = y compare positions, and with c = #{x in 1..n : body}:

    exists x. body      c >= 1
    forall x. body      c = n
    M x. body           2c > n
    exists>=t x. body   c >= t
    M2 x y. body        2c > n^2, where c = #{(x, y) in [n]^2 : body}

On the empty word (n = 0) every count is 0, so exists and M and M2 are false, forall is true, and
exists>=t holds iff t = 0. Every decision compares integer counts; no floating point is involved.

Method. Each of the k distinct variable names of the formula owns one axis of an array of shape
(batch, n, ..., n). A subformula's value is a Boolean array with size n on the axes of its free variables and
size 1 elsewhere (NumPy broadcasting fills in the rest), so Q_a(x) costs n cells, not n^k. A quantifier sums
its variable's axis with an integer dtype and keeps it as size 1, which also makes shadowing (a variable
re-bound inside its own scope) come out right. The batch axis holds many words of one length at once.

Every function takes the formula as a Formula or as text (which it parses). If an `alphabet` is given, a
word symbol outside it raises ValueError naming the position and the symbol; without one, any characters
are allowed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from expressivity.logic.parser import parse
from expressivity.logic.syntax import (
    BINARY_CONNECTIVES,
    And,
    AtLeast,
    Const,
    Equal,
    Exists,
    Forall,
    Formula,
    Implies,
    Less,
    Letter,
    Majority,
    Not,
    Or,
    PairMajority,
    Quantifier,
    Relation,
    free_variables,
    subformulas,
)
from expressivity.logic.syntax import variables as _all_variables

# Upper bound on batch * n^k cells per evaluation chunk, to keep the memory of one pass bounded.
_CELLS_PER_CHUNK = 1 << 22
MAX_VARIABLES = 63


def evaluate(
    formula: Formula | str,
    word: str,
    variables: Sequence[str] | None = None,
    alphabet: str | None = None,
) -> np.ndarray:
    """The truth value of `formula` on `word` under every assignment, as a Boolean array of shape (n,) * m.

    Axis i belongs to the variable variables[i] and index j on it to position j + 1. By default `variables`
    is the free variables in sorted name order; a given order must list every free variable once and may
    add others, along which the value is constant. A sentence gives a 0-dimensional array. If `alphabet` is
    given, a word symbol outside it raises ValueError.
    """
    formula = _as_formula(formula)
    _check_word(word, alphabet)
    free = free_variables(formula)
    order = tuple(sorted(free)) if variables is None else tuple(variables)
    if len(set(order)) != len(order):
        raise ValueError(f"variables lists a name twice: {order}")
    missing = free - set(order)
    if missing:
        raise ValueError(f"variables {order} leaves out the free variable(s) {', '.join(sorted(missing))}")
    formula_vars = _variable_axes(formula)
    values = _evaluate_group(formula, [word], len(word), formula_vars)[0]
    kept = [name for name in formula_vars if name in order]
    values = values[tuple(slice(None) if name in order else 0 for name in formula_vars)]
    extra = [name for name in order if name not in kept]
    values = values.reshape(values.shape + (1,) * len(extra))
    values = values.transpose([(kept + extra).index(name) for name in order])
    return np.broadcast_to(values, (len(word),) * len(order)).copy()


def holds(sentence: Formula | str, word: str, alphabet: str | None = None) -> bool:
    """True iff the sentence is true of the word; a formula with free variables raises ValueError."""
    _check_word(word, alphabet)
    return bool(holds_batch(sentence, [word], alphabet)[0])


def holds_batch(sentence: Formula | str, words: Iterable[str], alphabet: str | None = None) -> np.ndarray:
    """[holds(sentence, w) for w in words] as a Boolean array, with words of equal length done together."""
    sentence = _as_formula(sentence)
    free = free_variables(sentence)
    if free:
        raise ValueError(
            f"{sentence} is not a sentence: {', '.join(sorted(free))} occur(s) free; "
            "use evaluate() for formulas with free variables"
        )
    words = list(words)
    for index, word in enumerate(words):
        _check_word(word, alphabet, index)
    formula_vars = _variable_axes(sentence)
    by_length: dict[int, list[int]] = {}
    for index, word in enumerate(words):
        by_length.setdefault(len(word), []).append(index)
    result = np.zeros(len(words), dtype=bool)
    for n, indices in by_length.items():
        chunk = max(1, _CELLS_PER_CHUNK // max(1, n ** len(formula_vars)))
        for start in range(0, len(indices), chunk):
            part = indices[start : start + chunk]
            values = _evaluate_group(sentence, [words[i] for i in part], n, formula_vars)
            result[part] = values.reshape(len(part))
    return result


def evaluate_on_batch(
    formula: Formula,
    words: Sequence[str],
    variables: Sequence[str],
    relations: Mapping[str, np.ndarray] | None = None,
) -> np.ndarray:
    """The values of `formula` on words of one length n, as a Boolean array (len(words),) + (n,) * m.

    Axis 1 + i belongs to variables[i] (which must list every free variable of the formula once).
    `relations[R]` is a Boolean array (len(words),) + (n,) * arity giving R on every word: the value of
    an atom R(x1, .., xk) is relations[R][w, x1 - 1, .., xk - 1]. This is one step of an iterated program's
    interpreter (interpreter.py)."""
    words = list(words)
    n = len(words[0]) if words else 0
    if any(len(word) != n for word in words):
        raise ValueError("evaluate_on_batch takes words of one length")
    order = tuple(variables)
    missing = free_variables(formula) - set(order)
    if missing:
        raise ValueError(f"variables {order} leaves out the free variable(s) {', '.join(sorted(missing))}")
    formula_vars = sorted(_all_variables(formula) | set(order))
    values = _evaluate_group(formula, words, n, formula_vars, relations or {})
    rest = [name for name in formula_vars if name not in order]
    values = values.transpose([0, *(1 + formula_vars.index(name) for name in (*order, *rest))])
    values = values[(slice(None),) * (1 + len(order)) + (0,) * len(rest)]
    return np.broadcast_to(values, (len(words),) + (n,) * len(order)).copy()


def _variable_axes(formula: Formula) -> list[str]:
    """The formula's variable names in sorted order, one array axis each (after the batch axis).

    NumPy arrays have at most 64 axes, so a formula with more than MAX_VARIABLES distinct variable names
    is refused with a ValueError (renaming bound variables apart from each other is rarely needed).
    """
    names = sorted(_all_variables(formula))
    if len(names) > MAX_VARIABLES:
        raise ValueError(
            f"the formula has {len(names)} distinct variable names; the checker takes at most "
            f"{MAX_VARIABLES} (one array axis each): reuse names for quantifiers that do not overlap"
        )
    return names


def _as_formula(formula: Formula | str) -> Formula:
    if isinstance(formula, str):
        return parse(formula)
    if not isinstance(formula, Formula):
        raise TypeError(f"expected a Formula or its text, got {type(formula).__name__}")
    return formula


def _check_word(word: str, alphabet: str | None, index: int | None = None) -> None:
    where = "" if index is None else f" (word {index})"
    if not isinstance(word, str):
        raise TypeError(f"a word is a str, got {type(word).__name__}{where}")
    if alphabet is None:
        return
    for position, symbol in enumerate(word, start=1):
        if symbol not in alphabet:
            raise ValueError(
                f"word {word!r}{where}: symbol {symbol!r} at position {position} is not in the alphabet "
                f"{alphabet!r}"
            )


@dataclass
class _Context:
    """The words of one length n as code points (batch, n), and the axis of each variable."""

    codes: np.ndarray
    n: int
    axis: dict[str, int]
    relations: Mapping[str, np.ndarray] = field(default_factory=dict)
    memo: dict[Formula, np.ndarray] = field(default_factory=dict)

    @property
    def ndim(self) -> int:
        return 1 + len(self.axis)

    def along(self, values: np.ndarray, name: str) -> np.ndarray:
        """values (one entry per batch word and position, or per position) laid on the axis of `name`."""
        shape = [1] * self.ndim
        shape[0] = values.shape[0] if values.ndim == 2 else 1
        shape[self.axis[name]] = self.n
        return values.reshape(shape)

    def positions(self, name: str) -> np.ndarray:
        return self.along(np.arange(1, self.n + 1, dtype=np.int64), name)


def _evaluate_group(
    formula: Formula,
    words: list[str],
    n: int,
    formula_vars: list[str],
    relations: Mapping[str, np.ndarray] | None = None,
) -> np.ndarray:
    """Values of formula on words that all have length n: shape (len(words), n or 1, ...)."""
    codes = np.array([[ord(symbol) for symbol in word] for word in words], dtype=np.int64)
    axes = {name: 1 + i for i, name in enumerate(formula_vars)}
    context = _Context(codes.reshape(len(words), n), n, axes, relations or {})
    for node in subformulas(formula):
        context.memo[node] = _compute(node, context)
    values = context.memo[formula]
    return np.broadcast_to(values, (len(words), *values.shape[1:]))


def _compute(f: Formula, context: _Context) -> np.ndarray:
    """The value of f from its children's values in `context.memo`.

    `subformulas` lists every node after its children, and an equal subformula has an equal value wherever
    it occurs, so one pass in that order evaluates the formula without recursion.
    """
    memo = context.memo
    if isinstance(f, Letter):
        return context.along(context.codes == ord(f.symbol), f.var)
    if isinstance(f, Less):
        return context.positions(f.left) < context.positions(f.right)
    if isinstance(f, Equal):
        return context.positions(f.left) == context.positions(f.right)
    if isinstance(f, Relation):
        return _relation_value(f, context)
    if isinstance(f, Const):
        return np.full((1,) * context.ndim, f.value)
    if isinstance(f, Not):
        return np.logical_not(memo[f.operand])
    if isinstance(f, BINARY_CONNECTIVES):
        left, right = memo[f.left], memo[f.right]
        if isinstance(f, And):
            return left & right
        if isinstance(f, Or):
            return left | right
        if isinstance(f, Implies):
            return ~left | right
        return left == right
    if isinstance(f, Quantifier):
        count = _count(memo[f.body], [context.axis[name] for name in f.bound], context.n)
        n = context.n
        if isinstance(f, Exists):
            return count >= 1
        if isinstance(f, Forall):
            return count == n
        if isinstance(f, Majority):
            return 2 * count > n
        if isinstance(f, PairMajority):
            return 2 * count > n * n
        if isinstance(f, AtLeast):
            return count >= f.t
    raise TypeError(f"not a formula node: {f!r}")


def _relation_value(f: Relation, context: _Context) -> np.ndarray:
    """relations[R][w, x1 - 1, ..] laid out on the axes of the atom's variables (a repeated variable
    reads the diagonal)."""
    if f.name not in context.relations:
        raise ValueError(f"the relation {f.name!r} of {f} has no value: pass it in `relations`")
    table = np.asarray(context.relations[f.name], dtype=bool)
    if table.ndim != 1 + len(f.args):
        raise ValueError(f"relation {f.name!r} has arity {table.ndim - 1}, but {f} gives {len(f.args)}")
    batch = table.shape[0]
    shape = [1] * context.ndim
    shape[0] = batch
    index = [np.arange(batch).reshape(shape)]
    index += [context.positions(arg) - 1 for arg in f.args]
    return table[tuple(index)]


def _count(values: np.ndarray, axes: list[int], n: int) -> np.ndarray:
    """Number of assignments to the variables on `axes` (each over 1..n) that make values true.

    An axis of size 1 means the value does not depend on that variable, so each of its n values counts.
    """
    count = values.sum(axis=tuple(axes), keepdims=True, dtype=np.int64)
    for axis in axes:
        if values.shape[axis] == 1:
            count = count * n
    return count
