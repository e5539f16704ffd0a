"""Circuit -> a fixed-depth causal model that evaluates the circuit by chain of thought (docs/routes.md).

The model is run by `expressivity.decoding.generate`: after the prompt it generates one token per node
of the circuit's literal form, in topological order, each token the node's value (0 or 1); the outputs
are read from those tokens (or from the input tokens, for an output that reads an input). So it takes
exactly size(C) steps (the number of nodes of the literal form: NOT and BUF are folded into literals
and cost no step), against depth(C) loop iterations for the looped evaluator. Like that evaluator it is
per-circuit (non-uniform): the wiring is written into a fixed tail of description tokens.

Sequence: BOS, x_1 .. x_n, one description token per node (in topological order), then the generated
tokens g_1 .. g_m. With P = 1 + n + m prompt positions, node t (0-based) is computed by row P - 1 + t,
the last position when it is next, and its value is the token at position P + t. Every head is causal,
so a step costs the layers on the new position only (a cached run, `Simulator.extend`). The layers are
those of `circuit_steps` with R = P - 1; the last FFN writes the node's bit into `bit` and its
complement into `not_bit`, which the unembedding reads as the symbols "1" and "0".
"""

from __future__ import annotations

from fractions import Fraction

from circuits.ir import Circuit
from expressivity.compile import circuit_steps as steps
from expressivity.compile.program import Program
from expressivity.model import Model

MAX_SLOTS = 1024
"""A circuit whose slot form (circuit_steps) needs more slots, one head each, is refused."""


def build(circuit: Circuit, max_tokens: int) -> Model:
    """The chain-of-thought model of `circuit` (module docstring), not yet checked."""
    form, slots = steps.literal_and_slot_forms(circuit, max_tokens, MAX_SLOTS)
    n, m = len(form.inputs), len(form.nodes)
    prompt = 1 + 2 * n + m
    layout = steps.GateLayout(
        first_row=prompt - 1,
        row_of={node: prompt - 1 + t for t, node in enumerate(form.nodes)},
        carried={node: form.nodes[t - 1] if t else None for t, node in enumerate(form.nodes)},
        mask="causal",
    )
    program = Program("01")
    width, ids = steps.code_ids(form)
    cells = steps.GateCells(program, slots, width, pending=False)
    bit, not_bit = program.cell("bit"), program.cell("not_bit")
    steps.embed(program, cells, slots, layout, ids)
    proxies = [steps.proxy(program, cells, ids, name, 1 + j) for j, name in enumerate(form.inputs)]
    descriptions = [steps.describe(program, cells, slots, layout, ids, node) for node in form.nodes]
    decide = steps.decide_ffn(
        cells, lambda above, _: {bit: Fraction(above), not_bit: Fraction(1 - above)}, [bit, not_bit]
    )
    read = steps.output_reads(form, prompt)
    return steps.assemble(
        program,
        steps.gate_layers(cells, slots, layout, decide),
        symbols=("0", "1"),
        unembedding=[{not_bit: 1}, {bit: 1}],
        tail=[*proxies, *descriptions],
        name=circuit.name,
        metadata=steps.route_metadata(circuit, form, read, mode="cot", run="generate", steps=m),
    )
