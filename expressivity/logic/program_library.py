"""Showcase programs, each with a plain Python definition of the language it should accept.

- `program_from_dfa(dfa)`: a regular language. Relations T_p_q(x, y) for states p, q say "reading
  w_{x+1} .. w_y from p leads to q" (x <= y). init: x = y (p = q) or y = x + 1 and w_y leads from p to q;
  update (doubling): T_p_q(x, y) := OR_r exists z. T_p_r(x, z) & T_r_q(z, y) (one small quantifier
  per r: each body is one AND of two lookups, a one-unit table). After l iterations T is
  right for y - x <= 2^l, so ceil(log2 n) iterations cover the whole word (y - x <= n - 1). accept: the
  first letter leads from the start to some r, and T_r_f(first, last) for an accepting f (the empty word:
  iff the start accepts). |Q|^2 relations, k = 3 variables.
- `s5_program()`: the word problem of S5 (Barrington: NC^1-complete) over a = (1 2), b = (1 2 3 4 5),
  e = identity: the same relations for the action on the 5 points, and accept iff every point returns to
  itself (the product is the identity).
- `connectivity_program()`: s-t connectivity of a graph input, R := R or R.R from R = A_1.
- `clock_program(c)`: a d = 2 schedule that is needed. D doubles the successor relation until it relates
  every x < y, then restarts, and each restart adds one position to the unary counter P. A round takes
  T + 1 iterations, T = ceil(log2(n - 1)) (0 for n <= 2), so r(n) = c * ceil(log2 n)^2 iterations
  complete floor(r(n) / (T + 1)) ~ c * ceil(log2 n) rounds; accept iff every b stands within them.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import reduce

from expressivity.logic.program import IteratedProgram, LoopSchedule, RelationSpec
from expressivity.logic.program_text import parse_program
from expressivity.logic.syntax import (
    And,
    Const,
    Equal,
    Exists,
    Forall,
    Formula,
    Less,
    Letter,
    Not,
    Or,
    Relation,
)


@dataclass(frozen=True)
class DFA:
    """A deterministic automaton: transitions[(state, symbol)] = next state, for every pair."""

    states: tuple[str, ...]
    alphabet: str
    transitions: Mapping[tuple[str, str], str]
    start: str
    accepting: frozenset[str]

    def __post_init__(self) -> None:
        for state in self.states:
            for symbol in self.alphabet:
                target = self.transitions.get((state, symbol))
                if target not in self.states:
                    raise ValueError(f"DFA: no valid transition from {state!r} on {symbol!r}")
        if self.start not in self.states or not set(self.accepting) <= set(self.states):
            raise ValueError("DFA: the start and accepting states must be states")

    def accepts(self, word: str) -> bool:
        state = self.start
        for symbol in word:
            state = self.transitions[(state, symbol)]
        return state in self.accepting


def _any(parts: Sequence[Formula]) -> Formula:
    return reduce(Or, parts) if parts else Const(False)


def _all(parts: Sequence[Formula]) -> Formula:
    return reduce(And, parts) if parts else Const(True)


def _successor(x: str, y: str, z: str) -> Formula:
    """y = x + 1: x < y and no z strictly between."""
    return And(Less(x, y), Not(Exists(z, And(Less(x, z), Less(z, y)))))


def _first(x: str, z: str) -> Formula:
    return Not(Exists(z, Less(z, x)))


def _last(y: str, z: str) -> Formula:
    return Not(Exists(z, Less(y, z)))


def _compose(index: Mapping[str, int], p: str, r: str, q: str) -> Formula:
    """T_p_r(x, z) & T_r_q(z, y): p leads to r on (x, z] and r to q on (z, y]."""
    return And(Relation(_name(index, p, r), ("x", "z")), Relation(_name(index, r, q), ("z", "y")))


def _name(index: Mapping[str, int], p: str, q: str) -> str:
    return f"T_{index[p]}_{index[q]}"


def transition_relations(
    states: Sequence[str], alphabet: str, step: Mapping[tuple[str, str], str]
) -> tuple[RelationSpec, ...]:
    """The |Q|^2 interval relations T_p_q(x, y) with their init and doubling update (module docstring)."""
    index = {state: i for i, state in enumerate(states)}
    specs = []
    for p in states:
        for q in states:
            letters = [Letter(a, "y") for a in alphabet if step[(p, a)] == q]
            init: Formula = And(_successor("x", "y", "z"), _any(letters)) if letters else Const(False)
            if p == q:
                init = Or(Equal("x", "y"), init)
            update = _any([Exists("z", _compose(index, p, r, q)) for r in states])
            specs.append(RelationSpec(_name(index, p, q), ("x", "y"), init, update))
    return tuple(specs)


def _run_sentence(
    index: Mapping[str, int], alphabet: str, step, start: str, targets: Sequence[str]
) -> Formula:
    """First letter a leads from `start` to step(start, a), then the interval (first, last] to a target."""
    body = _any(
        [
            And(
                Letter(a, "x"),
                _any([Relation(_name(index, step[(start, a)], f), ("x", "y")) for f in targets]),
            )
            for a in alphabet
        ]
    )
    return Exists("x", Exists("y", And(And(_first("x", "z"), _last("y", "z")), body)))


def program_from_dfa(dfa: DFA) -> IteratedProgram:
    """The program accepting exactly the words `dfa` accepts, with ceil(log2 n) loops."""
    index = {state: i for i, state in enumerate(dfa.states)}
    specs = transition_relations(dfa.states, dfa.alphabet, dfa.transitions)
    accept = _run_sentence(index, dfa.alphabet, dfa.transitions, dfa.start, sorted(dfa.accepting))
    if dfa.start in dfa.accepting:
        accept = Or(Forall("x", Const(False)), accept)
    return IteratedProgram(specs, LoopSchedule(coefficient=1), accept)


S5_POINTS = ("1", "2", "3", "4", "5")
S5_GENERATORS = {
    "a": {"1": "2", "2": "1", "3": "3", "4": "4", "5": "5"},
    "b": {"1": "2", "2": "3", "3": "4", "4": "5", "5": "1"},
    "e": {point: point for point in S5_POINTS},
}
"""a = (1 2), b = (1 2 3 4 5), e = identity, as maps point -> image."""


def s5_is_identity(word: str) -> bool:
    """The plain definition: apply the letters in order (w_1 first) to every point; the product is the
    identity iff every point comes back to itself."""
    for point in S5_POINTS:
        image = point
        for symbol in word:
            image = S5_GENERATORS[symbol][image]
        if image != point:
            return False
    return True


def s5_identity_word(rng: random.Random, n: int) -> str:
    """A random word of length n whose product is the identity: random letters u, then the letters of
    u undone in reverse order (a undoes a, bbbb undoes b), then e's."""
    undo = {"a": "a", "b": "bbbb", "e": "e"}
    letters: list[str] = []
    while True:
        symbol = rng.choice("abe")
        inverse = "".join(undo[c] for c in reversed([*letters, symbol]))
        if len(letters) + 1 + len(inverse) > n:
            break
        letters.append(symbol)
    body = "".join(letters) + "".join(undo[c] for c in reversed(letters))
    return body + "e" * (n - len(body))


