"""Scalars of the square-root field and the two exact primitives everything else rests on.

An element is x = sum_r q_r * sqrt(r) with rational q_r over distinct radicands r: 1 and representatives
of square classes (`radicands`). Their square roots are linearly independent over Q, so this canonical
form decides equality exactly: x = 0 iff every q_r = 0. The sign of a non-zero element is
settled by interval evaluation with integer square roots, doubling the precision until the interval
excludes 0; that loop ends because the element is known to be non-zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from math import gcd, isqrt

from expressivity.numbers.radicands import radical_class, radical_product


def sign_of_radical_sum(terms: Iterable[tuple[int, int]]) -> int:
    """Certified sign of sum_t n_t * sqrt(r_t) for integers n_t and distinct representatives r_t >= 1.

    Zero iff every n_t is zero (linear independence); otherwise interval evaluation at 2^k-scaled
    precision: floor(sqrt(r * 4^k)) <= sqrt(r) * 2^k < floor(...) + 1.
    """
    terms = [(n, r) for n, r in terms if n != 0]
    if not terms:
        return 0
    if len(terms) == 1:
        return 1 if terms[0][0] > 0 else -1
    bits = 64
    while True:
        low = high = 0
        for n, r in terms:
            root = isqrt(r << (2 * bits))
            exact = root * root == r << (2 * bits)
            lo_root, hi_root = root, root if exact else root + 1
            if n > 0:
                low += n * lo_root
                high += n * hi_root
            else:
                low += n * hi_root
                high += n * lo_root
        if low > 0:
            return 1
        if high < 0:
            return -1
        bits *= 2


class SqrtNumber:
    """An exact element sum_r q_r sqrt(r) of the square-root field, in canonical form.

    Immutable; supports +, -, * and comparison, and prints like `3/2 + 1/4*sqrt(6)`.
    """

    __slots__ = ("_terms",)

    def __init__(self, value: int | Fraction | dict[int, Fraction] = 0) -> None:
        if isinstance(value, dict):
            # Canonical form: radicands are class representatives (sqrt 8 = 2 sqrt 2), merged, zero
            # terms dropped.
            merged: dict[int, Fraction] = {}
            for r, q in value.items():
                rep, a, b = radical_class(int(r))
                merged[rep] = merged.get(rep, Fraction(0)) + Fraction(a, b) * Fraction(q)
            terms = {r: q for r, q in merged.items() if q != 0}
        else:
            q = Fraction(value)
            terms = {1: q} if q != 0 else {}
        self._terms: dict[int, Fraction] = terms

    @classmethod
    def sqrt_of(cls, q: int | Fraction) -> SqrtNumber:
        """sqrt(q) for a rational q >= 0."""
        q = Fraction(q)
        if q < 0:
            raise ValueError(f"square root of negative {q}")
        if q == 0:
            return cls(0)
        rep, a, b = radical_class(q.numerator * q.denominator)
        return cls({rep: Fraction(a, b * q.denominator)})

    @property
    def terms(self) -> dict[int, Fraction]:
        return dict(self._terms)

    def is_rational(self) -> bool:
        return all(r == 1 for r in self._terms)

    def rational(self) -> Fraction:
        if not self.is_rational():
            raise ValueError(f"{self} is not rational")
        return self._terms.get(1, Fraction(0))

    def sign(self) -> int:
        if not self._terms:
            return 0
        den = 1
        for q in self._terms.values():
            den = den * q.denominator // gcd(den, q.denominator)
        return sign_of_radical_sum((int(q * den), r) for r, q in self._terms.items())

    def __float__(self) -> float:
        return float(sum(float(q) * r**0.5 for r, q in self._terms.items()))

    def _coerce(self, other: object) -> SqrtNumber:
        if isinstance(other, SqrtNumber):
            return other
        if isinstance(other, int | Fraction):
            return SqrtNumber(other)
        return NotImplemented

    def __add__(self, other: object) -> SqrtNumber:
        other = self._coerce(other)
        if other is NotImplemented:
            return other
        terms = dict(self._terms)
        for r, q in other._terms.items():
            terms[r] = terms.get(r, Fraction(0)) + q
        return SqrtNumber(terms)

    __radd__ = __add__

    def __neg__(self) -> SqrtNumber:
        return SqrtNumber({r: -q for r, q in self._terms.items()})

    def __sub__(self, other: object) -> SqrtNumber:
        other = self._coerce(other)
        if other is NotImplemented:
            return other
        return self + (-other)

    def __rsub__(self, other: object) -> SqrtNumber:
        return (-self) + other

    def __mul__(self, other: object) -> SqrtNumber:
        other = self._coerce(other)
        if other is NotImplemented:
            return other
        terms: dict[int, Fraction] = {}
        for r1, q1 in self._terms.items():
            for r2, q2 in other._terms.items():
                r, a, b = radical_product(r1, r2)
                terms[r] = terms.get(r, Fraction(0)) + q1 * q2 * Fraction(a, b)
        return SqrtNumber(terms)

    __rmul__ = __mul__

    def __eq__(self, other: object) -> bool:
        other = self._coerce(other)
        if other is NotImplemented:
            return NotImplemented
        return self._terms == other._terms

    def __hash__(self) -> int:
        return hash(frozenset(self._terms.items()))

    def __lt__(self, other: object) -> bool:
        return (self - other).sign() < 0

    def __le__(self, other: object) -> bool:
        return (self - other).sign() <= 0

    def __gt__(self, other: object) -> bool:
        return (self - other).sign() > 0

    def __ge__(self, other: object) -> bool:
        return (self - other).sign() >= 0

    def __repr__(self) -> str:
        return f"SqrtNumber({self})"

    def __str__(self) -> str:
        if not self._terms:
            return "0"
        parts = []
        for r in sorted(self._terms):
            q = self._terms[r]
            parts.append(str(q) if r == 1 else f"{q}*sqrt({r})")
        return " + ".join(parts).replace("+ -", "- ")

    def to_json(self) -> str | dict[str, str]:
        """A rational prints as "p/q"; otherwise {"radicand": "p/q", ...}."""
        if self.is_rational():
            return str(self.rational())
        return {str(r): str(q) for r, q in sorted(self._terms.items())}
