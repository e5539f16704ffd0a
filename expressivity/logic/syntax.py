"""Syntax trees of FO[M]: first-order logic over strings with majority and threshold quantifiers.

A formula talks about a word w = w_1 ... w_n through its positions 1..n. Variables range over positions.

Atoms
    Letter(a, x)      Q_a(x): the symbol at position x is a
    Less(x, y)        x < y
    Equal(x, y)       x = y
    Const(b)          true / false
Connectives
    Not(f), And(f, g), Or(f, g), Implies(f, g), Iff(f, g)
Quantifiers (each binds the variables it names in its body)
    Exists(x, f)            some position x satisfies f
    Forall(x, f)            every position x satisfies f
    Majority(x, f)          M x. f: 2 * #{x : f} > n (strictly more than half)
    PairMajority(x, y, f)   M2 x y. f: 2 * #{(x, y) : f} > n^2 (strictly more than half of all pairs)
    AtLeast(t, x, f)        exists>=t x. f: #{x : f} >= t, for a constant t >= 0

And and Or are binary, not n-ary: `a & b & c` is And(And(a, b), c). A compiler then has exactly one gadget
per node, and `subformulas` lists exactly the nodes it must schedule.

Nodes are frozen (hashable) dataclasses, so structurally equal subformulas compare and hash equal. The
meaning of a subformula depends only on the values of its own free variables, never on where it sits, so
equal subformulas may share one evaluation (the checker and `subformulas` rely on that).

Variable names are ASCII identifiers that are not keywords (exists, forall, M, M2, true, false) and do not
start with `Q_` (that prefix introduces letter predicates). A letter symbol is any single character that is
not whitespace, so words over "01", "ab" or "()" can all be described.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

KEYWORDS = frozenset({"exists", "forall", "M", "M2", "true", "false"})
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def is_variable_name(name: object) -> bool:
    """True iff `name` can name a variable: an ASCII identifier, not a keyword, not starting with Q_."""
    return (
        isinstance(name, str)
        and _IDENTIFIER.fullmatch(name) is not None
        and name not in KEYWORDS
        and not name.startswith("Q_")
    )


def is_letter_symbol(symbol: object) -> bool:
    """True iff `symbol` can be an alphabet symbol: one character that is not whitespace."""
    return isinstance(symbol, str) and len(symbol) == 1 and not symbol.isspace()


def _check_variable(name: object) -> None:
    if not is_variable_name(name):
        raise ValueError(
            f"{name!r} is not a variable name (an ASCII identifier, not a keyword, not starting with Q_)"
        )


def _check_formula(child: object) -> None:
    if not isinstance(child, Formula):
        raise TypeError(f"expected a Formula, got {type(child).__name__}: {child!r}")


class Formula:
    """Base class of all nodes. `str(f)` is the ASCII text of f (see printer.to_text)."""

    __slots__ = ()

    @property
    def children(self) -> tuple[Formula, ...]:
        """The direct subformulas, left to right."""
        return ()

    def __str__(self) -> str:
        from expressivity.logic.printer import to_text

        return to_text(self)


class Atom(Formula):
    """A node without subformulas: a letter predicate, a comparison or a constant."""

    __slots__ = ()

    @property
    def atom_variables(self) -> tuple[str, ...]:
        """The variables the atom mentions, in the order written."""
        return ()


class Quantifier(Formula):
    """A node that binds `bound` (one variable, two for M2) in its body."""

    __slots__ = ()
    body: Formula

    @property
    def bound(self) -> tuple[str, ...]:
        """The variables this quantifier binds, in the order written."""
        raise NotImplementedError

    @property
    def children(self) -> tuple[Formula, ...]:
        return (self.body,)


@dataclass(frozen=True, slots=True)
class Letter(Atom):
    """Q_symbol(var): the symbol at position var is `symbol`."""

    symbol: str
    var: str

    def __post_init__(self) -> None:
        if not is_letter_symbol(self.symbol):
            raise ValueError(f"a letter symbol is one non-whitespace character, got {self.symbol!r}")
        _check_variable(self.var)

    @property
    def atom_variables(self) -> tuple[str, ...]:
        return (self.var,)


@dataclass(frozen=True, slots=True)
class Comparison(Atom):
    """Base of the comparisons of two positions, Less and Equal."""

    left: str
    right: str

    def __post_init__(self) -> None:
        _check_variable(self.left)
        _check_variable(self.right)

    @property
    def atom_variables(self) -> tuple[str, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class Less(Comparison):
    """left < right, as positions."""


@dataclass(frozen=True, slots=True)
class Equal(Comparison):
    """left = right, as positions."""


@dataclass(frozen=True, slots=True)
class Const(Atom):
    """true or false."""

    value: bool

    def __post_init__(self) -> None:
        if not isinstance(self.value, bool):
            raise TypeError(f"Const takes a bool, got {self.value!r}")


@dataclass(frozen=True, slots=True)
class Not(Formula):
    """not operand."""

    operand: Formula

    def __post_init__(self) -> None:
        _check_formula(self.operand)

    @property
    def children(self) -> tuple[Formula, ...]:
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class Binary(Formula):
    """Base of the binary connectives And, Or, Implies, Iff."""

    left: Formula
    right: Formula

    def __post_init__(self) -> None:
        _check_formula(self.left)
        _check_formula(self.right)

    @property
    def children(self) -> tuple[Formula, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class And(Binary):
    """left and right."""


@dataclass(frozen=True, slots=True)
class Or(Binary):
    """left or right."""


@dataclass(frozen=True, slots=True)
class Implies(Binary):
    """left implies right, i.e. (not left) or right."""


@dataclass(frozen=True, slots=True)
class Iff(Binary):
    """left if and only if right."""


BINARY_CONNECTIVES: tuple[type[Binary], ...] = (And, Or, Implies, Iff)
"""The node classes of the binary connectives (the subclasses of Binary), tightest-binding first."""


@dataclass(frozen=True, slots=True)
class UnaryQuantifier(Quantifier):
    """Base of the quantifiers that bind one variable and take nothing else: Exists, Forall, Majority.

    (AtLeast also binds one variable, but takes its threshold first, so it is a Quantifier of its own.)
    """

    var: str
    body: Formula

    def __post_init__(self) -> None:
        _check_variable(self.var)
        _check_formula(self.body)

    @property
    def bound(self) -> tuple[str, ...]:
        return (self.var,)


@dataclass(frozen=True, slots=True)
class Exists(UnaryQuantifier):
    """exists var. body: at least one position makes body true."""


@dataclass(frozen=True, slots=True)
class Forall(UnaryQuantifier):
    """forall var. body: every position makes body true (vacuously true on the empty word)."""


@dataclass(frozen=True, slots=True)
class Majority(UnaryQuantifier):
    """M var. body: 2 * #{var : body} > n, strictly more than half of the positions."""