def s5_program() -> IteratedProgram:
    """The S5 word problem as a program: accept iff the product of the letters is the identity."""
    step = {(p, a): S5_GENERATORS[a][p] for p in S5_POINTS for a in S5_GENERATORS}
    alphabet = "".join(S5_GENERATORS)
    index = {point: i for i, point in enumerate(S5_POINTS)}
    specs = transition_relations(S5_POINTS, alphabet, step)
    accept = Or(
        Forall("x", Const(False)),
        _all([_run_sentence(index, alphabet, step, point, [point]) for point in S5_POINTS]),
    )
    return IteratedProgram(specs, LoopSchedule(coefficient=1), accept)


CONNECTIVITY_TEXT = """\
# s-t connectivity: R(x, y) iff a path of length 1 .. 2^l leads from x to y after l iterations.
input graph;
relation R(x, y):
    init   A_1(x, y);
    update R(x, y) | exists z. R(x, z) & R(z, y);
loops ceil(log2 n);
accept exists x. exists y. (Q_s(x) | Q_b(x)) & (Q_t(y) | Q_b(y)) & (x = y | R(x, y));
"""


def connectivity_program() -> IteratedProgram:
    return parse_program(CONNECTIVITY_TEXT)


def clock_text(coefficient: int = 1) -> str:
    return f"""\
# A log-squared clock (d = 2): D doubles the successor relation until it relates every x < y, then
# restarts; every restart adds the next position to P. Accept iff every b lies within P.
relation D(x, y):
    init   x = y | x < y & ~exists z. x < z & z < y;
    update (forall x. forall y. (x < y -> D(x, y))) & (x = y | x < y & ~exists z. x < z & z < y)
         | ~(forall x. forall y. (x < y -> D(x, y))) & (exists z. D(x, z) & D(z, y));
relation P(x):
    init   false;
    update P(x) | (forall x. forall y. (x < y -> D(x, y))) & (forall z. (z < x -> P(z)));
loops {coefficient}*ceil(log2 n)^2;
accept forall x. (Q_b(x) -> P(x));
"""


def clock_program(coefficient: int = 1) -> IteratedProgram:
    return parse_program(clock_text(coefficient))


def clock_accepts(word: str, iterations: int) -> bool:
    """The plain definition: rounds = iterations // (T + 1), T = ceil(log2(n - 1)) (0 for n <= 2);
    accept iff every b stands at a position <= rounds."""
    n = len(word)
    doubling = (n - 2).bit_length() if n > 2 else 0
    rounds = iterations // (doubling + 1)
    return all(position <= rounds for position, symbol in enumerate(word, start=1) if symbol == "b")


def _dfa(states: str, alphabet: str, table: Mapping[str, str], start: str, accepting: str) -> DFA:
    """A DFA from a compact table: table[state] lists the next state per alphabet symbol."""
    transitions = {(p, a): table[p][i] for p in states for i, a in enumerate(alphabet)}
    return DFA(tuple(states), alphabet, transitions, start, frozenset(accepting))


EXAMPLE_DFAS: dict[str, DFA] = {
    "parity": _dfa("eo", "01", {"e": "eo", "o": "oe"}, "e", "e"),
    "ab_star": _dfa("sAd", "ab", {"s": "Ad", "A": "ds", "d": "dd"}, "s", "s"),
    "a_mod_3": _dfa("012", "ab", {"0": "10", "1": "21", "2": "02"}, "0", "0"),
    "binary_mod_5": _dfa("01234", "01", {"0": "01", "1": "23", "2": "40", "3": "12", "4": "34"}, "0", "0"),
}
"""parity: even number of 1s; ab_star: (ab)*; a_mod_3: the number of a's is divisible by 3;
binary_mod_5: the word, read as a binary number (most significant bit first), is divisible by 5."""
