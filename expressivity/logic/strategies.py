"""Hypothesis strategies for random FO[M] formulas and words (needs hypothesis, a test dependency).

`formulas(...)` draws formulas whose free variables lie within `free`, with at most `max_vars` distinct
variable names (free ones included), quantifier depth at most `max_depth`, and letters from `alphabet`.
Every atom kind (Q_a(x), x < y, x = y, true, false), every connective and every quantifier kind listed in
`quantifiers` can be drawn; M2 needs max_vars >= 2. Bound variables are drawn from the same few names, so
shadowing (exists x. ... exists x. ...) and vacuous quantifiers occur too. Examples shrink toward atoms.

`sentences(...)` draws closed formulas and `words(...)` draws strings over an alphabet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hypothesis import strategies as st

from expressivity.logic.program import IteratedProgram, LoopSchedule, RelationSpec
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
    Relation,
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
    relations: Mapping[str, int] | None = None,
) -> st.SearchStrategy[Formula]:
    """Random formulas with free variables within `free`, k <= max_vars and quantifier depth <= max_depth.

    `relations` (name -> arity) adds relation atoms R(x1, .., xk) over the variables in scope."""
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
    return _formula(
        names, free, max_depth, max_depth + _EXTRA_HEIGHT, alphabet, usable, dict(relations or {})
    )


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
    relations: Mapping[str, int],
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
        return draw(_atom(scope, alphabet, relations))
    if kind == "not":
        return Not(draw(_formula(names, scope, depth, height - 1, alphabet, quantifiers, relations)))
    if kind == "binary":
        connective = draw(st.sampled_from(BINARY_CONNECTIVES))
        left = draw(_formula(names, scope, depth, height - 1, alphabet, quantifiers, relations))
        right = draw(_formula(names, scope, depth, height - 1, alphabet, quantifiers, relations))
        return connective(left, right)
    quantifier = draw(st.sampled_from(quantifiers))
    var = draw(st.sampled_from(names))
    if quantifier == "M2":
        second = draw(st.sampled_from([name for name in names if name != var]))
        inner = tuple(dict.fromkeys((*scope, var, second)))
        body = draw(_formula(names, inner, depth - 1, height - 1, alphabet, quantifiers, relations))
        return PairMajority(var, second, body)
    inner = tuple(dict.fromkeys((*scope, var)))
    body = draw(_formula(names, inner, depth - 1, height - 1, alphabet, quantifiers, relations))
    if quantifier == "atleast":
        return AtLeast(draw(st.integers(0, _MAX_THRESHOLD)), var, body)
    return {"exists": Exists, "forall": Forall, "M": Majority}[quantifier](var, body)


def _atom(scope: tuple[str, ...], alphabet: str, relations: Mapping[str, int]) -> st.SearchStrategy[Formula]:
    constants = st.builds(Const, st.booleans())
    usable = [(name, arity) for name, arity in relations.items() if scope or arity == 0]
    atoms = [
        st.builds(
            Relation,
            st.just(name),
            st.lists(st.sampled_from(scope or ("x",)), min_size=arity, max_size=arity),
        )
        for name, arity in usable
    ]
    if not scope:
        return st.one_of(constants, *atoms)
    variable = st.sampled_from(scope)
    return st.one_of(
        constants,
        st.builds(Letter, st.sampled_from(tuple(alphabet)), variable),
        st.builds(Less, variable, variable),
        st.builds(Equal, variable, variable),
        *atoms,
    )


@st.composite
def programs(
    draw: st.DrawFn,
    alphabet: str = "ab",
    max_relations: int = 2,
    max_depth: int = 2,
    quantifiers: Sequence[str] = QUANTIFIER_KINDS,
) -> IteratedProgram:
    """Random iterated programs over the variables x, y, z (so k <= 3): 1..max_relations relations of
    arity 0..2, updates of quantifier depth <= max_depth reading every relation, and a loop count that
    is a constant or c * ceil(log2 n)^d + c0 (d = 1 or 2)."""
    names = ("x", "y", "z")
    count = draw(st.integers(1, max_relations))
    arities = {f"R{i}": draw(st.integers(0, 2)) for i in range(1, count + 1)}
    specs = []
    for name, arity in arities.items():
        args = tuple(draw(st.permutations(names))[:arity])
        init = draw(formulas(3, 1, alphabet, quantifiers, free=args))
        update = draw(formulas(3, max_depth, alphabet, quantifiers, free=args, relations=arities))
        specs.append(RelationSpec(name, args, init, update))
    accept = draw(formulas(3, max_depth, alphabet, quantifiers, free=(), relations=arities))
    if draw(st.booleans()):
        loops = LoopSchedule(constant=draw(st.integers(0, 3)))
    else:
        loops = LoopSchedule(draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(0, 1)))
    return IteratedProgram(tuple(specs), loops, accept)
