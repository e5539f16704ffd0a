"""compile_program: one looped model for every n from an iterated FO[M] program (uniform TC^d).

Token layout (mixed mode, as the formula compiler's): BOS, the word, then PAD^(n^k), one padding token
per assignment of the program's k distinct variables (relation arguments and every variable of every
formula). A graph program reads the word as ruler + matrix (size_root 2, n = m vertices); its ruler
tokens are the positions and its matrix tokens are read by the input relations A_c(x, y).

Cells. Everything the formula compiler allocates (`formula.layout.allocate` on the union of all the
program's formulas), plus per relation R a spin group state(R) (R's current value at each assignment
token, for the assignment of R's arguments) and a zero-based spin group next(R); per relation atom
R(z1, .., zk) whose variables are not R's own arguments a zero-based lookup group; per input atom
A_c(x, y) a static group.

Lookups. At an assignment token v the lookup head of R(z1, .., zk) joins key(z_i) of the query with
key(y_i) of the key (y_1..y_k the arguments of R) and the pad spins: its tie set is the padding tokens u
with u_{y_i} = v_{z_i}, which all hold state(R) = R(v_{z_1}, .., v_{z_k}), so the mean is that spin. An
atom R(y1, .., yk) in R's own argument order reads state(R) directly.

Sections.
    prefix  the coordinate set-up, the static bases (letters, input relations, zero digits, ranks and
            keys, M2 zero spins: the formula compiler's slots 0..3), then the init phase
    block   the update phase (phases.py), run r(n) = c * ceil(log2 n)^d + c0 times
    suffix  the accept sentence, evaluated as the formula compiler evaluates a sentence, into `accept`
The readout is the last token, a padding token (BOS when n = 0, which embeds the interpreter's answer on
the empty word).

Causal mode (`causal=True`, causal.py): C(n) copies of the assignment tokens, every relation atom a
causal lookup into an earlier copy, quantifier heads reading the previous copy, and the update's
capture and commit gated to the copies from F + U on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import reduce
from itertools import product

from expressivity.compile.coordinates import digit_hashes
from expressivity.compile.formula.assemble import SELF_CHECK_LENGTH
from expressivity.compile.formula.atoms import letter_heads, order_heads, pair_zero_ffns, zero_ffns
from expressivity.compile.formula.boolean import result_ffn
from expressivity.compile.formula.layout import Cells, allocate
from expressivity.compile.formula.plan import (
    EMBEDDED,
    LETTER_SLOT,
    ORDER_SLOT,
    PAIR_ZERO_SLOT,
    ZERO_SLOT,
    Plan,
    make_plan,
)
from expressivity.compile.formula.quantifiers import copy_rank_head
from expressivity.compile.formula.validate import Sentence
from expressivity.compile.gadgets import join_head, spin_cells, spin_writes
from expressivity.compile.iterated.causal import (
    SUFFIX,
    back_key_head,
    base_name,
    copies_padding,
    copy_bits,
    copy_key,
    delayed,
    root_delay,
)
from expressivity.compile.iterated.merge import merged_layer
from expressivity.compile.iterated.phases import (
    capture_ffn,
    capture_slot,
    commit_ffn,
    forward_items,
    phase_layers,
    renamed,
)
from expressivity.compile.iterated.validate import ProgramCompileError, validate_program
from expressivity.compile.program import Group
from expressivity.inputs import GraphWord
from expressivity.limits import Limits, check_self_check
from expressivity.logic import (
    GRAPH_MATRIX,
    GRAPH_RULER,
    And,
    Const,
    Formula,
    IteratedProgram,
    Relation,
    accepts,
    accepts_batch,
    program_to_text,
    quantifier_depth,
    subformulas,
)
from expressivity.model import FFN, Head, Layer, LoopCount, Model, Padding
from expressivity.simulator import Simulator

LookupMaker = Callable[[int], Head]
"""Builds a lookup head with sign +1, or its eraser with sign -1."""


def compile_program(
    program: IteratedProgram | str,
    alphabet: str | None = None,
    causal: bool = False,
    self_check: bool = True,
    limits: Limits | None = None,
) -> Model:
    """One looped model that accepts exactly the words `program` accepts, for every input length.

    `alphabet` is the word alphabet (a graph program's is fixed: ruler '-stb', matrix '01'). With
    `causal=True` every head is causal and the padding holds C(n) copies of the assignment tokens
    (causal.py). Raises ProgramCompileError naming the part at fault; with `self_check` the model is run
    on every short word and compared with the interpreter, after refusing (LimitError) a self-check
    above `limits` when they are given (`check_program_model`)."""
    checked = validate_program(program, alphabet)
    program, positions, extra = checked.program, checked.positions, checked.extra
    variables = checked.variables
    declared = {spec.name for spec in program.relations}
    inits = [spec.init for spec in program.relations]
    updates = [spec.update for spec in program.relations]
    accept = program.accept
    delays = {"update": 0, "accept": 0, "first": 0}
    if causal:
        delays = {
            "update": root_delay(updates, declared),
            "accept": root_delay([accept], declared),
            "first": max([0, *(quantifier_depth(f) for f in inits)]),
        }
        updates = [delayed(f, delays["update"], declared) for f in updates]
        accept = delayed(accept, delays["accept"], declared)
    formulas = [*inits, *updates, accept]
    union = Sentence(reduce(And, formulas), positions, variables)
    atoms = _relation_atoms(formulas)
    kinds = {atom: _atom_kind(program, atom, causal) for atom in atoms}

    def phase_plan(roots: list[Formula]) -> Plan:
        slots = {atom: (0 if kinds[atom] == "lookup" else EMBEDDED) for atom in atoms}
        sentence = Sentence(
            reduce(And, roots, Const(True)) if len(roots) != 1 else roots[0], positions, variables
        )
        return make_plan(sentence, causal, roots=tuple(roots), atom_slots=slots, prepared=True)

    init_plan = phase_plan(inits)
    update_plan = phase_plan(updates)
    accept_plan = phase_plan([accept])
    plans = (init_plan, update_plan, accept_plan)
    whole = make_plan(union, False, roots=tuple(formulas), atom_slots=dict.fromkeys(atoms, EMBEDDED))
    whole.needs_keys = True
    whole.quantifiers = tuple(dict.fromkeys(q for plan in plans for q in plan.quantifiers))
    whole.materialised = tuple(dict.fromkeys(node for plan in plans for node in plan.materialised))
    k = len(variables)
    schedule = program.loops
    loops = LoopCount(value=schedule.constant, coefficient=schedule.coefficient, power=schedule.power)
    padding = Padding([0] * k + [1])
    gate_level = delays["first"] + delays["update"]
    levels = [1]
    if causal:
        lookups_read = (base_name(atom.name)[1] for atom in atoms if kinds[atom] == "lookup")
        levels = sorted({1, gate_level, *lookups_read})
        fixed = delays["first"] + delays["accept"] + 1
        coefficients, copy_phases = copies_padding(k, loops, fixed, delays["update"])
        padding = Padding(coefficients)
        cells = allocate(whole, extra, copies=max(levels) + 2, copy_phases=copy_phases)
    else:
        cells = allocate(whole, extra)
    state, following = _relation_cells(cells, program)
    back: dict[int, Group] = {}
    makers = _atom_cells(cells, program, kinds, state, back)
    static = _static_layers(whole, cells, kinds, extra)
    gate = None
    if causal:
        copy_layers, keys_back, at_least = _copy_layers(whole, cells, levels)
        back.update(keys_back)
        static = _merge(static, copy_layers)
        cells.copy_id, cells.previous_id = copy_key(cells), back[1]
        gate = at_least[gate_level]

    def lookups(formulas: list[Formula]) -> dict[Relation, LookupMaker]:
        return {atom: makers[atom] for atom in _relation_atoms(formulas) if kinds[atom] == "lookup"}

    def relation_phase(plan: Plan, roots: list[Formula], label: str) -> list[Layer]:
        if not roots:
            return []
        items = forward_items(plan, cells, lookups(roots))
        gated = gate if label == "update" else None
        captures = [
            capture_ffn(plan, cells, root, following[spec.name], f"capture {spec.name}", gated)
            for spec, root in zip(program.relations, roots, strict=True)
        ]
        commits = [
            commit_ffn(cells, state[spec.name], following[spec.name], f"commit {spec.name}", gated)
            for spec in program.relations
        ]
        layers = phase_layers(items, captures, commits, capture_slot(plan, roots))
        return [_renamed_layer(layer, f"{label}: ") for layer in layers]

    init = relation_phase(init_plan, inits, "init")
    block = relation_phase(update_plan, updates, "update")
    suffix = _accept_layers(accept_plan, cells, lookups([accept]), accepts(program, ""))
    scratch = _scratch(cells, plans, following, kinds)
    model = cells.program.model(
        prefix=[merged_layer(layer) for layer in (*cells.setup, *static, *init)],
        block=[merged_layer(layer) for layer in block],
        suffix=[merged_layer(layer) for layer in suffix],
        loops=loops,
        padding=padding,
        unembedding=[{}, {cells.accept: 1}],
        scratch=scratch,
        size_root=2 if program.input == "graph" else 1,
        input_format=GraphWord(GRAPH_RULER, GRAPH_MATRIX) if program.input == "graph" else None,
        name=f"program: {len(program.relations)} relation(s), loops {schedule.to_text()}",
        metadata={
            "route": "program",
            "program": program_to_text(program),
            "alphabet": positions + extra,
            "input": program.input,
            "mode": "causal" if causal else "mixed",
            "variables": list(variables),
            "padding": padding.describe(),
            "loops": schedule.to_text(),
            "layers": {
                "prefix": len(cells.setup) + len(static) + len(init),
                "block": len(block),
                "suffix": len(suffix),
            },
            "cells": cells.names,
        },
    )
    if self_check:
        check_program_model(model, program, SELF_CHECK_LENGTH, limits)
    return model


def _renamed_layer(layer: Layer, prefix: str) -> Layer:
    return Layer(
        heads=[renamed(h, prefix) for h in layer.heads], ffns=[renamed(f, prefix) for f in layer.ffns]
    )


def _relation_atoms(formulas: list[Formula]) -> list[Relation]:
    return list(
        dict.fromkeys(node for f in formulas for node in subformulas(f) if isinstance(node, Relation))
    )


def _atom_kind(program: IteratedProgram, atom: Relation, causal: bool) -> str:
    """ "input" (a graph's A_c, static), "direct" (R in its own argument order) or "lookup" (every
    relation atom in causal mode, where atoms are renamed by their delay)."""
    declared = {spec.name for spec in program.relations}
    if causal:
        stem, _, _ = atom.name.rpartition(SUFFIX)
        return "lookup" if SUFFIX in atom.name and stem in declared else "input"
    if atom.name not in declared:
        return "input"
    return "direct" if atom.args == program.relation(atom.name).args else "lookup"


def _relation_cells(cells: Cells, program: IteratedProgram) -> tuple[dict[str, Group], dict[str, Group]]:
    state, following = {}, {}
    for spec in program.relations:
        state[spec.name] = cells.program.group(f"state({spec.name})", 4)
        cells.program.set_all(spin_cells(state[spec.name], 0))
        following[spec.name] = cells.program.group(f"next({spec.name})", 4)
    return state, following


def _atom_cells(
    cells: Cells,
    program: IteratedProgram,
    kinds: dict[Relation, str],
    state: dict[str, Group],
    back: Mapping[int, Group],
) -> dict[Relation, LookupMaker]:
    """Gives every relation atom its cells in cells.spin; returns the lookup-head makers (by sign).
    `back` (causal mode; filled in before the makers are called) holds key(copy - l) per delay l: a
    renamed atom R_delay<l> reads copy - l."""
    makers = {}
    for index, (atom, kind) in enumerate(kinds.items()):
        label = f"atom{index}"
        cells.names[label] = str(atom)
        if kind == "direct":
            cells.spin[atom] = state[atom.name]
            continue
        cells.spin[atom] = cells.program.group(label, 4)
        if kind == "lookup":
            causal = atom.name not in {spec.name for spec in program.relations}
            name, delay = base_name(atom.name) if causal else (atom.name, 0)
            spec = program.relation(name)
            makers[atom] = _lookup_maker(cells, atom, spec.args, state[name], back, delay)
    return makers


def _lookup_maker(
    cells: Cells, atom: Relation, args: tuple[str, ...], state: Group, back: Mapping[int, Group], delay: int
) -> LookupMaker:
    """The lookup head of `atom` (module docstring), as a function of its sign (-1: the eraser). With
    delay >= 1 (causal mode) it is a causal head that also joins key(copy - delay) with the copy key."""

    def make(sign: int) -> Head:
        pairs = [(cells.keys[z], cells.keys[y]) for z, y in zip(atom.args, args, strict=True)]
        pairs.append((cells.pad, cells.pad))
        if delay:
            pairs.append((back[delay], copy_key(cells)))
        mask = "causal" if delay else "unmasked"
        name = f"lookup({atom})" if sign > 0 else f"erase lookup({atom})"
        values = spin_writes(cells.spin[atom], {state[0]: sign})
        return join_head(name, pairs, values, reads=[state], mask=mask)

    return make


def _static_layers(plan: Plan, cells: Cells, kinds: dict[Relation, str], extra: str) -> list[Layer]:
    """The formula compiler's static slots 0..3, plus the input-relation heads of a graph program."""
    slots: dict[int, list[Head | FFN]] = {}

    def put(slot: int, *subs: Head | FFN) -> None:
        slots.setdefault(slot, []).extend(subs)

    put(LETTER_SLOT, *letter_heads(plan, cells))
    put(ZERO_SLOT, *zero_ffns(cells))
    put(ORDER_SLOT, *order_heads(plan, cells))
    put(PAIR_ZERO_SLOT, *pair_zero_ffns(cells))
    inputs = [atom for atom, kind in kinds.items() if kind == "input"]
    if inputs:
        matrix_setup, heads = _matrix_reads(cells, inputs, extra)
        cells.setup = _merge(cells.setup, matrix_setup)
        put(LETTER_SLOT, *heads)
    count = max(slots) // 2 + 1 if any(slots.values()) else 0
    return [
        Layer(
            heads=[s for s in slots.get(2 * i, []) if isinstance(s, Head)],
            ffns=[s for s in slots.get(2 * i + 1, []) if isinstance(s, FFN)],
        )
        for i in range(count)
    ]


def _copy_layers(
    plan: Plan, cells: Cells, levels: list[int]
) -> tuple[list[Layer], dict[int, Group], dict[int, Group]]:
    """Causal mode, after the static slots' rank heads: copy_below (the copy digit's rank against
    thresholds), at_least / exactly per level, then key(copy - l) per level (causal.py)."""
    ffn, at_least, exactly = copy_bits(cells, levels)
    back, heads = {}, []
    for level in levels:
        head, back[level] = back_key_head(cells, level, at_least[level], exactly[level])
        heads.append(head)
    layers = [
        Layer(),
        Layer(heads=[copy_rank_head(plan, cells)], ffns=[ffn]),
        Layer(heads=heads),
    ]
    return layers, back, at_least


def _matrix_reads(cells: Cells, atoms: list[Relation], extra: str) -> tuple[list[Layer], list[Head]]:
    """Coordinates (row, column) of the matrix tokens and one retrieval head per atom A_c(x, y)."""
    program = cells.program
    matrix = program.group("matrix", 4)
    program.set_all(spin_cells(matrix, 0))
    is_entry = {}
    for symbol in extra:
        program.set(symbol, spin_cells(matrix, 1))
        is_entry[symbol] = program.group(f"entry({symbol})", 4)
        program.set_all(spin_cells(is_entry[symbol], 0))
        program.set(symbol, spin_cells(is_entry[symbol], 1))
    layers, (row, column) = digit_hashes(program, "cell", region=matrix, digits=2, base=cells.inputs)
    heads = []
    for atom in atoms:
        symbol = atom.name[len("A_") :]
        x, y = atom.args
        pairs = [(cells.digits[x], row), (cells.digits[y], column), (cells.pad, matrix)]
        values = spin_writes(cells.spin[atom], {is_entry[symbol][0]: 1})
        heads.append(join_head(f"read({atom})", pairs, values, reads=[is_entry[symbol]], mask="causal"))
    return layers, heads


def _merge(first: list[Layer], second: list[Layer]) -> list[Layer]:
    depth = max(len(first), len(second))
    out = []
    for index in range(depth):
        parts = [section[index] for section in (first, second) if index < len(section)]
        out.append(Layer(heads=[h for p in parts for h in p.heads], ffns=[f for p in parts for f in p.ffns]))
    return out


def _accept_layers(
    plan: Plan, cells: Cells, lookups: Mapping[Relation, LookupMaker], empty_word: bool
) -> list[Layer]:
    """The accept sentence, evaluated as the formula compiler evaluates a sentence (nothing to erase)."""
    items = forward_items(plan, cells, lookups)
    slots: dict[int, list[Head | FFN]] = {}
    for slot, sub, _ in items:
        slots.setdefault(slot, []).append(sub)
    slots.setdefault(plan.result_slot, []).append(result_ffn(plan, cells, empty_word))
    count = max(slots) // 2 + 1
    layers = [
        Layer(
            heads=[s for s in slots.get(2 * i, []) if isinstance(s, Head)],
            ffns=[s for s in slots.get(2 * i + 1, []) if isinstance(s, FFN)],
        )
        for i in range(count)
    ]
    return [_renamed_layer(layer, "accept: ") for layer in layers]


def _scratch(
    cells: Cells, plans: Sequence[Plan], following: Mapping[str, Group], kinds: Mapping[Relation, str]
) -> list[str]:
    """Every cell that is 0 between phases: lookups, quantifier groups, tables, next(R)."""
    groups: dict[Group, None] = {}
    for plan in plans:
        for quantifier in plan.quantifiers:
            groups[cells.spin[quantifier]] = None
        for node in plan.materialised:
            if plan.slots[node] != EMBEDDED:
                groups[cells.spin[node]] = None
    for atom, kind in kinds.items():
        if kind == "lookup":
            groups[cells.spin[atom]] = None
    groups.update(dict.fromkeys(following.values()))
    return [cell for group in groups for cell in group]


def check_program_model(
    model: Model, program: IteratedProgram, max_length: int, limits: Limits | None = None
) -> int:
    """Runs `model` exactly on every short input (words of length <= max_length; graphs on at most one
    vertex) and compares with the interpreter; raises ProgramCompileError at the first disagreement.
    With `limits`, every length is sized first and the check refused above them (LimitError, before any
    run): a program's loop count and padding can make even a word of two letters a huge run."""
    simulator = Simulator(model)
    if program.input == "graph":
        words = ["".join(w) for length in (0, 2) for w in product(model.alphabet, repeat=length)]
        words = [w for w in words if not w or (w[0] in "-stb" and w[1] in GRAPH_MATRIX)]
    else:
        words = [
            "".join(w) for length in range(max_length + 1) for w in product(model.alphabet, repeat=length)
        ]
    if limits is not None:
        check_self_check(model, map(len, words), limits)
    expected = accepts_batch(program, words)
    for word, want in zip(words, expected, strict=True):
        got = simulator.run(word, record=False).accept
        if got != bool(want):
            raise ProgramCompileError(
                f"self-check failed: the compiled model says {got} on {word!r}; the interpreter disagrees "
                "(a compiler bug: please report it with the program)"
            )
    return len(words)
