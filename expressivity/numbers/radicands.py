"""Square classes of positive integers, decided by gcds and integer square roots (factoring only below 2^40).

Two positive integers m and m' are in the same square class when m * m' is a perfect square, that is
when sqrt(m) / sqrt(m') is rational. Square roots of integers in pairwise distinct classes that are not
perfect squares are linearly independent over Q: writing m = s^2 * r with r square-free, distinct
classes have distinct square-free parts r (> 1), and the square roots of distinct square-free integers
are independent (Besicovitch 1940). So a sum sum_t q_t sqrt(m_t) over such m_t is zero iff every q_t is.

The exact numbers therefore keep one *representative* per class, and every radicand stored anywhere is
a representative: then equal classes are equal integers, and merging radicals is integer comparison.
`radical_class(m)` returns (rep, a, b) with sqrt(m) = (a / b) * sqrt(rep) (rep = 1 for a perfect
square). It never factors a large m:

- m below 2^40 (the radicands of compiled models) is split exactly as m = k s^2 with k square-free, by
  trial division by the primes p with p^3 <= what is left (at most 1,270 primes), after which the
  cofactor has at most two prime factors and is a square iff `isqrt` says so; k is its class's
  representative unless an earlier large radicand already represents that class (checked against the
  few representatives the route below created). No scan over all representatives;
- for a larger m, squares of the primes below 256 are divided out (a bounded number of divisions), so
  small square factors come out as expected (sqrt 8 = 2 sqrt 2);
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
_unproven: list[int] = []  # representatives made by the gcd route: not known to be square-free

_TRIAL_LIMIT = 2**40  # m below this is split by trial division (primes up to cbrt(2^40) < 10,322)


def _primes_below(n: int) -> tuple[int, ...]:
    sieve = bytearray([1]) * n
    sieve[:2] = b"\x00\x00"
    for p in range(2, isqrt(n - 1) + 1):
        if sieve[p]:
            sieve[p * p :: p] = bytearray(len(range(p * p, n, p)))
    return tuple(p for p in range(n) if sieve[p])


_TRIAL_PRIMES = _primes_below(10_322)


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
    if m < _TRIAL_LIMIT:
        _classes[m] = _class_of_small(m)
        return _classes[m]
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


def _class_of_small(m: int) -> tuple[int, int, int]:
    """radical_class of m < 2^40: m = k s^2 with k square-free, by trial division by the primes p while
    p^3 <= rest (rest then has at most two prime factors, all >= p: it is 1, q, q r or q^2, and only
    q^2 is a square). k's class is looked up, or else found among the unproven representatives (one
    equal to k t^2), or else k represents a new class."""
    rest, kernel, outside = m, 1, 1
    for p in _TRIAL_PRIMES:
        if p * p * p > rest:
            break
        if rest % p:
            continue
        power = 0
        while rest % p == 0:
            rest //= p
            power += 1
        outside *= p ** (power // 2)
        kernel *= p ** (power % 2)
    root = isqrt(rest)
    if root * root == rest:
        outside *= root
    else:
        kernel *= rest
    known = _classes.get(kernel)
    if known is None:
        known = _class_of_kernel(kernel)
    rep, a, b = known
    a *= outside
    g = gcd(a, b)
    return rep, a // g, b // g


def _class_of_kernel(kernel: int) -> tuple[int, int, int]:
    """The class of a square-free kernel not seen before: an unproven representative kernel * t^2 if
    one exists (sqrt(kernel) = sqrt(rep) / t), else kernel itself, as a new class."""
    for rep in _unproven:
        if rep % kernel == 0:
            t = _square_root(rep // kernel)
            if t is not None:
                _classes[kernel] = (rep, 1, t)
                return _classes[kernel]
    _representatives.append(kernel)
    _classes[kernel] = (kernel, 1, 1)
    return _classes[kernel]


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
    _unproven.append(m)
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