@dataclass(frozen=True, slots=True)
class PairMajority(Quantifier):
    """M2 var1 var2. body: 2 * #{(var1, var2) : body} > n^2; the two variables must differ."""

    var1: str
    var2: str
    body: Formula

    def __post_init__(self) -> None:
        _check_variable(self.var1)
        _check_variable(self.var2)
        if self.var1 == self.var2:
            raise ValueError(f"M2 binds two distinct variables, got {self.var1!r} twice")
        _check_formula(self.body)

    @property
    def bound(self) -> tuple[str, ...]:
        return (self.var1, self.var2)


@dataclass(frozen=True, slots=True)
class AtLeast(Quantifier):
    """exists>=t var. body: #{var : body} >= t, for a constant t >= 0 (t = 0 makes it always true)."""

    t: int
    var: str
    body: Formula

    def __post_init__(self) -> None:
        if not isinstance(self.t, int) or isinstance(self.t, bool) or self.t < 0:
            raise ValueError(f"the threshold of exists>=t is a natural number, got {self.t!r}")
        _check_variable(self.var)
        _check_formula(self.body)

    @property
    def bound(self) -> tuple[str, ...]:
        return (self.var,)


def free_variables(f: Formula) -> frozenset[str]:
    """The variables that occur in f outside the scope of any quantifier binding them."""
    if isinstance(f, Atom):
        return frozenset(f.atom_variables)
    if isinstance(f, Quantifier):
        return free_variables(f.body) - frozenset(f.bound)
    return frozenset().union(*(free_variables(child) for child in f.children))


def variables(f: Formula) -> frozenset[str]:
    """Every distinct variable name in f, free or bound (binders count too); k = len(variables(f))."""
    own = f.atom_variables if isinstance(f, Atom) else f.bound if isinstance(f, Quantifier) else ()
    return frozenset(own).union(*(variables(child) for child in f.children))


