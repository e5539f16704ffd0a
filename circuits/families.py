"""Uniform circuit families: one function per family, n (and friends) -> Circuit.

Naming and order: numbers are given least significant bit first. Unless a family says otherwise, the
inputs are x0..x{n-1}. Internal gates get the builder's fresh names g0, g1, ... (no input or output
name starts with "g" followed by a digit, so these never clash). Depth counts gates (see
`circuits.analysis`). In the sums below, s = x0 + ... + x{n-1} and [P] is 1 if P holds, else 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from circuits.errors import CircuitError
from circuits.ir import Circuit, CircuitBuilder, Op


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise CircuitError(message)


def _inputs(builder: CircuitBuilder, prefix: str, count: int) -> list[str]:
    return [builder.input(f"{prefix}{i}") for i in range(count)]


def majority(n: int) -> Circuit:
    """Strict majority of n bits: out = [2s > n] = [s >= floor(n/2) + 1], one MAJ gate (depth 1)."""
    _check(n >= 1, f"majority needs n >= 1, got {n}")
    b = CircuitBuilder(f"majority_{n}")
    b.output(b.gate(Op.MAJ, *_inputs(b, "x", n)), "out")
    return b.build()


def at_least(n: int, k: int) -> Circuit:
    """out = [s >= k], one threshold gate with weights 1 (depth 1; k <= 0 gives 1, k > n gives 0)."""
    _check(n >= 1, f"at_least needs n >= 1, got {n}")
    b = CircuitBuilder(f"at_least_{n}_{k}")
    b.output(b.threshold(_inputs(b, "x", n), [1] * n, k), "out")
    return b.build()


def exactly(n: int, k: int) -> Circuit:
    """out = [s = k] for 0 <= k <= n, as [[s >= k] + [-s >= -k] >= 2] (depth 2).

    [s = k] is not monotone in either direction, so no single threshold gate computes it for 0 < k < n.
    """
    _check(n >= 1 and 0 <= k <= n, f"exactly needs n >= 1 and 0 <= k <= n, got n={n}, k={k}")
    b = CircuitBuilder(f"exactly_{n}_{k}")
    xs = _inputs(b, "x", n)
    at_least_k = b.threshold(xs, [1] * n, k)
    at_most_k = b.threshold(xs, [-1] * n, -k)
    b.output(b.threshold([at_least_k, at_most_k], [1, 1], 2), "out")
    return b.build()


def _alternating_parity(
    b: CircuitBuilder, terms: Sequence[str], weights: Sequence[int], unit: int, count: int
) -> str:
    """Net for bit floor(L / unit) mod 2 of L = sum w_i x_i (all w_i >= 0), given L < (count + 1) unit.

    y_t = [L >= t unit] for t = 1..count and out = [y_1 - y_2 + y_3 - ... >= 1]: exactly the y_t with
    t <= floor(L / unit) are 1, and an alternating sum of m leading ones is m mod 2. Depth 2.
    """
    ys = [b.threshold(terms, weights, t * unit) for t in range(1, count + 1)]
    return b.threshold(ys, [1 if t % 2 else -1 for t in range(1, count + 1)], 1)


def parity(n: int) -> Circuit:
    """out = s mod 2 in depth 2: y_j = [s >= j] for j = 1..n, out = [y_1 - y_2 + y_3 - ... >= 1]."""
    _check(n >= 1, f"parity needs n >= 1, got {n}")
    b = CircuitBuilder(f"parity_{n}")
    xs = _inputs(b, "x", n)
    b.output(_alternating_parity(b, xs, [1] * n, 1, n), "out")
    return b.build()


def comparison(n: int) -> Circuit:
    """ge = [a >= b] for n-bit numbers: one threshold gate [sum_i 2^i (a_i - b_i) >= 0] (depth 1).

    Inputs a0..a{n-1} then b0..b{n-1}, LSB first.
    """
    _check(n >= 1, f"comparison needs n >= 1, got {n}")
    b = CircuitBuilder(f"comparison_{n}")
    a_bits, b_bits = _inputs(b, "a", n), _inputs(b, "b", n)
    weights = [2**i for i in range(n)] + [-(2**i) for i in range(n)]
    b.output(b.threshold(a_bits + b_bits, weights, 0), "ge")
    return b.build()


def _weighted_sum_bits(b: CircuitBuilder, terms: Sequence[tuple[str, int]], width: int) -> list[str]:
    """Nets for bits 0..width-1 of S = sum 2^e x over the (net x, exponent e) terms, in depth 2.

    Bit j of S is bit j of L_j = sum of the terms with e <= j (terms with e > j are multiples of
    2^{j+1}); with T = floor(max L_j / 2^j), bit j = [y_1 - y_2 + ... >= 1] for y_t = [L_j >= t 2^j],
    t = 1..T, which is sum_q ([L_j >= (2q+1) 2^j] - [L_j >= (2q+2) 2^j]). A bit with T = 0 is the
    constant 0.
    """
    bits = []
    zero = None
    for j in range(width):
        low = [(net, 2**e) for net, e in terms if e <= j]
        count = sum(w for _, w in low) // 2**j
        if count == 0:
            zero = zero or b.const(0)
            bits.append(zero)
            continue
        nets, weights = [net for net, _ in low], [w for _, w in low]
        bits.append(_alternating_parity(b, nets, weights, 2**j, count))
    return bits


def iterated_addition(m: int, n: int) -> Circuit:
    """S = X_0 + ... + X_{m-1} for m numbers of n bits, in constant depth 2.

    Inputs x{i}_{k} = bit k of X_i, number-major (x0_0, x0_1, ..., x1_0, ...); outputs s0..s{w-1},
    LSB first, w = bit length of m (2^n - 1), enough for the largest sum. Bit j uses
    L_j = sum_i sum_{k <= j} 2^k x{i}_{k} and bit j of S = sum_q ([L_j >= q 2^{j+1} + 2^j] -
    [L_j >= (q+1) 2^{j+1}]), a threshold of thresholds with T_j = floor(max L_j / 2^j) < 2m helper
    gates, max L_j = m (2^{min(j, n-1) + 1} - 1).
    """
    _check(m >= 1 and n >= 1, f"iterated_addition needs m, n >= 1, got m={m}, n={n}")
    b = CircuitBuilder(f"iterated_addition_{m}_{n}")
    terms = [(b.input(f"x{i}_{k}"), k) for i in range(m) for k in range(n)]
    for j, net in enumerate(_weighted_sum_bits(b, terms, (m * (2**n - 1)).bit_length())):
        b.output(net, f"s{j}")
    return b.build()


def multiplication(n: int) -> Circuit:
    """p = a * b for n-bit a and b, in constant depth 3.

    Inputs a0..a{n-1} then b0..b{n-1}; outputs p0..p{2n-1}, LSB first. Depth 1: partial products
    AND(a_k, b_i) of weight 2^{i+k}; depths 2-3: their iterated addition as in `iterated_addition`.
    """
    _check(n >= 1, f"multiplication needs n >= 1, got {n}")
    b = CircuitBuilder(f"multiplication_{n}")
    a_bits, b_bits = _inputs(b, "a", n), _inputs(b, "b", n)
    terms = [(b.gate(Op.AND, a_bits[k], b_bits[i]), i + k) for i in range(n) for k in range(n)]
    for j, net in enumerate(_weighted_sum_bits(b, terms, 2 * n)):
        b.output(net, f"p{j}")
    return b.build()


def sort_bits(n: int) -> Circuit:
    """The n input bits sorted in decreasing order: s_j = [s >= j + 1], j = 0..n-1 (depth 1)."""
    _check(n >= 1, f"sort_bits needs n >= 1, got {n}")
    b = CircuitBuilder(f"sort_bits_{n}")
    xs = _inputs(b, "x", n)
    for j in range(n):
        b.output(b.threshold(xs, [1] * n, j + 1), f"s{j}")
    return b.build()


def reachability(n: int) -> Circuit:
    """Reflexive-transitive closure of a directed graph on n nodes, by repeated squaring.

    Inputs a_i_j (edge i -> j), row-major; outputs r_i_j, row-major, r_i_j = 1 iff j is reachable from
    i by a path of length >= 0 (so r_i_i = 1). R_0 = A or I (the diagonal is one CONST 1 net), and
    R_{l+1}(i, j) = OR_k (R_l(i, k) AND R_l(k, j)); since R_l(i, i) = R_l(j, j) = 1, the terms k = i
    and k = j are R_l(i, j) itself, read directly. R_l covers all paths of length <= 2^l, and
    ceil(log2 n) rounds reach 2^l >= n - 1, the longest simple path. Each round adds an AND layer and
    an OR layer: depth 2 ceil(log2 n) for n >= 3 (n = 2 has one round of fan-in-1 ORs, depth 1).
    """
    _check(n >= 1, f"reachability needs n >= 1, got {n}")
    b = CircuitBuilder(f"reachability_{n}")
    edges = {(i, j): b.input(f"a_{i}_{j}") for i in range(n) for j in range(n)}
    one = b.const(1)
    reach = {(i, j): one if i == j else edges[i, j] for i in range(n) for j in range(n)}
    for _ in range(math.ceil(math.log2(n)) if n > 1 else 0):
        squared = {}
        for i in range(n):
            for j in range(n):
                if i == j:
                    squared[i, j] = one
                    continue
                via = [b.gate(Op.AND, reach[i, k], reach[k, j]) for k in range(n) if k not in (i, j)]
                squared[i, j] = b.gate(Op.OR, reach[i, j], *via)
        reach = squared
    for i in range(n):
        for j in range(n):
            b.output(reach[i, j], f"r_{i}_{j}")
    return b.build()


FAMILIES: dict[str, Callable[[int], Circuit]] = {
    "majority": majority,
    "parity": parity,
    "comparison": comparison,
    "iterated_addition": lambda n: iterated_addition(n, n),
    "multiplication": multiplication,
    "sort_bits": sort_bits,
    "reachability": reachability,
}
"""The families that take one size parameter n (iterated_addition adds n numbers of n bits), by name."""
