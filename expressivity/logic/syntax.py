"""Syntax trees of FO[M]: first-order logic over strings with majority and threshold quantifiers.

A formula talks about a word w = w_1 ... w_n through its positions 1..n. Variables range over positions.

Atoms
    Letter(a, x)      Q_a(x): the symbol at position x is a
    Relation(R, xs)   R(x1, .., xk): a relation given from outside the formula (a program's state)
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

Depth. Nothing here recurses in Python: a node's hash is computed once, when it is built, from its
children's hashes; equality, `repr` and every helper below walk the tree with an explicit stack (`fold`
for the bottom-up ones). So a chain of thousands of `&` or `~` is as good a formula as a short one.

Variable names are ASCII identifiers that are not keywords (exists, forall, M, M2, true, false) and do not
start with `Q_` (that prefix introduces letter predicates). A letter symbol is any single character that is
not whitespace, so words over "01", "ab" or "()" can all be described.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

KEYWORDS = frozenset({"exists", "forall", "M", "M2", "true", "false"})
Result = TypeVar("Result")
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


def _node(cls: type) -> type:
    """The dataclass decorator of every node: frozen and slotted; equality, hash and repr come from
    Formula (iterative, so deep trees are fine)."""
    return dataclass(frozen=True, slots=True, eq=False, repr=False)(cls)


class Formula:
    """Base class of all nodes. `str(f)` is the ASCII text of f (see printer.to_text).

    Equal nodes (same class, equal fields) compare and hash equal; the hash is computed at construction
    (`_seal`, called by every node's __post_init__) from the children's hashes, so it costs O(1).
    """

    __slots__ = ("_hash",)

    @property
    def children(self) -> tuple[Formula, ...]:
        """The direct subformulas, left to right."""
        return ()

    def _fields(self) -> tuple[object, ...]:
        """The values of the dataclass fields, in declaration order."""
        return tuple(getattr(self, name) for name in self.__dataclass_fields__)  # type: ignore[attr-defined]

    def _seal(self) -> None:
        """Store the hash: the class and the fields, each child by its own stored hash."""
        parts = tuple(hash(v) if isinstance(v, Formula) else v for v in self._fields())
        object.__setattr__(self, "_hash", hash((type(self).__name__, parts)))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Formula):
            return NotImplemented
        pending: list[tuple[Formula, Formula]] = [(self, other)]
        while pending:
            a, b = pending.pop()
            if a is b:
                continue
            if type(a) is not type(b) or a._hash != b._hash:
                return False
            for x, y in zip(a._fields(), b._fields(), strict=True):
                if isinstance(x, Formula):
                    pending.append((x, y))
                elif x != y:
                    return False
        return True

    def __repr__(self) -> str:
        """`And(Letter('a', 'x'), Const(True))`: written piece by piece from an explicit stack, so the
        time and memory are linear in the size of the tree whatever its depth."""
        out: list[str] = []
        pending: list[str | Formula] = [self]
        while pending:
            item = pending.pop()
            if isinstance(item, str):
                out.append(item)
                continue
            pieces: list[str | Formula] = [f"{type(item).__name__}("]
            for index, value in enumerate(item._fields()):
                pieces += [", "] * (index > 0) + [value if isinstance(value, Formula) else repr(value)]
            pending.extend(reversed([*pieces, ")"]))
        return "".join(out)

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        """Copy and pickle by calling the constructor, which computes the hash again."""
        return type(self), self._fields()

    def __str__(self) -> str:
        from expressivity.logic.printer import to_text

        return to_text(self)


def fold(f: Formula, combine: Callable[[Formula, Sequence[Result]], Result]) -> Result:
    """combine(node, [results of its children, left to right]) for every node, bottom-up, from an explicit
    stack (no Python recursion). A node object reached twice (a shared subtree) is combined once."""
    done: dict[int, Result] = {}
    pending: list[tuple[Formula, bool]] = [(f, False)]
    while pending:
        node, expanded = pending.pop()
        if id(node) in done:
            continue
        if expanded:
            done[id(node)] = combine(node, [done[id(child)] for child in node.children])
        else:
            pending.append((node, True))
            pending.extend((child, False) for child in reversed(node.children) if id(child) not in done)
    return done[id(f)]


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


@_node
class Letter(Atom):
    """Q_symbol(var): the symbol at position var is `symbol`."""

    symbol: str
    var: str

    def __post_init__(self) -> None:
        if not is_letter_symbol(self.symbol):
            raise ValueError(f"a letter symbol is one non-whitespace character, got {self.symbol!r}")
        _check_variable(self.var)
        self._seal()

    @property
    def atom_variables(self) -> tuple[str, ...]:
        return (self.var,)


@_node
class Comparison(Atom):
    """Base of the comparisons of two positions, Less and Equal."""

    left: str
    right: str

    def __post_init__(self) -> None:
        _check_variable(self.left)
        _check_variable(self.right)
        self._seal()

    @property
    def atom_variables(self) -> tuple[str, ...]:
        return (self.left, self.right)


@_node
class Less(Comparison):
    """left < right, as positions."""


@_node
class Equal(Comparison):
    """left = right, as positions."""


@_node
class Relation(Atom):
    """name(args): the relation `name` holds of the positions args (an iterated program's state, or an
    input relation such as a graph's adjacency matrix). Its value comes from outside the formula: the
    checker takes it as an argument, and a program (program.py) declares and updates it."""

    name: str
    args: tuple[str, ...]

    def __init__(self, name: str, args: tuple[str, ...] | list[str]) -> None:
        if not isinstance(name, str) or _IDENTIFIER.fullmatch(name) is None or name in KEYWORDS:
            raise ValueError(f"{name!r} is not a relation name (an ASCII identifier, not a keyword)")
        args = tuple(args)
        for arg in args:
            _check_variable(arg)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "args", args)
        self._seal()

    @property
    def atom_variables(self) -> tuple[str, ...]:
        return self.args


@_node
class Const(Atom):
    """true or false."""

    value: bool

    def __post_init__(self) -> None:
        if not isinstance(self.value, bool):
            raise TypeError(f"Const takes a bool, got {self.value!r}")
        self._seal()


@_node
class Not(Formula):
    """not operand."""

    operand: Formula

    def __post_init__(self) -> None:
        _check_formula(self.operand)
        self._seal()

    @property
    def children(self) -> tuple[Formula, ...]:
        return (self.operand,)


@_node
class Binary(Formula):
    """Base of the binary connectives And, Or, Implies, Iff."""

    left: Formula
    right: Formula

    def __post_init__(self) -> None:
        _check_formula(self.left)
        _check_formula(self.right)
        self._seal()

    @property
    def children(self) -> tuple[Formula, ...]:
        return (self.left, self.right)


@_node
class And(Binary):
    """left and right."""


@_node
class Or(Binary):
    """left or right."""


@_node
class Implies(Binary):
    """left implies right, i.e. (not left) or right."""


@_node
class Iff(Binary):
    """left if and only if right."""


BINARY_CONNECTIVES: tuple[type[Binary], ...] = (And, Or, Implies, Iff)
"""The node classes of the binary connectives (the subclasses of Binary), tightest-binding first."""


@_node
class UnaryQuantifier(Quantifier):
    """Base of the quantifiers that bind one variable and take nothing else: Exists, Forall, Majority.

    (AtLeast also binds one variable, but takes its threshold first, so it is a Quantifier of its own.)
    """

    var: str
    body: Formula

    def __post_init__(self) -> None:
        _check_variable(self.var)
        _check_formula(self.body)
        self._seal()

    @property
    def bound(self) -> tuple[str, ...]:
        return (self.var,)


@_node
class Exists(UnaryQuantifier):
    """exists var. body: at least one position makes body true."""


@_node
class Forall(UnaryQuantifier):
    """forall var. body: every position makes body true (vacuously true on the empty word)."""


@_node
class Majority(UnaryQuantifier):
    """M var. body: 2 * #{var : body} > n, strictly more than half of the positions."""


@_node
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
        self._seal()

    @property
    def bound(self) -> tuple[str, ...]:
        return (self.var1, self.var2)


@_node
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
        self._seal()

    @property
    def bound(self) -> tuple[str, ...]:
        return (self.var,)


def free_variables(f: Formula) -> frozenset[str]:
    """The variables that occur in f outside the scope of any quantifier binding them."""

    def free(node: Formula, below: Sequence[frozenset[str]]) -> frozenset[str]:
        if isinstance(node, Atom):
            return frozenset(node.atom_variables)
        if isinstance(node, Quantifier):
            return below[0] - frozenset(node.bound)
        return frozenset().union(*below)

    return fold(f, free)


def variables(f: Formula) -> frozenset[str]:
    """Every distinct variable name in f, free or bound (binders count too); k = len(variables(f))."""

    def named(node: Formula, below: Sequence[frozenset[str]]) -> frozenset[str]:
        own = (
            node.atom_variables
            if isinstance(node, Atom)
            else node.bound
            if isinstance(node, Quantifier)
            else ()
        )
        return frozenset(own).union(*below)

    return fold(f, named)


def quantifier_depth(f: Formula) -> int:
    """The largest number of nested quantifiers; M2 counts once, as it is one quantifier over pairs."""

    def depth(node: Formula, below: Sequence[int]) -> int:
        return max(below, default=0) + isinstance(node, Quantifier)

    return fold(f, depth)


def is_sentence(f: Formula) -> bool:
    """True iff f has no free variables, so it is true or false of a word."""
    return not free_variables(f)


def relations(f: Formula) -> frozenset[tuple[str, int]]:
    """The (name, arity) of every relation atom in f."""

    def named(node: Formula, below: Sequence[frozenset[tuple[str, int]]]) -> frozenset[tuple[str, int]]:
        own = frozenset({(node.name, len(node.args))}) if isinstance(node, Relation) else frozenset()
        return own.union(*below)

    return fold(f, named)


def letters(f: Formula) -> frozenset[str]:
    """The letter symbols a mentioned in some Q_a(x) of f."""

    def symbols(node: Formula, below: Sequence[frozenset[str]]) -> frozenset[str]:
        own = frozenset({node.symbol}) if isinstance(node, Letter) else frozenset()
        return own.union(*below)

    return fold(f, symbols)


def subformulas(f: Formula) -> tuple[Formula, ...]:
    """Each distinct subformula of f once, in post-order: every node after all of its subformulas.

    Children are visited left to right and a repeated subformula keeps its first place, so the last entry
    is f itself. This is an evaluation (or layer) order for a compiler.
    """
    seen: dict[Formula, None] = {}
    pending: list[tuple[Formula, bool]] = [(f, False)]
    while pending:
        node, expanded = pending.pop()
        if node in seen:
            continue
        if expanded:
            seen[node] = None
        else:
            pending.append((node, True))
            pending.extend((child, False) for child in reversed(node.children))
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

    Env = dict[str, object]
    pending: list[tuple[Formula, Formula, Env, Env, int]] = [(f, g, {}, {}, 0)]
    while pending:
        p, q, env_p, env_q, depth = pending.pop()
        if type(p) is not type(q):
            return False
        if isinstance(p, Atom):
            if isinstance(p, Const):
                if p != q:
                    return False
                continue
            if isinstance(p, Letter) and p.symbol != q.symbol:
                return False
            if isinstance(p, Relation) and (p.name, len(p.args)) != (q.name, len(q.args)):
                return False
            pairs = zip(p.atom_variables, q.atom_variables, strict=True)
            if not all(same_variable(a, b, env_p, env_q) for a, b in pairs):
                return False
        elif isinstance(p, Quantifier):
            if isinstance(p, AtLeast) and p.t != q.t:
                return False
            inner_p, inner_q = dict(env_p), dict(env_q)
            for slot, (a, b) in enumerate(zip(p.bound, q.bound, strict=True)):
                inner_p[a] = inner_q[b] = (depth, slot)
            pending.append((p.body, q.body, inner_p, inner_q, depth + 1))
        else:
            for a, b in zip(p.children, q.children, strict=True):
                pending.append((a, b, env_p, env_q, depth))
    return True


def rename_bound(f: Formula, mapping: Mapping[str, str]) -> Formula:
    """Rename bound variables: every quantifier binding v binds mapping[v] instead, with its occurrences.

    Variables not in `mapping` keep their names, and free variables are never renamed. A renaming that
    would change the meaning (a new name captured by, or capturing, another variable) raises ValueError.

    Walked with two explicit stacks: `pending` holds nodes to visit (with the renaming in force there) and
    nodes to rebuild from the last results on `built`.
    """
    pending: list[tuple[Formula, Mapping[str, str] | None, tuple[str, ...]]] = [(f, {}, ())]
    built: list[Formula] = []
    while pending:
        g, env, new_names = pending.pop()
        if env is None:
            count = len(g.children)
            parts = built[len(built) - count :]
            del built[len(built) - count :]
            built.append(_rebuilt(g, parts, new_names))
        elif isinstance(g, Letter):
            built.append(Letter(g.symbol, env.get(g.var, g.var)))
        elif isinstance(g, Comparison):
            built.append(type(g)(env.get(g.left, g.left), env.get(g.right, g.right)))
        elif isinstance(g, Relation):
            built.append(Relation(g.name, [env.get(arg, arg) for arg in g.args]))
        elif isinstance(g, Const):
            built.append(g)
        elif isinstance(g, Quantifier):
            inner = dict(env)
            for old in g.bound:
                inner[old] = mapping.get(old, old)
            pending.append((g, None, tuple(inner[old] for old in g.bound)))
            pending.append((g.body, inner, ()))
        elif isinstance(g, Not | Binary):
            pending.append((g, None, ()))
            pending.extend((child, env, ()) for child in reversed(g.children))
        else:
            raise TypeError(f"not a formula node: {g!r}")
    renamed = built[0]
    if not alpha_equivalent(f, renamed):
        raise ValueError(f"renaming {dict(mapping)} captures a variable and would change the meaning")
    return renamed


def _rebuilt(g: Formula, parts: Sequence[Formula], new_names: tuple[str, ...]) -> Formula:
    """A node like g with children `parts` (and, for a quantifier, bound variables `new_names`)."""
    if isinstance(g, Not):
        return Not(parts[0])
    if isinstance(g, Binary):
        return type(g)(parts[0], parts[1])
    if isinstance(g, PairMajority):
        return PairMajority(new_names[0], new_names[1], parts[0])
    if isinstance(g, AtLeast):
        return AtLeast(g.t, new_names[0], parts[0])
    assert isinstance(g, UnaryQuantifier)
    return type(g)(new_names[0], parts[0])
