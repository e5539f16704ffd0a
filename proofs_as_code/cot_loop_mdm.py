"""Loop, chain of thought or masked diffusion: how many steps one circuit takes each way.

Statement. Let C be a threshold circuit and C' its literal form (`circuits.literal_form`: NOT and BUF
folded into literals), with size m (its nodes) and depth d. For every input x:

- (loop) the looped evaluator (`compile_circuit(C)`, docs/routes.md) computes C(x) in d iterations of
  one fixed block (proofs_as_code/circuit_evaluation.py);
- (chain of thought) one fixed-depth causal model with no loop (`mode="cot"`) generates, after the
  prompt, the value of every node of C' in topological order, one token per step, so C(x) after exactly
  m steps; each step runs the layers on the new position only (a cache of the earlier rows), which is
  the computation of a rerun of the whole sequence;
- (masked diffusion) one fixed-depth model with no loop (`mode="mdm"`) whose state between steps is only
  the discrete tokens writes, at step t, exactly the nodes of level t (the others stay MASK), so C(x)
  after exactly d steps.

So a loop and diffusion both take depth-many steps and chain of thought size-many: for a multiplier
(m of order n^2 nodes at constant depth in the threshold families, thousands against about a hundred
for c6288) the gap is the gap between sequential and parallel evaluation. Each chain-of-thought step
runs one position; each diffusion step and each loop iteration runs every position.

Construction: `expressivity.compile.circuit.compile_circuit` with mode "loop", "cot" and "mdm" (the
module docstrings of compile/circuit.py, compile/circuit_cot.py, compile/circuit_mdm.py and
compile/circuit_steps.py give every layer). Check: `check` runs inputs exactly (all of them when there
are at most `samples`, else `samples` random ones) and compares, per mode, the outputs with
`circuits.evaluate` and the step count with d or m; the generated tokens with the node values
(`circuits.net_values` of the lowered circuit), the cached generation with a rerun of the whole
sequence, and every denoising frame with the levels.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from circuits import Circuit, evaluate, net_values, to_threshold
from expressivity.compile.circuit import CompiledCircuit, compile_circuit, input_word
from expressivity.decoding import MASK, Denoising, denoise, generate, run_decoder
from proofs_as_code.circuit_evaluation import input_vectors

MODES = ("loop", "cot", "mdm")


def construct(circuit: Circuit) -> dict[str, CompiledCircuit]:
    """The three models of `circuit`, by mode."""
    return {mode: compile_circuit(circuit, mode=mode, check=False) for mode in MODES}


def node_values(circuit: Circuit, compiled: CompiledCircuit, bits: Sequence[int]) -> list[str]:
    """The value of every node of the literal form on `bits`, in topological order, as tokens."""
    values = net_values(to_threshold(circuit), bits)
    return [str(values[node]) for node in compiled.form.nodes]


def diffusion_frames(compiled: CompiledCircuit, bits: Sequence[int]) -> list[list[str]]:
    """The node positions of a masked-diffusion run, before the first step and after every step."""
    run = denoise(compiled.model, input_word(compiled.inputs, bits), simulator=compiled.simulator)
    return _node_frames(compiled, run)


def _node_frames(compiled: CompiledCircuit, run: Denoising) -> list[list[str]]:
    first = len(run.tokens) - len(compiled.form.nodes)
    return [list(frame[first:]) for frame in run.frames]


def check(circuit: Circuit, samples: int = 16, seed: int = 0) -> dict:
    """Runs inputs exactly (module docstring); returns per mode the agreements with the circuit and the
    step counts seen, and the counts of violations: generated tokens that are not the node values,
    cached generations that differ from a rerun, and denoising frames that do not show exactly the
    nodes of level <= t after step t."""
    models = construct(circuit)
    form = models["loop"].form
    level = form.levels()
    vectors = input_vectors(len(circuit.inputs), samples, random.Random(seed))
    agreements = dict.fromkeys(MODES, 0)
    steps: dict[str, set[int]] = {mode: set() for mode in MODES}
    chain_violations = cache_violations = frame_violations = 0
    for bits in vectors:
        expected = evaluate(circuit, bits)
        word = input_word(form.inputs, bits)
        trace = models["loop"].simulator.run(word, "exact", record=False)
        agreements["loop"] += trace.outputs == expected
        steps["loop"].add(trace.loops)
        values = node_values(circuit, models["cot"], bits)
        cot = models["cot"]
        cached = run_decoder(cot.model, word, simulator=cot.simulator)
        rerun = generate(cot.model, word, len(form.nodes), cache=False, simulator=cot.simulator)
        agreements["cot"] += cached.outputs == expected
        steps["cot"].add(cached.steps)
        chain_violations += list(cached.tokens[-len(form.nodes) :] if form.nodes else []) != values
        cache_violations += cached.tokens != rerun.tokens
        mdm = models["mdm"]
        denoised = run_decoder(mdm.model, word, simulator=mdm.simulator)
        agreements["mdm"] += denoised.outputs == expected
        steps["mdm"].add(denoised.steps)
        frames = _node_frames(mdm, denoised.run)
        for t, frame in enumerate(frames):
            shown = [
                value if level[node] <= t else MASK for node, value in zip(form.nodes, values, strict=True)
            ]
            frame_violations += frame != shown
    return {
        "circuit": circuit.name,
        "runs": len(vectors),
        "size": len(form.nodes),
        "depth": form.depth,
        "agreements": agreements,
        "steps": {mode: sorted(seen) for mode, seen in steps.items()},
        "chain_violations": chain_violations,
        "cache_violations": cache_violations,
        "frame_violations": frame_violations,
    }
