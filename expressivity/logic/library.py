"""Named FO[M] sentences with their alphabets and plain-language meanings.

`LIBRARY[name]` is a LibrarySentence: its source text, alphabet, description and parsed formula. Each one is
checked by the tests against a plain Python function on every word of length at most 8.

Comparing two counts with M2. M compares a count with n/2 only, yet several sentences below compare two
counts, #R > #P, for disjoint sets of positions R and P (W is the rest). With U = R ∪ W and V = P ∪ W the
pairs split into U²\\V², V²\\U², W² = U² ∩ V², and the rest X, which has no diagonal pair since U ∪ V is
everything. All four parts are symmetric under (y, z) -> (z, y). Count

    c = |U²\\V²| + #{(y, z) in X : y < z} + #{(y, z) in W² : y < z}.

Then 2c - n² = |U|² - |V|² - |W| = (#R - #P)(#R + #P + 2|W|) - |W|. If #R > #P this is at least
n + |W| - |W| > 0; if not, it is at most -|W| <= 0. So #R > #P iff 2c > n², i.e. iff

    M2 y z. (~P(y) & ~P(z) & (R(y) | R(z))) | y < z & (W(y) & W(z) | R(y) & P(z) | P(y) & R(z)).

The square |U|² amplifies the difference #R - #P enough to swamp the |W| diagonal pairs that the
y < z trick cannot halve. With R and P "before x" this compares counts inside a prefix, which gives the
Dyck-1 prefix condition.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from expressivity.logic.checker import holds
from expressivity.logic.parser import parse
from expressivity.logic.syntax import Formula, free_variables, letters


@dataclass(frozen=True)
class LibrarySentence:
    """A named sentence over an alphabet; `formula` is `text` parsed (checked closed and within alphabet)."""

    name: str
    alphabet: str
    text: str
    description: str
    formula: Formula = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        formula = parse(self.text)
        free = free_variables(formula)
        if free:
            raise ValueError(f"library sentence {self.name!r} has free variables {sorted(free)}")
        outside = letters(formula) - set(self.alphabet)
        if outside:
            raise ValueError(f"sentence {self.name!r}: letters {sorted(outside)} are not in its alphabet")
        object.__setattr__(self, "formula", formula)

    def accepts(self, word: str) -> bool:
        """True iff the sentence holds of `word`, which must be over the sentence's alphabet."""
        return holds(self.formula, word, self.alphabet)


_DYCK1_PREFIX = """
        # No prefix 1..x has more ')' than '(': not #R > #P with R = {y <= x : ')'}, P = {y <= x : '('}
        # and W = {y > x} (M2 count comparison).
        forall x. ~M2 y z.
            ~(~(x < y) & Q_((y)) & ~(~(x < z) & Q_((z)) & (~(x < y) & Q_)(y) | ~(x < z) & Q_)(z))
          | y < z & (x < y & x < z | ~(x < y) & ~(x < z) & (Q_)(y) & Q_((z) | Q_((y) & Q_)(z)))
        """

_SENTENCES = (
    LibrarySentence(
        "majority",
        "01",
        "M x. Q_1(x)",
        "Strictly more than half of the symbols are 1: 2 * #1 > n.",
    ),
    LibrarySentence(
        "contains_a",
        "ab",
        "exists x. Q_a(x)",
        "Some symbol is a.",
    ),
    LibrarySentence(
        "a_before_b",
        "ab",
        "exists x. exists y. x < y & Q_a(x) & Q_b(y)",
        "Some a stands strictly before some b (the word contains ab as a scattered subword).",
    ),
    LibrarySentence(
        "first_is_a",
        "ab",
        "exists x. Q_a(x) & ~exists y. y < x",
        "The word is not empty and its first symbol is a.",
    ),
    LibrarySentence(
        "last_is_a",
        "ab",
        "exists x. Q_a(x) & ~exists y. x < y",
        "The word is not empty and its last symbol is a.",
    ),
    LibrarySentence(
        "exactly_one_a",
        "ab",
        "exists x. Q_a(x) & forall y. (Q_a(y) -> y = x)",
        "Exactly one symbol is a.",
    ),
    LibrarySentence(
        "at_least_two_a",
        "ab",
        "exists>=2 x. Q_a(x)",
        "At least two symbols are a (a threshold quantifier with t = 2).",
    ),
    LibrarySentence(
        "more_a_than_b",
        "abc",
        """
        # R = a, P = b, W = c in the M2 count comparison of the module docstring.
        M2 y z. ~Q_b(y) & ~Q_b(z) & (Q_a(y) | Q_a(z))
              | y < z & (Q_c(y) & Q_c(z) | Q_a(y) & Q_b(z) | Q_b(y) & Q_a(z))
        """,
        "There are strictly more a's than b's (c's do not count): #a > #b, by the M2 count comparison.",
    ),
    LibrarySentence(
        "half_as_after_first_b",
        "ab",
        """
        # x is the first b, and among the positions after x the b's do not outnumber the a's:
        # not #R > #P with R = {y > x : b}, P = {y > x : a}, W = {y <= x} (M2 count comparison).
        exists x. Q_b(x)
          & ~(M2 y z. ~(x < y & Q_a(y)) & ~(x < z & Q_a(z)) & (x < y & Q_b(y) | x < z & Q_b(z))
                    | y < z & (~(x < y) & ~(x < z) | x < y & x < z & (Q_a(y) & Q_b(z) | Q_b(y) & Q_a(z))))
          & forall y. (y < x -> Q_a(y))
        """,
        "There is a b, and at least half of the positions strictly after the first b hold a: with m such "
        "positions, 2 * #a >= m (true when the first b is the last symbol, as 0 >= 0). As the alphabet is "
        "ab, this says #a >= #b after the first b, i.e. not #b > #a, an M2 count comparison.",
    ),
    LibrarySentence(
        "dyck1_prefix",
        "()",
        _DYCK1_PREFIX,
        "Every prefix has at least as many ( as ): the word is a prefix of a balanced parenthesis word.",
    ),
    LibrarySentence(
        "dyck1",
        "()",
        """
        # Balanced: neither symbol is a strict majority, so #( = #); and the dyck1_prefix condition.
        ~(M x. Q_((x)) & ~(M x. Q_)(x)) &
        """
        + _DYCK1_PREFIX,
        "The word is balanced parentheses (Dyck-1): #( = #) and every prefix has #( >= #).",
    ),
    LibrarySentence(
        "most_pairs_a_then_later",
        "ab",
        "M2 x y. x < y & Q_a(x)",
        "Strictly more than half of all n^2 pairs (x, y) have an a at x and x < y: "
        "2 * sum over a-positions i of (n - i) > n^2. Early a's weigh more than late ones.",
    ),
    LibrarySentence(
        "most_pairs_touch_a",
        "ab",
        "M2 x y. Q_a(x) | Q_a(y)",
        "Strictly more than half of all pairs (x, y) have an a at x or at y: n^2 - #b^2 > n^2 / 2, "
        "i.e. 2 * #b^2 < n^2, so #b < n / sqrt(2), a threshold no unary M states directly.",
    ),
)

LIBRARY: dict[str, LibrarySentence] = {sentence.name: sentence for sentence in _SENTENCES}
