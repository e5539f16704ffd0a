"""Pass 2, allocate and schedule: which subformulas get residual cells, and when each is written.

Every assignment token holds *bases*, cells that the later layers read as discrete values:

- ("letters", x): the one-hot letter of position x (a spin group per letter of Q_a(x) atoms);
- ("order", x, y): the comparison of the positions x and y, read as -1, 0, +1 (x > y, x = y, x < y);
- ("spin", node): one bit per quantified subformula (its count compared with its threshold) and per
  *materialised* Boolean subformula (a spin group written by a G9 feed-forward table).

Every other subformula is a Boolean function of bases and costs no cells: a table reads the bases below
it directly. A quantifier's body must be one spin (a letter, a quantifier or a materialised node, under
any number of negations, which only flip the sign of the head's value), so bodies of any other shape are
materialised (other tables still read the bases below them). Boolean subformulas whose table would
exceed TABLE_LIMIT input patterns are *split* off: materialised first, and read as one spin above.

Schedule. Sublayer slots are numbered t = 2L (attention of layer L) and 2L + 1 (its feed-forward
sublayers), counted from the first layer after the coordinate set-up. A base written at slot t can be
read from slot t + 1 on: letters are retrieved at t = 0, zero-digit spins written at t = 1, ranks (order
comparisons and keys) at t = 2, the zero spins of M2 pairs and (causal mode) the copy ids at t = 3. A
quantifier head runs at the first even slot >= 4 after its body is ready, a table at the first odd slot
after its inputs, and the result table at the first odd slot after the sentence's bases. Independent
heads and tables share a slot. Each quantifier level adds two slots (its head, then the table of the
next body), so without split tables the layers after the set-up number at most D + 2, D the quantifier
depth, in both modes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from math import prod

from expressivity.compile.formula.validate import Sentence
from expressivity.logic import (
    Binary,
    Comparison,
    Const,
    Formula,
    Iff,
    Implies,
    Less,
    Letter,
    Not,
    Or,
    PairMajority,
    Quantifier,
    Relation,
    quantifier_depth,
    subformulas,
)

TABLE_LIMIT = 256
"""Largest number of input patterns (product of the axes' sizes) one feed-forward table may enumerate."""

LETTER_SLOT, ZERO_SLOT, ORDER_SLOT, PAIR_ZERO_SLOT = 0, 1, 2, 3
QUANTIFIER_SLOT = 4
"""First slot of a quantifier head: it joins on the keys written by the rank heads (slot 2) and reads the
zero spins of M2 pairs and, in causal mode, the copy ids (slot 3)."""
EMBEDDED = -1
"""Write slot of a constant base: set by the embedding, readable from slot 0."""

Leaf = tuple[object, ...]


@dataclass
class Plan:
    """Everything the instantiation pass needs (see the module docstring)."""

    sentence: Sentence
    causal: bool
    letters: dict[str, tuple[str, ...]]
    pairs: tuple[tuple[str, str], ...]
    quantifiers: tuple[Quantifier, ...]
    materialised: tuple[Formula, ...]
    bodies: dict[Quantifier, tuple[Formula, int]]
    tables: set[Formula] = field(default_factory=set)
    split: set[Formula] = field(default_factory=set)
    slots: dict[Formula, int] = field(default_factory=dict)
    result_slot: int = 1
    roots: tuple[Formula, ...] = ()
    prepared: bool = False
    needs_keys: bool = False

    @property
    def variables(self) -> tuple[str, ...]:
        return self.sentence.variables

    @property
    def levels(self) -> int:
        """Quantifier depth D: the causal layout keeps D + 1 copies of the assignment tokens."""
        return quantifier_depth(self.sentence.formula)

    @property
    def copies(self) -> int:
        return self.levels + 1 if self.causal else 1

    def needs_other_letter(self, variable: str) -> bool:
        """True when some alphabet symbol is not among the letters tested at `variable`."""
        return len(self.letters[variable]) < len(self.sentence.alphabet)

    def zero_variables(self) -> tuple[str, ...]:
        """Variables whose zero-digit spin is needed: all of them once there is a quantifier (the rank
        heads that write the keys average it)."""
        return self.variables if self.quantifiers or self.pairs or self.needs_keys else ()

    def pair_zeros(self) -> tuple[tuple[str, str], ...]:
        return tuple(dict.fromkeys(q.bound for q in self.quantifiers if isinstance(q, PairMajority)))

    def ordered(self, x: str, y: str) -> tuple[str, str]:
        index = self.variables.index
        return (x, y) if index(x) < index(y) else (y, x)

    def leaves(self, node: Formula) -> list[Leaf]:
        """The bases a table computing `node` reads, in a fixed order (first reached, left to right).

        An explicit stack, so long chains of connectives need no Python recursion."""
        out: dict[Leaf, None] = {}
        pending = [(node, True)]
        while pending:
            current, top = pending.pop()
            if isinstance(current, Quantifier | Relation) or (not top and current in self.split):
                out[("spin", current)] = None
            elif isinstance(current, Letter):
                out[("letters", current.var)] = None
            elif isinstance(current, Comparison):
                if current.left != current.right:
                    out[("order", *self.ordered(current.left, current.right))] = None
            elif not isinstance(current, Const):
                pending.extend((child, False) for child in reversed(current.children))
        return list(out)

    def axis_size(self, leaf: Leaf) -> int:
        if leaf[0] == "letters":
            variable = str(leaf[1])
            return len(self.letters[variable]) + self.needs_other_letter(variable)
        return 3 if leaf[0] == "order" else 2

    def table_size(self, node: Formula) -> int:
        return prod(self.axis_size(leaf) for leaf in self.leaves(node))

    def evaluate(self, node: Formula, env: dict[Leaf, object]) -> bool:
        """The truth of `node` when its leaves hold the values in `env` (see `leaves`).

        Post-order over an explicit stack: `pending` holds (node, top, children done) and `values` the
        truth values computed so far, so long chains of connectives need no Python recursion."""
        values: list[bool] = []
        pending = [(node, True, False)]
        while pending:
            current, top, children_done = pending.pop()
            if children_done:
                values.append(_connective(current, values))
            elif isinstance(current, Quantifier | Relation) or (not top and current in self.split):
                values.append(env[("spin", current)] == 1)
            elif isinstance(current, Not | Binary):
                pending.append((current, top, True))
                pending.extend((child, False, False) for child in reversed(current.children))
            else:
                values.append(self._atom_value(current, env))
        return values[0]

    def _atom_value(self, node: Formula, env: dict[Leaf, object]) -> bool:
        if isinstance(node, Letter):
            return env[("letters", node.var)] == node.symbol
        if isinstance(node, Comparison):
            if node.left == node.right:
                return not isinstance(node, Less)
            pair = self.ordered(node.left, node.right)
            sign = env[("order", *pair)]
            if not isinstance(node, Less):
                return sign == 0
            return sign == (1 if pair == (node.left, node.right) else -1)
        assert isinstance(node, Const)
        return node.value

    def available(self, leaf: Leaf) -> int:
        """The first slot that can read `leaf`."""
        if leaf[0] in ("letters", "order") and self.prepared:
            return 0
        if leaf[0] == "letters":
            return LETTER_SLOT + 1
        if leaf[0] == "order":
            return ORDER_SLOT + 1
        node = leaf[1]
        assert isinstance(node, Formula)
        return self.slots[node] + 1 if self.slots[node] != EMBEDDED else 0

    def body_leaf(self, quantifier: Quantifier) -> Leaf:
        base, _ = self.bodies[quantifier]
        return ("letters", base.var) if isinstance(base, Letter) else ("spin", base)

    def layer_count(self) -> int:
        used = [self.result_slot, *self.slots.values()]
        if self.prepared:
            return max(used) // 2 + 1
        if self.letters:
            used.append(LETTER_SLOT)
        if self.zero_variables():
            used.append(ZERO_SLOT)
        if self.zero_variables():
            used.append(ORDER_SLOT)
        return max(used) // 2 + 1


def make_plan(
    sentence: Sentence,
    causal: bool,
    roots: tuple[Formula, ...] | None = None,
    atom_slots: Mapping[Relation, int] | None = None,
    prepared: bool = False,
) -> Plan:
    """Decide the bases and their slots for `sentence` (see the module docstring).

    The iterated-program route (compile/iterated) reuses this pass with three options: `roots`, the
    formulas whose values are wanted (by default the sentence; their tables are kept within
    TABLE_LIMIT); `atom_slots`, the write slot of every relation atom (read as a spin, like a
    quantifier); and `prepared`, which says that letters, ranks, keys and zero spins are already in the
    residual stream before slot 0, so quantifier heads may run from slot 0."""
    formula = sentence.formula
    nodes = subformulas(formula)
    letters: dict[str, dict[str, None]] = {}
    pairs: dict[tuple[str, str], None] = {}
    for node in nodes:
        if isinstance(node, Letter):
            letters.setdefault(node.var, {})[node.symbol] = None
    plan = Plan(
        sentence=sentence,
        causal=causal,
        letters={v: tuple(sorted(s, key=sentence.alphabet.index)) for v, s in letters.items()},
        pairs=(),
        quantifiers=tuple(node for node in nodes if isinstance(node, Quantifier)),
        materialised=(),
        bodies={},
        roots=(formula,) if roots is None else tuple(roots),
        prepared=prepared,
    )
    plan.slots.update(atom_slots or {})
    for node in nodes:
        if isinstance(node, Comparison) and node.left != node.right:
            pairs[plan.ordered(node.left, node.right)] = None
    plan.pairs = tuple(pairs)
    for quantifier in plan.quantifiers:
        base, polarity = _strip_negations(quantifier.body)
        if not isinstance(base, Letter | Quantifier | Relation):
            plan.tables.add(base)
        plan.bodies[quantifier] = (base, polarity)
    for node in (*[node for node in nodes if node in plan.tables], *plan.roots):
        _limit_table(plan, node)
    plan.materialised = tuple(node for node in nodes if node in plan.tables)
    _schedule(plan)
    return plan


def _connective(node: Formula, values: list[bool]) -> bool:
    """The value of the Not or Binary `node`, its operands' values taken off the end of `values`."""
    if isinstance(node, Not):
        return not values.pop()
    right, left = values.pop(), values.pop()
    if isinstance(node, Or):
        return left or right
    if isinstance(node, Implies):
        return (not left) or right
    if isinstance(node, Iff):
        return left == right
    return left and right


def _strip_negations(node: Formula) -> tuple[Formula, int]:
    polarity = 1
    while isinstance(node, Not):
        node, polarity = node.operand, -polarity
    return node, polarity


def _limit_table(plan: Plan, node: Formula) -> None:
    """Materialise Boolean children of `node` (largest table first) until its table fits TABLE_LIMIT.

    A chosen child is first limited the same way, then materialised; `pending` is the chain of nodes
    being limited (an explicit stack, so deep formulas need no Python recursion)."""
    pending = [node]
    while pending:
        child = _oversized_child(plan, pending[-1])
        if child is not None:
            pending.append(child)
            continue
        done = pending.pop()
        if pending:
            plan.split.add(done)
            plan.tables.add(done)


def _oversized_child(plan: Plan, node: Formula) -> Formula | None:
    """The child to materialise next if `node`'s table is too large, else None (also when only atoms
    and quantifiers are below: a large alphabet gets one larger table)."""
    if plan.table_size(node) <= TABLE_LIMIT:
        return None
    candidates = [
        child for child in _boolean_children(node) if child not in plan.tables and plan.leaves(child)
    ]
    return max(candidates, key=plan.table_size, default=None)


def _boolean_children(node: Formula) -> list[Formula]:
    """The nearest connective descendants of `node` below negations (materialising one of them removes
    its leaves from node's table)."""
    out = []
    for child in node.children:
        base, _ = _strip_negations(child)
        if isinstance(base, Not | Binary):
            out.append(base)
    return out


def _schedule(plan: Plan) -> None:
    for node in subformulas(plan.sentence.formula):
        if isinstance(node, Quantifier):
            first = 0 if plan.prepared else QUANTIFIER_SLOT
            ready = max(first, plan.available(plan.body_leaf(node)))
            plan.slots[node] = ready + ready % 2
        elif node in plan.materialised:
            leaves = plan.leaves(node)
            if not leaves:
                plan.slots[node] = EMBEDDED
                continue
            ready = max([1, *(plan.available(leaf) for leaf in leaves)])
            plan.slots[node] = ready + 1 - ready % 2
    ready = max([1, *(plan.available(leaf) for leaf in plan.leaves(plan.sentence.formula))])
    plan.result_slot = ready + 1 - ready % 2