def quantifier_depth(f: Formula) -> int:
    """The largest number of nested quantifiers; M2 counts once, as it is one quantifier over pairs."""
    below = max((quantifier_depth(child) for child in f.children), default=0)
    return below + 1 if isinstance(f, Quantifier) else below


def is_sentence(f: Formula) -> bool:
    """True iff f has no free variables, so it is true or false of a word."""
    return not free_variables(f)


def letters(f: Formula) -> frozenset[str]:
    """The letter symbols a mentioned in some Q_a(x) of f."""
    own = frozenset({f.symbol}) if isinstance(f, Letter) else frozenset()
    return own.union(*(letters(child) for child in f.children))


def subformulas(f: Formula) -> tuple[Formula, ...]:
    """Each distinct subformula of f once, in post-order: every node after all of its subformulas.

    Children are visited left to right and a repeated subformula keeps its first place, so the last entry
    is f itself. This is an evaluation (or layer) order for a compiler.
    """
    seen: dict[Formula, None] = {}

    def visit(g: Formula) -> None:
        if g in seen:
            return
        for child in g.children:
            visit(child)
        seen[g] = None

    visit(f)
    return tuple(seen)


def alpha_equivalent(f: Formula, g: Formula) -> bool:
    """True iff f and g differ only in the names of bound variables.

    Each variable occurrence is compared by what binds it: the same quantifier position in both trees
    (a pair (depth, slot), the slot telling the two variables of M2 apart), or, if free, the same name.
    """

    def same_variable(a: str, b: str, env_f: Mapping[str, object], env_g: Mapping[str, object]) -> bool:
        binder_a, binder_b = env_f.get(a), env_g.get(b)
        if binder_a is None and binder_b is None:
            return a == b
        return binder_a == binder_b

    def walk(p: Formula, q: Formula, env_p: dict[str, object], env_q: dict[str, object], depth: int) -> bool:
        if type(p) is not type(q):
            return False
        if isinstance(p, Atom):
            if isinstance(p, Const):
                return p == q
            if isinstance(p, Letter) and p.symbol != q.symbol:
                return False
            return all(
                same_variable(a, b, env_p, env_q)
                for a, b in zip(p.atom_variables, q.atom_variables, strict=True)
            )
        if isinstance(p, Quantifier):
            if isinstance(p, AtLeast) and p.t != q.t:
                return False
            inner_p, inner_q = dict(env_p), dict(env_q)
            for slot, (a, b) in enumerate(zip(p.bound, q.bound, strict=True)):
                inner_p[a] = inner_q[b] = (depth, slot)
            return walk(p.body, q.body, inner_p, inner_q, depth + 1)
        return all(walk(a, b, env_p, env_q, depth) for a, b in zip(p.children, q.children, strict=True))

    return walk(f, g, {}, {}, 0)


def rename_bound(f: Formula, mapping: Mapping[str, str]) -> Formula:
    """Rename bound variables: every quantifier binding v binds mapping[v] instead, with its occurrences.

    Variables not in `mapping` keep their names, and free variables are never renamed. A renaming that
    would change the meaning (a new name captured by, or capturing, another variable) raises ValueError.
    """

    def rename(g: Formula, env: Mapping[str, str]) -> Formula:
        if isinstance(g, Letter):
            return Letter(g.symbol, env.get(g.var, g.var))
        if isinstance(g, Comparison):
            return type(g)(env.get(g.left, g.left), env.get(g.right, g.right))
        if isinstance(g, Const):
            return g
        if isinstance(g, Not):
            return Not(rename(g.operand, env))
        if isinstance(g, Binary):
            return type(g)(rename(g.left, env), rename(g.right, env))
        if isinstance(g, Quantifier):
            inner = dict(env)
            new_names = []
            for old in g.bound:
                inner[old] = mapping.get(old, old)
                new_names.append(inner[old])
            body = rename(g.body, inner)
            if isinstance(g, PairMajority):
                return PairMajority(new_names[0], new_names[1], body)
            if isinstance(g, AtLeast):
                return AtLeast(g.t, new_names[0], body)
            return type(g)(new_names[0], body)
        raise TypeError(f"not a formula node: {g!r}")

    renamed = rename(f, {})
    if not alpha_equivalent(f, renamed):
        raise ValueError(f"renaming {dict(mapping)} captures a variable and would change the meaning")
    return renamed
