"""Pass 3a, allocate: the token layout and the labelled residual cells of a plan.

Mixed mode (`causal=False`). The sequence is BOS w_1 .. w_n PAD^(n^k): one padding token per assignment
(v_1, .., v_k) in [n]^k of the k variables (in order of first occurrence), in lexicographic order, so
the padding token of rank c has c - 1 = sum_r d_r n^(k-1-r) with v_r = d_r + 1. For k = 0 there is one
padding token (n^0 = 1), the empty assignment.

Causal mode (`causal=True`). The padding holds D + 1 copies of the assignment tokens, D the quantifier
depth: BOS w PAD^((D+1) n^k), copy j being the tokens of rank j n^k + 1 .. (j + 1) n^k. The copy index
is the most significant digit of the coordinates, so the coordinate set-up is the same as in mixed mode
with one more digit.

Coordinates come from `expressivity.compile.coordinates.digit_hashes` (causal heads only): the input
tokens get key(position - 1) (region = inputs, one digit) and the padding tokens key(d_r) per digit
(region = padding, base = inputs, so B = n), key(d) = (1/(d+1), 1, -1/(d+1), -1), canonical under
fixed:p (equal digits, bit-identical cells). Both run side by side, layer by layer. The quantifier heads
join on key(x) = (rho_x + 1/2, 1, -rho_x - 1/2, -1) instead, which reads phi(1/(d_x + 1)): rational
cells, and a unit vector at every token (its second cell is 1), so all keys of a head have the same
norm (the exact backend's hash-join) and the residual stream stays rational.

Cells (every bit is a 4-cell spin group (s, s, -s, -s), read as itself): pad / input / is(a) (token
kinds, embedded), letter(a, x) (retrieved), zero(x) = [d_x = 0], order(x, y) = (rho_x, rho_x, rho_y,
rho_y) with rho_x = 1/(d_x + 1) - 1/2 (so it reads sign(d_y - d_x)), pair_zero(x, y), one comparison
group per quantifier and one spin group per materialised subformula, and the result cell `accept`.
Causal mode adds copy_below(j) (reads [copy < j]) and the rational unit ids copy_id and previous_id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import zip_longest

from expressivity.compile.coordinates import digit_hashes
from expressivity.compile.formula.plan import Plan
from expressivity.compile.gadgets import HALF, spin_cells
from expressivity.compile.program import Group, Program
from expressivity.logic import Formula
from expressivity.model import Layer

COPY = "#copy"
"""The name of the copy digit (causal mode) among the digit groups; '#' keeps it apart from every
variable name."""


@dataclass
class Cells:
    """The groups of a compiled sentence, by role (see the module docstring)."""

    program: Program
    pad: Group
    inputs: Group
    is_letter: dict[str, Group]
    accept: str
    setup: list[Layer] = field(default_factory=list)
    input_hash: Group | None = None
    digits: dict[str, Group] = field(default_factory=dict)
    keys: dict[str, Group] = field(default_factory=dict)
    zero: dict[str, Group] = field(default_factory=dict)
    letter: dict[str, dict[str, Group]] = field(default_factory=dict)
    order: dict[tuple[str, str], Group] = field(default_factory=dict)
    pair_zero: dict[tuple[str, str], Group] = field(default_factory=dict)
    spin: dict[Formula, Group] = field(default_factory=dict)
    copy_below: dict[int, Group] = field(default_factory=dict)
    copy_id: Group | None = None
    previous_id: Group | None = None
    names: dict[str, str] = field(default_factory=dict)

    def assignment_digits(self) -> list[str]:
        """The digit names of the assignment (variables), without the copy digit."""
        return [name for name in self.digits if name != COPY]


def allocate(
    plan: Plan, extra_symbols: str = "", copies: int | None = None, copy_phases: int | None = None
) -> Cells:
    """Allocate and embed every cell the plan needs, and build the coordinate set-up layers.

    `extra_symbols` are symbols of the model's alphabet that are not positions of the variables (the
    matrix entries of a graph input, compile/iterated): their tokens are neither inputs nor padding.
    `copies` overrides plan.copies (a copy digit and copy_below(1 .. copies - 1) when > 1) and
    `copy_phases` the extra coordinate phases for the copy digit (default ceil(log2 copies)): the
    causal iterated programs, whose number of copies grows with n (compile/iterated/causal.py)."""
    copies = plan.copies if copies is None else copies
    alphabet = plan.sentence.alphabet
    program = Program(alphabet + extra_symbols)
    pad, inputs = program.group("pad", 4), program.group("input", 4)
    program.set_all({**spin_cells(pad, 0), **spin_cells(inputs, 0)})
    program.set("PAD", spin_cells(pad, 1))
    for symbol in alphabet:
        program.set(symbol, spin_cells(inputs, 1))
    is_letter = {}
    for symbol in dict.fromkeys(a for letters in plan.letters.values() for a in letters):
        is_letter[symbol] = program.group(f"is({symbol})", 4)
        program.set_all(spin_cells(is_letter[symbol], 0))
        program.set(symbol, spin_cells(is_letter[symbol], 1))
    cells = Cells(program, pad, inputs, is_letter, accept=program.cell("accept"))
    _coordinates(plan, cells, copies, copy_phases)
    for variable, letters in plan.letters.items():
        cells.letter[variable] = {a: program.group(f"letter({a},{variable})", 4) for a in letters}
    for name in (*plan.zero_variables(), *([COPY] if copies > 1 else [])):
        cells.zero[name] = program.group(f"zero({name})", 4)
        program.set_all(spin_cells(cells.zero[name], 0))
    for x, y in plan.pairs:
        cells.order[(x, y)] = program.group(f"order({x},{y})", 4)
    for x, y in plan.pair_zeros():
        cells.pair_zero[(x, y)] = program.group(f"zero({x},{y})", 4)
        program.set_all(spin_cells(cells.pair_zero[(x, y)], 0))
    for index, node in enumerate(plan.quantifiers):
        label = f"quantifier{index}"
        cells.spin[node] = program.group(label, 4)
        cells.names[label] = str(node)
    for index, node in enumerate(plan.materialised):
        label = f"table{index}"
        cells.spin[node] = program.group(label, 4)
        cells.names[label] = str(node)
    if copies > 1:
        for j in range(1, copies):
            cells.copy_below[j] = program.group(f"copy_below({j})", 4)
        cells.copy_id = program.group("copy_id", 4)
        cells.previous_id = program.group("previous_id", 4)
    return cells


def _coordinates(plan: Plan, cells: Cells, copies: int, copy_phases: int | None) -> None:
    program = cells.program
    names = [COPY] if copies > 1 else []
    names += list(plan.variables)
    parts: list[list[Layer]] = []
    if plan.letters:
        layers, (cells.input_hash,) = digit_hashes(program, "position", region=cells.inputs, digits=1)
        parts.append(layers)
    if names:
        # The region holds copies * n^k tokens: with n >= 2, ceil(log2 copies) more level-0 phases cover
        # the copy factor (coordinates.digit_hashes).
        extra = (copies - 1).bit_length() if copy_phases is None else copy_phases
        phases = len(names) - 1 + extra
        layers, groups = digit_hashes(
            program, "assignment", region=cells.pad, digits=len(names), base=cells.inputs, phases=phases
        )
        parts.append(layers)
        cells.digits = dict(zip(names, groups, strict=True))
        for name in plan.variables:
            cells.keys[name] = program.group(f"key({name})", 4)
            program.set_all(dict(zip(cells.keys[name], (HALF, 1, -HALF, -1), strict=True)))
    cells.setup = [
        Layer(
            heads=[head for layer in row if layer for head in layer.heads],
            ffns=[ffn for layer in row if layer for ffn in layer.ffns],
        )
        for row in zip_longest(*parts)
    ]
