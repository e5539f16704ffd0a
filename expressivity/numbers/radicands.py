"""Square classes of positive integers, decided by gcds and integer square roots alone (no factoring).

Two positive integers m and m' are in the same square class when m * m' is a perfect square, that is
when sqrt(m) / sqrt(m') is rational. Square roots of integers in pairwise distinct classes that are not
perfect squares are linearly independent over Q: writing m = s^2 * r with r square-free, distinct
classes have distinct square-free parts r (> 1), and the square roots of distinct square-free integers
are independent (Besicovitch 1940). So a sum sum_t q_t sqrt(m_t) over such m_t is zero iff every q_t is.

The exact numbers therefore keep one *representative* per class, and every radicand stored anywhere is
a representative: then equal classes are equal integers, and merging radicals is integer comparison.
`radical_class(m)` returns (rep, a, b) with sqrt(m) = (a / b) * sqrt(rep) (rep = 1 for a perfect
square). It never factors m:

- squares of the primes below 256 are divided out (a bounded number of divisions), so the usual
  small radicands come out square-free and print as expected (sqrt 8 = 2 sqrt 2);
- what is left, m0, is compared with each known representative rep sharing a factor with it: with
  g = gcd(m0, rep), m0 * rep = g^2 * (m0/g) * (rep/g) with coprime cofactors, so it is a square iff
  m0/g and rep/g both are (two integer square roots);
- a new class takes m0 as its representative. A representative is not claimed to be square-free: a
  square of a prime above 256 may remain (if 2 * 257^2 is seen before 2, it represents the class and
  sqrt 2 = (1/257) sqrt(2 * 257^2)). Which member represents a class thus depends on what the process
  saw first; values and decisions never do.

The table lives for the process (one dictionary lookup for a radicand seen before).
"""

from __future__ import annotations

from math import gcd, isqrt

_SMALL_PRIMES = tuple(p for p in range(2, 256) if all(p % d for d in range(2, isqrt(p) + 1)))
_classes: dict[int, tuple[int, int, int]] = {1: (1, 1, 1)}
_representatives: list[int] = []


_SQUARES_MOD_4095 = frozenset(k * k % 4095 for k in range(4095))  # 4095 = 3^2 * 5 * 7 * 13


def _square_root(n: int) -> int | None:
    """isqrt(n) if n is a perfect square, else None (most non-squares are rejected by a residue)."""
    if n % 4095 not in _SQUARES_MOD_4095:
        return None
    root = isqrt(n)
    return root if root * root == n else None


def radical_class(m: int) -> tuple[int, int, int]:
    """(rep, a, b) with sqrt(m) = (a/b) sqrt(rep), rep the representative of m's square class (m >= 1)."""
    known = _classes.get(m)
    if known is not None:
        return known
    if m < 1:
        raise ValueError(f"radical_class needs a positive integer, got {m}")
    rest, outside = m, 1
    for p in _SMALL_PRIMES:
        square = p * p
        if square > rest:
            break
        while rest % square == 0:
            rest //= square
            outside *= p
    result = _class_of_reduced(rest)
    rep, a, b = result
    a *= outside
    g = gcd(a, b)
    _classes[m] = (rep, a // g, b // g)
    return _classes[m]


def _class_of_reduced(m: int) -> tuple[int, int, int]:
    known = _classes.get(m)
    if known is not None:
        return known
    root = _square_root(m)
    if root is not None:
        return 1, root, 1
    for rep in _representatives:
        g = gcd(m, rep)
        if g == 1:
            continue
        inside, rep_inside = _square_root(m // g), _square_root(rep // g)
        if inside is not None and rep_inside is not None:
            # sqrt(m) = inside sqrt(g), sqrt(rep) = rep_inside sqrt(g)
            return rep, inside, rep_inside
    _representatives.append(m)
    _classes[m] = (m, 1, 1)
    return m, 1, 1


def radical_product(r1: int, r2: int) -> tuple[int, int, int]:
    """sqrt(r1) sqrt(r2) = (a/b) sqrt(rep) for representatives r1, r2: with g = gcd(r1, r2),
    sqrt(r1 r2) = g sqrt((r1/g)(r2/g))."""
    g = gcd(r1, r2)
    rep, a, b = radical_class((r1 // g) * (r2 // g))
    a *= g
    common = gcd(a, b)
    return rep, a // common, b // common
