"""Padding coordinates: every padding token learns the digits of its offset in O(k) causal layers.

Statement. Pad a word of length n with n^k tokens and number them p = 0, 1, ..., n^k - 1. Write
p = sum_r d_r n^(k-1-r) with 0 <= d_r < n. A transformer with O(k) layers that only look back (causal or
strict masks), no positional encoding and rational weights, independent of n, leaves at every padding
token k norm groups holding key(d_0), ..., key(d_{k-1}), key(d) = (1/(d+1), 1, -1/(d+1), -1), whose
layer-norm readings are psi(d) = phi(1/(d+1)), phi(z) = (z, 1, -z, -1)/sqrt(2 z^2 + 2). These are the
keys the FO[M] compiler joins on (docs/theory.md): psi(d).psi(e) = 1 iff d = e, and the gap
1 - psi(d).psi(d + 1) is positive (about 1/(2 d^4)), so O(log n) bits separate digits; each key is the
mean of a spin over one tie set, so under fixed:p equal digits give bit-identical cells
(proofs_as_code/rounding_margins.py).

Construction: `expressivity.compile.coordinates.digit_hashes` with region = padding and base = the
input tokens (B = n); its module docstring gives the layers (canonical counts, divisibility by
collisions of canonical keys, run starts, counting within blocks).

Check: run the construction exactly for every word length 1..max_n and compare every padding token's
readings with phi of its true digits, computed independently here.
"""

from __future__ import annotations

from fractions import Fraction

from expressivity import Model, Padding, run
from expressivity.compile.coordinates import digit_hashes
from expressivity.compile.gadgets import spin_cells
from expressivity.compile.program import Group, Program
from expressivity.numbers.sqrtfield import SqrtNumber


def construct(k: int) -> tuple[Model, tuple[Group, ...]]:
    """The model over {a, b} with n^k padding tokens, and its digit groups (most significant first)."""
    program = Program("ab")
    region, base = program.group("padding", 4), program.group("input", 4)
    program.set_all({**spin_cells(region, 0), **spin_cells(base, 0)})
    program.set("PAD", spin_cells(region, 1))
    for symbol in "ab":
        program.set(symbol, spin_cells(base, 1))
    layers, groups = digit_hashes(program, "coordinates", region=region, digits=k, base=base)
    padding = Padding([0] * k + [1])
    model = program.model(prefix=layers, padding=padding, name=f"padding-coordinates-k{k}")
    return model, groups


def phi(d: int) -> list[SqrtNumber]:
    """psi(d) = phi(1/(d + 1)), the reading of key(d)."""
    z = Fraction(1, d + 1)
    scale = SqrtNumber.sqrt_of(1 / (2 * z * z + 2))
    return [SqrtNumber(z) * scale, scale, SqrtNumber(-z) * scale, -scale]


def reading(cells: list[SqrtNumber]) -> list[SqrtNumber]:
    """The layer-norm reading (x - mean)/||x - mean|| of rational cells (0 for a constant group)."""
    values = [cell.rational() for cell in cells]
    centred = [v - sum(values) / len(values) for v in values]
    squared = sum(v * v for v in centred)
    scale = SqrtNumber.sqrt_of(1 / squared) if squared else SqrtNumber(0)
    return [SqrtNumber(v) * scale for v in centred]


def digits_of(p: int, n: int, k: int) -> list[int]:
    out = []
    for _ in range(k):
        p, d = divmod(p, n)
        out.append(d)
    out[-1] += p * n  # the top digit takes what is left (none for p < n^k)
    return out[::-1]


def hash_gap(d: int) -> SqrtNumber:
    """1 - psi(d).psi(d + 1), exactly."""
    dot = sum((x * y for x, y in zip(phi(d), phi(d + 1), strict=True)), SqrtNumber(0))
    return SqrtNumber(1) - dot


def check(max_n: int, k: int) -> dict:
    """Runs the construction exactly on one word of every length 1..max_n; returns measured facts."""
    model, groups = construct(k)
    checked = mismatches = 0
    largest_digit = 0
    for n in range(1, max_n + 1):
        trace = run(model, "ab" * (n // 2) + "a" * (n % 2), record=False)
        columns = [[trace.column(cell) for cell in group] for group in groups]
        for p in range(n**k):
            position = 1 + n + p
            expected = digits_of(p, n, k)
            largest_digit = max(largest_digit, *expected)
            got = [reading([column[position] for column in group]) for group in columns]
            mismatches += sum(g != phi(d) for g, d in zip(got, expected, strict=True))
            checked += 1
    gaps = [hash_gap(d) for d in range(largest_digit)]
    return {
        "k": k,
        "max_n": max_n,
        "padding_tokens_checked": checked,
        "digit_mismatches": mismatches,
        "layers": len(model.prefix),
        "width": model.width,
        "looks_back_only": all(
            head.mask in ("causal", "strict") for layer in model.prefix for head in layer.heads
        ),
        "smallest_gap": float(min(gaps)) if gaps else None,
        "smallest_gap_at_digit": min(range(len(gaps)), key=gaps.__getitem__) if gaps else None,
    }
