"""Circuit -> a fixed-depth model that evaluates the circuit by masked diffusion (docs/routes.md).

The model is run by `expressivity.decoding.denoise`: every node of the circuit's literal form has a
position that starts as MASK; each step runs the model once over the whole sequence and writes, at
every masked position, the node's value if every source of the node is unmasked, and keeps MASK
otherwise. After step t exactly the nodes of level <= t are written (a node's sources have lower
levels), so it takes exactly depth(C) steps, like the looped evaluator's depth(C) iterations, but the
state carried from one step to the next is only the discrete tokens. Per-circuit (non-uniform): the
wiring is written into a fixed tail of description tokens.

Sequence: BOS, x_1 .. x_n, one description token per node, then one position per node (in topological
order), MASK at first; with G = 1 + n + m the first node position, node t (0-based) is at G + t and is
computed there. The layers are those of `circuit_steps` with R = G, the slots also counting masked
sources; the last FFN writes one-hot cells for the symbols "0", "1" and "MASK" (MASK when some source is
masked). The heads that find descriptions and sources are unmasked (every position sees the whole
sequence, as in a diffusion model), or causal with `causal=True`: the layout puts every description
and source before the position that reads it, so both compute the same.
"""

from __future__ import annotations

from fractions import Fraction

from circuits.ir import Circuit
from expressivity.compile import circuit_steps as steps
from expressivity.compile import gadgets as g
from expressivity.compile.program import Program
from expressivity.decoding import MASK
from expressivity.model import Model

MAX_SLOTS = 1024
"""A circuit whose slot form (circuit_steps) needs more slots, one head each, is refused."""


def build(circuit: Circuit, max_tokens: int, causal: bool = False) -> Model:
    """The masked-diffusion model of `circuit` (module docstring), not yet checked."""
    form, slots = steps.literal_and_slot_forms(circuit, max_tokens, MAX_SLOTS)
    n, m = len(form.inputs), len(form.nodes)
    first = 1 + 2 * n + m
    layout = steps.GateLayout(
        first_row=first,
        row_of={node: first + t for t, node in enumerate(form.nodes)},
        carried={node: node for node in form.nodes},
        mask="causal" if causal else "unmasked",
    )
    program = Program("01", extra_kinds=[MASK])
    width, ids = steps.code_ids(form)
    cells = steps.GateCells(program, slots, width, pending=True)
    zero, one, masked = program.cell("says_0"), program.cell("says_1"), program.cell("says_mask")
    steps.embed(program, cells, slots, layout, ids)
    program.set(MASK, g.spin_cells(cells.is_mask, 1))
    proxies = [steps.proxy(program, cells, ids, name, 1 + j) for j, name in enumerate(form.inputs)]
    descriptions = [steps.describe(program, cells, slots, layout, ids, node) for node in form.nodes]

    def says(above: int, pending: int) -> dict[str, Fraction]:
        if pending:
            return {masked: Fraction(1)}
        return {one: Fraction(1)} if above else {zero: Fraction(1)}

    decide = steps.decide_ffn(cells, says, [zero, one, masked])
    read = steps.output_reads(form, first)
    return steps.assemble(
        program,
        steps.gate_layers(cells, slots, layout, decide),
        symbols=("0", "1", MASK),
        unembedding=[{zero: 1}, {one: 1}, {masked: 1}],
        tail=[*proxies, *descriptions, *[MASK] * m],
        name=circuit.name,
        metadata=steps.route_metadata(
            circuit, form, read, mode="mdm", run="denoise", mask=MASK, steps=form.depth
        ),
    )
