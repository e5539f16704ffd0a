"""Connectivity variants built on stages and timestep cells (docs/routes.md, docs/semantics.md).

Both reuse the cells, set-up layers and steps of `compile_connectivity` (module `connectivity`).

- `compile_alternating_connectivity(timestep=True)`: the 2-layer block B <- B or B.B becomes ONE layer
  run twice per squaring, 2 ceil(log2 m) times in all; its two phases are chosen by the parity of the
  iteration index, read from a "parity" timestep group (psi(t) = spin of t mod 2). With
  `timestep=False` the same layer keeps the parity in a state cell that an extra FFN flips every
  iteration: the version a model without timestep cells needs.

- `compile_shared_descendant(form)`: a two-phase computation. Phase 1 closes the edge relation:
  B(i, j) iff a path of length >= 1 leads from i to j. Then S(i, j) iff some vertex k has B(i, k) and
  B(j, k) (i and j share a descendant). Phase 2 closes S. The model accepts iff s = t or a chain of
  S-steps leads from s to t. Phase 2 needs all of B, so it cannot start before phase 1 has finished.
  `form` is how the phases are scheduled:
    "stages"   prefix, closure (2 layers x r), share (2 layers once), closure of S (2 layers x r),
               readout: 4r + 3 + len(prefix) layer applications, r = ceil(log2 m);
    "parallel" the three-stage form: one 2-layer block doing both closures and the S step side by side
               (each layer holds the heads of all three), looped 2r + 1 times. S is monotone in B and
               B only grows, so early S-steps add nothing false, and r + 1 + r iterations reach the
               closure of the final S;
    "whole"    the three-stage form with the 6 layers one after the other in the block, looped 2r times.
  Its metadata route is "shared-descendant": `expressivity verify` has no reference for it (the checks
  are in proofs_as_code/staged_phases.py and the tests); the alternating model keeps the route
  "connectivity", so `verify` checks it against networkx.
"""

from __future__ import annotations

from expressivity.compile.connectivity import (
    _merge,
    alternating_layer,
    composition_layers,
    connectivity_layout,
    connectivity_model,
    readout_layer,
)
from expressivity.compile.gadgets import spin_cells
from expressivity.model import LoopCount, Model, Stage, Timestep

FORMS = ("stages", "parallel", "whole")


def compile_alternating_connectivity(timestep: bool = True, extra_iterations: int = 0) -> Model:
    """s-t connectivity (same words and answers as compile_connectivity) with a 1-layer block looped
    2 (ceil(log2 m) + extra_iterations) times; the phase is the parity timestep, or a state cell."""
    layout = connectivity_layout()
    program = layout.program
    phase = program.group("conn.t" if timestep else "conn.phase", 4)
    if not timestep:
        program.set_all(spin_cells(phase, 0))
    layer, _ = alternating_layer(layout, phase, toggle=not timestep)
    loops = LoopCount(value=2 * extra_iterations, coefficient=2, power=1)
    block = Stage("block", [layer], loops, [Timestep("parity", phase)] if timestep else ())
    how = "the parity timestep" if timestep else "a state cell flipped by an FFN"
    return connectivity_model(
        layout,
        "connectivity (alternating, timestep)" if timestep else "connectivity (alternating, state cell)",
        {
            "route": "connectivity",
            "loops": f"2 (ceil(log2 m) + {extra_iterations})",
            "phase": how,
        },
        stages=[
            Stage("prefix", layout.prefix),
            block,
            Stage("suffix", [readout_layer(layout, layout.state)]),
        ],
    )


def compile_shared_descendant(form: str = "stages", extra_iterations: int = 0) -> Model:
    """Accepts `connectivity_word(A, s, t)` iff s = t or s and t are joined by a chain of vertices in
    which each two neighbours share a descendant (module docstring); `form` schedules the two phases."""
    if form not in FORMS:
        raise ValueError(f"form must be one of {FORMS}, got {form!r}")
    layout = connectivity_layout()
    shared = layout.program.group("conn.shared", 4)  # S's closure, as E holds B
    closure, scratch = composition_layers(layout, "", layout.state, layout.state)
    share, share_scratch = composition_layers(layout, "share", layout.state, shared, transpose_right=True)
    closure_s, closure_s_scratch = composition_layers(layout, "again", shared, shared)
    scratch += share_scratch + closure_s_scratch
    readout = [readout_layer(layout, shared)]
    r = LoopCount(value=extra_iterations, coefficient=1, power=1)
    metadata = {
        "route": "shared-descendant",
        "question": "a shared-descendant chain from s to t",
        "form": form,
    }
    name = f"shared descendant ({form})"
    if form == "stages":
        stages = [
            Stage("prefix", layout.prefix),
            Stage("closure", closure, r),
            Stage("share", share),
            Stage("closure_shared", closure_s, r),
            Stage("suffix", readout),
        ]
        return connectivity_model(layout, name, metadata, stages=stages, scratch=scratch)
    if form == "parallel":
        block = _merge(closure, share, closure_s)
        loops = LoopCount(value=2 * extra_iterations + 1, coefficient=2, power=1)
    else:
        block = [*closure, *share, *closure_s]
        loops = LoopCount(value=2 * extra_iterations, coefficient=2, power=1)
    return connectivity_model(
        layout,
        name,
        metadata,
        prefix=layout.prefix,
        block=block,
        suffix=readout,
        loops=loops,
        scratch=scratch,
    )
