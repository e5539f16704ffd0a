"""Hypothesis strategies for random FO[M] formulas and words (needs hypothesis, a test dependency).

`formulas(...)` draws formulas whose free variables lie within `free`, with at most `max_vars` distinct
variable names (free ones included), quantifier depth at most `max_depth`, and letters from `alphabet`.
Every atom kind (Q_a(x), x < y, x = y, true, false), every connective and every quantifier kind listed in
`quantifiers` can be drawn; M2 needs max_vars >= 2. Bound variables are drawn from the same few names, so
shadowing (exists x. ... exists x. ...) and vacuous quantifiers occur too. Examples shrink toward atoms.

`sentences(...)` draws closed formulas and `words(...)` draws strings over an alphabet.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

from expressivity.logic.syntax import (
    BINARY_CONNECTIVES,
    AtLeast,
    Const,
    Equal,
    Exists,
    Forall,
    Formula,
    Less,
    Letter,
    Majority,
    Not,
    PairMajority,
    is_letter_symbol,
    is_variable_name,
)

QUANTIFIER_KINDS = ("exists", "forall", "M", "M2", "atleast")
_NAME_POOL = ("x", "y", "z", "u", "v", "w")
# Connectives may nest this much deeper than quantifiers, which bounds the size of a drawn formula.
_EXTRA_HEIGHT = 3
_MAX_THRESHOLD = 4


def formulas(
    max_vars: int = 3,
    max_depth: int = 3,
    alphabet: str = "ab",
    quantifiers: Sequence[str] = QUANTIFIER_KINDS,
    free: Sequence[str] = (),
) -> st.SearchStrategy[Formula]:
    """Random formulas with free variables within `free`, k <= max_vars and quantifier depth <= max_depth."""
    free = tuple(free)
    unknown = set(quantifiers) - set(QUANTIFIER_KINDS)
    if unknown:
        raise ValueError(f"unknown quantifier kinds {sorted(unknown)}; known: {QUANTIFIER_KINDS}")
    if not alphabet or not all(is_letter_symbol(symbol) for symbol in alphabet):
        raise ValueError(f"alphabet must be non-empty non-whitespace symbols, got {alphabet!r}")
    if not all(is_variable_name(name) for name in free) or len(set(free)) != len(free):
        raise ValueError(f"free must list distinct variable names, got {free}")
    if len(free) > max_vars or max_depth < 0:
        raise ValueError(f"need len(free) <= max_vars, max_depth >= 0: {free=}, {max_vars=}, {max_depth=}")
    names = free + tuple(name for name in _NAME_POOL + _numbered_names(max_vars) if name not in free)
    names = names[:max_vars]
    usable = tuple(kind for kind in quantifiers if len(names) >= (2 if kind == "M2" else 1))
    return _formula(names, free, max_depth, max_depth + _EXTRA_HEIGHT, alphabet, usable)


def sentences(
    max_vars: int = 3,
    max_depth: int = 3,
    alphabet: str = "ab",
    quantifiers: Sequence[str] = QUANTIFIER_KINDS,
) -> st.SearchStrategy[Formula]:
    """Random closed formulas; see `formulas`."""
    return formulas(max_vars, max_depth, alphabet, quantifiers, free=())


def words(alphabet: str = "ab", min_size: int = 0, max_size: int = 8) -> st.SearchStrategy[str]:
    """Random words over `alphabet` with min_size <= length <= max_size; they shrink toward short words."""
    return st.text(alphabet=st.sampled_from(tuple(alphabet)), min_size=min_size, max_size=max_size)


def _numbered_names(count: int) -> tuple[str, ...]:
    return tuple(f"x{i}" for i in range(1, count + 1))


@st.composite
def _formula(
    draw: st.DrawFn,
    names: tuple[str, ...],
    scope: tuple[str, ...],
    depth: int,
    height: int,
    alphabet: str,
    quantifiers: tuple[str, ...],
) -> Formula:
    """A formula over the variables in `scope`, quantifier depth <= depth, nesting height <= height.

    `quantifiers` holds only kinds that can be drawn from `names` (M2 needs two of them).
    """
    kinds = ["atom"]
    if height > 0:
        kinds += ["not", "binary"]
        if depth > 0 and quantifiers:
            # Twice as likely as the others: without a variable in scope the only atoms are constants.
            kinds += ["quantifier", "quantifier"]
    kind = draw(st.sampled_from(kinds))
    if kind == "atom":
        return draw(_atom(scope, alphabet))
    if kind == "not":
        return Not(draw(_formula(names, scope, depth, height - 1, alphabet, quantifiers)))
    if kind == "binary":
        connective = draw(st.sampled_from(BINARY_CONNECTIVES))
        left = draw(_formula(names, scope, depth, height - 1, alphabet, quantifiers))
        right = draw(_formula(names, scope, depth, height - 1, alphabet, quantifiers))
        return connective(left, right)
    quantifier = draw(st.sampled_from(quantifiers))
    var = draw(st.sampled_from(names))
    if quantifier == "M2":
        second = draw(st.sampled_from([name for name in names if name != var]))
        inner = tuple(dict.fromkeys((*scope, var, second)))
        body = draw(_formula(names, inner, depth - 1, height - 1, alphabet, quantifiers))
        return PairMajority(var, second, body)
    inner = tuple(dict.fromkeys((*scope, var)))
    body = draw(_formula(names, inner, depth - 1, height - 1, alphabet, quantifiers))
    if quantifier == "atleast":
        return AtLeast(draw(st.integers(0, _MAX_THRESHOLD)), var, body)
    return {"exists": Exists, "forall": Forall, "M": Majority}[quantifier](var, body)


def _atom(scope: tuple[str, ...], alphabet: str) -> st.SearchStrategy[Formula]:
    constants = st.builds(Const, st.booleans())
    if not scope:
        return constants
    variable = st.sampled_from(scope)
    return st.one_of(
        constants,
        st.builds(Letter, st.sampled_from(tuple(alphabet)), variable),
        st.builds(Less, variable, variable),
        st.builds(Equal, variable, variable),
    )
