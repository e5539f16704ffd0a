"""s-t connectivity with ceil(log2 m) loops and m^3 padding (docs/routes.md, log-depth paper Thm 2).

Word format [ours, fixed]. For a directed graph on vertices 0..m-1: a *ruler* of m symbols, symbol v
in {'-', 's', 't', 'b'} marking vertex v as neither, the source, the target or both (exactly one source
and one target), then the adjacency matrix row-major over {'0', '1'} (A[i][j] = 1: an edge i -> j).
L = m^2 + m, so the size s = floor(sqrt L) = m (size_root 2). The sequence is
BOS, ruler (m), matrix (m^2), PAD (m^3, one per triple (i, k, j)), END (one tail token, the readout).

Construction [ours, after the paper's]. All cells are rational at every position (no stored hash).

- Coordinates (`digit_hashes`, base = the m ruler tokens): matrix token (i, j) holds key(i), key(j);
  padding token (i, k, j) holds key(i), key(k), key(j), key(d) = (1/(d+1), 1, -1/(d+1), -1), bit-identical
  for equal digits under fixed:p, so every join below ties exactly as in the exact semantics.
- State: a group E = (x, x, -x, -x), x >= 0, at matrix token (i, j); its reading is the spin 1/2 when
  x > 0 and 0 when x = 0, and B(i, j) = [x > 0]. Initially x = A_ij / 2.
- Loop body (2 layers). Layer 1: padding token (i, k, j) retrieves the readings of E at (i, k) and
  (k, j) (2-hash joins restricted to matrix tokens) into C1, C2; an FFN writes C = C1 and C2 as a
  reading in {0, 1/2}. Layer 2: matrix token (i, j) averages C over the m padding tokens (i, ., j)
  (unmasked 2-hash join restricted to padding) and ADDS the mean #C/(2m) to E; sign-flipped copies of
  the layer-1 heads (same inputs: E changes only after them) erase C1, C2, and an FFN erases C.
  So B <- B or B.B: after l iterations B(i, j) holds iff a path of length 1..2^l leads from i to j
  (the paper's B_0 = A or I gives the same closure; we keep B_0 = A and OR the old B in, which the
  accumulating E does for free). ceil(log2 m) iterations reach every path of length <= m - 1; more
  change nothing (B is then closed under composition). Scratch C1, C2, C is 0 after every iteration.
- Readout. s = #ruler tokens strictly before the source: a ruler token is "before the source" iff the
  causal count of source symbols up to it is 0 (a sign cell). A head over BOS and those ruler tokens
  averages the BOS spin: 1/(s + 1), so the group holds key(s) (likewise key(t)). The END token
  retrieves E's reading at matrix token (s, t) into `accept`, which also holds #b/N (a 'b' ruler
  symbol means s = t). The unembedding scores accept = that cell and reject = 0; an exact tie (0) goes
  to reject.

Malformed words (any word over the alphabet that `connectivity_word` would not produce: a length not
m^2 + m, a ruler or matrix symbol out of place, not exactly one source and one target) would run without
error, since every cell stays rational, but the answer would mean nothing; so the model's input format
(`expressivity.inputs.GraphWord`) refuses them with an InputError before the run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral

from expressivity.compile.coordinates import digit_hashes, key_cells, mean_into_key, restricted_head
from expressivity.compile.gadgets import HALF, linear_ffn, spin_cells, spin_writes, table_ffn, uniform_head
from expressivity.compile.program import Group, Program
from expressivity.inputs import GraphWord
from expressivity.model import FFN, Head, InputError, Layer, LoopCount, Model, Padding, Rational, View

RULER = "-stb"
MATRIX = "01"
SOURCE_SYMBOLS = "sb"
TARGET_SYMBOLS = "tb"
END = "END"
# G4 restriction weight: with the constant spin 1/2 at the query, eligible keys gain 2 and others lose 2;
# every restricted head below has an exact match (score = number of hashes joined), so others never tie.
RESTRICT_WEIGHT = 8
BOS_WEIGHT = 32


def connectivity_word(adjacency: Sequence[Sequence[int]], s: int, t: int) -> str:
    """The word of the graph with adjacency matrix `adjacency` (m x m, entries 0/1; lists or numpy),
    source s and target t (0-based): ruler, then the matrix row-major."""
    rows = [list(row) for row in adjacency]
    m = len(rows)
    if m == 0:
        raise InputError("connectivity_word: the graph needs at least one vertex")
    for r, row in enumerate(rows):
        if len(row) != m:
            raise InputError(f"connectivity_word: row {r} has {len(row)} entries, expected {m} (square)")
        for c, entry in enumerate(row):
            if isinstance(entry, float) or entry not in (0, 1):
                raise InputError(f"connectivity_word: entry ({r}, {c}) is {entry!r}, not 0 or 1")
    for role, vertex in (("source", s), ("target", t)):
        if isinstance(vertex, bool) or not isinstance(vertex, Integral) or not 0 <= vertex < m:
            raise InputError(f"connectivity_word: {role} {vertex!r} is not a vertex 0..{m - 1}")
    ruler = ["b" if v == s == t else "s" if v == s else "t" if v == t else "-" for v in range(m)]
    return "".join(ruler) + "".join(str(int(entry)) for row in rows for entry in row)


def _join_head(
    name: str,
    pairs: Sequence[tuple[Group, Group]],
    values: dict[str, dict[str, Rational]],
    eligible: Group,
    one: Group,
    reads: Sequence[Group],
    mask: str,
    bos_unless: tuple[Group, Group] | None = None,
) -> Head:
    """G3 on several hashes at once (score = sum of reading(Q_g) . reading(K_g) <= len(pairs), equality
    iff every key equals its query) restricted to the tokens whose `eligible` spin is set (G4).

    With `bos_unless` = (querying, bos): a query whose `querying` spin is not set attends to BOS alone
    (score BOS_WEIGHT * (1/2 - querying) * bos: a gap of BOS_WEIGHT > 8, the widest spread of the other
    terms), so the head reads there whatever BOS holds."""
    extra = list(bos_unless) if bos_unless else []
    groups: list[Group] = []
    for group in [*(g for pair in pairs for g in pair), eligible, one, *reads, *extra]:
        if group not in groups:
            groups.append(group)
    query = [{cell: 1} for query, _ in pairs for cell in query] + [{one[0]: RESTRICT_WEIGHT}]
    key = [{cell: 1} for _, key in pairs for cell in key] + [{eligible[0]: 1}]
    if bos_unless:
        querying, bos = bos_unless
        query.append({one[0]: BOS_WEIGHT, querying[0]: -BOS_WEIGHT})
        key.append({bos[0]: 1})
    return Head(
        name,
        View(groups),
        query=query,
        key=key,
        value=list(values.values()),
        writes=list(values),
        mask=mask,
    )


def _kind_spin(program: Program, name: str, kinds: str | Sequence[str]) -> Group:
    """A spin group with bit 1 on the given token kinds and 0 elsewhere."""
    group = program.group(name, 4)
    program.set_all(spin_cells(group, 0))
    for kind in kinds:
        program.set(kind, spin_cells(group, 1))
    return group


def _merge(*sections: Sequence[Layer]) -> list[Layer]:
    """Layers run in parallel: layer r of the result holds the heads and FFNs of layer r of each."""
    depth = max(len(section) for section in sections)
    return [
        Layer(
            heads=[h for section in sections if r < len(section) for h in section[r].heads],
            ffns=[f for section in sections if r < len(section) for f in section[r].ffns],
        )
        for r in range(depth)
    ]


def _endpoint_layers(
    program: Program, role: str, symbols: str, ruler: Group, bos: Group, one: Group
) -> tuple[list[Layer], Group]:
    """Two layers giving every position the key group key(v) = (1/(v+1), 1, -1/(v+1), -1) of the ruler
    index v of the (unique) ruler token whose symbol is in `symbols`: the mean of the BOS spin over BOS
    and the v ruler tokens before it (an unmasked head restricted to them), canonical under fixed:p."""
    marked = _kind_spin(program, f"conn.{role}", symbols)
    seen = program.group(f"conn.{role}_seen", 4)  # (y, y, -y, -y), y = #marked <= i / (i + 1)
    program.set_all(spin_cells(seen, 1))
    before = program.group(f"conn.before_{role}", 4)  # spin: ruler token with no marked token <= it
    program.set_all(spin_cells(before, 0))
    count_seen = uniform_head(f"conn.count_{role}", marked, dict(zip(seen, (1, 1, -1, -1), strict=True)))
    # ReLU(r + 1/2 - 2 y_read): 1 iff ruler (r = 1/2) and nothing marked yet (y_read = 0), else 0.
    flag = FFN(
        f"conn.flag_before_{role}",
        View([ruler, seen]),
        w1=[{ruler[0]: 1, seen[0]: -2}],
        b1=[HALF],
        w2=[[1], [1], [-1], [-1]],
        writes=list(before),
    )
    vertex = program.group(f"conn.{role}_vertex", 4)
    program.set_all(key_cells(vertex))
    count = restricted_head(
        f"conn.count_before_{role}",
        one,
        [bos, before],
        [1, 1],
        mean_into_key(vertex, {bos[0]: 1}),
        "unmasked",
        reads=[bos],
    )
    return [Layer(heads=[count_seen], ffns=[flag]), Layer(heads=[count])], vertex


@dataclass(frozen=True)
class ConnectivityLayout:
    """The cells and set-up layers every connectivity model shares (module docstring): `prefix` gives
    matrix token (i, j) the hashes `cell` = (key(i), key(j)), padding token (i, k, j) the hashes `triple`,
    every position key(s) in `source` and key(t) in `target`; `state` is E, embedded A_ij / 2."""

    program: Program
    prefix: list[Layer]
    state: Group
    cell: tuple[Group, Group]
    triple: tuple[Group, Group, Group]
    matrix: Group
    padding: Group
    one: Group
    bos: Group
    source: Group
    target: Group
    accept: str


def connectivity_layout() -> ConnectivityLayout:
    """A fresh program with the shared cells and the set-up layers (the prefix of compile_connectivity)."""
    program = Program(RULER + MATRIX, extra_kinds=[END])
    ruler = _kind_spin(program, "conn.ruler", RULER)
    matrix = _kind_spin(program, "conn.matrix", MATRIX)
    padding = _kind_spin(program, "conn.padding", ["PAD"])
    bos = _kind_spin(program, "conn.bos", ["BOS"])
    one = program.group("conn.one", 4)
    program.set_all(spin_cells(one, 1))
    matrix_layers, (row, column) = digit_hashes(program, "conn.cell", region=matrix, digits=2, base=ruler)
    pad_layers, (first, middle, last) = digit_hashes(
        program, "conn.pad", region=padding, digits=3, base=ruler
    )
    source_layers, source = _endpoint_layers(program, "source", SOURCE_SYMBOLS, ruler, bos, one)
    target_layers, target = _endpoint_layers(program, "target", TARGET_SYMBOLS, ruler, bos, one)
    accept = program.cell("conn.accept")
    program.set_all({accept: HALF})
    both = _kind_spin(program, "conn.both", ["b"])
    count_both = uniform_head("conn.count_both", both, {accept: 1}, mask="unmasked")
    prefix = _merge(matrix_layers, pad_layers, source_layers, target_layers, [Layer(heads=[count_both])])
    state = program.group("conn.reach", 4)  # E: (x, x, -x, -x), B = [x > 0]
    program.set("1", spin_cells(state, 1))  # x = 1/2 on an edge, 0 elsewhere
    return ConnectivityLayout(
        program,
        prefix,
        state,
        (row, column),
        (first, middle, last),
        matrix,
        padding,
        one,
        bos,
        source,
        target,
        accept,
    )


def readout_layer(layout: ConnectivityLayout, state: Group) -> Layer:
    """The END token adds the reading of `state` at matrix token (s, t) to `accept`."""
    readout = _join_head(
        "conn.readout",
        [(layout.source, layout.cell[0]), (layout.target, layout.cell[1])],
        {layout.accept: {state[0]: 1}},
        layout.matrix,
        layout.one,
        [state],
        "causal",
    )
    return Layer(heads=[readout])


def connectivity_model(layout: ConnectivityLayout, name: str, metadata: dict, **layers: object) -> Model:
    """The model of `layout` with the given layers (prefix/block/suffix/loops or stages)."""
    return layout.program.model(
        **layers,
        padding=Padding([0, 0, 0, 1]),
        unembedding=[{}, {layout.accept: 1}],
        tail=[END],
        name=name,
        size_root=2,
        input_format=GraphWord(RULER, MATRIX, SOURCE_SYMBOLS, TARGET_SYMBOLS),
        metadata={
            "word": "ruler over {-,s,t,b} (m symbols), then the m x m adjacency matrix row-major over {0,1}",
            "padding": "m^3 tokens, one per (i, k, j)",
            **metadata,
        },
    )


def compile_connectivity(extra_iterations: int = 0) -> Model:
    """One model for every number of vertices m >= 1: accepts `connectivity_word(A, s, t)` iff t is
    reachable from s. It loops ceil(log2 m) + extra_iterations times (extra ones change nothing)."""
    layout = connectivity_layout()
    block, scratch = composition_layers(layout, "", layout.state, layout.state)
    return connectivity_model(
        layout,
        "connectivity",
        {
            "route": "connectivity",
            "loops": f"ceil(log2 m) + {extra_iterations}",
            "layers": {"prefix": len(layout.prefix), "block": 2, "suffix": 1},
        },
        prefix=layout.prefix,
        block=block,
        suffix=[readout_layer(layout, layout.state)],
        loops=LoopCount(value=extra_iterations, coefficient=1, power=1),
        scratch=scratch,
    )


def composition_layers(
    layout: ConnectivityLayout, tag: str, read: Group, write: Group, transpose_right: bool = False
) -> tuple[list[Layer], list[str]]:
    """The 2-layer step write <- write or (read . read) (module docstring) and its scratch cells: padding
    token (i, k, j) fetches read(i, k) and read(k, j) (read(j, k) with `transpose_right`), ANDs them, and
    matrix token (i, j) adds the mean over k to `write`; everything fetched is erased again. With read =
    write = E it is the block B <- B or B.B. `tag` keeps the names of several such steps apart."""
    program, cell, one = layout.program, layout.cell, layout.one
    first, middle, last = layout.triple
    base = f"conn.{tag}." if tag else "conn."
    left, right, path = (program.group(f"{base}{label}", 4) for label in ("left", "right", "path"))

    def fetch(label: str, into: Group, query: tuple[Group, Group], sign: int) -> Head:
        """Padding (i, k, j) adds sign * (reading of `read` at the matrix token `query`) to `into`."""
        name = f"{base}fetch_{label}" if sign > 0 else f"{base}erase_{label}"
        pairs = list(zip(query, cell, strict=True))
        return _join_head(
            name, pairs, spin_writes(into, {read[0]: sign}), layout.matrix, one, [read], "causal"
        )

    both = table_ffn(
        f"{base}and",
        [left, right],
        lambda bits: dict(zip(path, (HALF, HALF, -HALF, -HALF), strict=True)) if all(bits) else {},
        list(path),
    )
    compose = _join_head(
        f"{base}compose",
        [(cell[0], first), (cell[1], last)],
        spin_writes(write, {path[0]: 1}),
        layout.padding,
        one,
        [path],
        "unmasked",
    )
    erase_path = linear_ffn(f"{base}erase_path", [path], {c: {c: -1} for c in path})
    right_query = (last, middle) if transpose_right else (middle, last)
    fetches = [("left", left, (first, middle)), ("right", right, right_query)]
    block = [
        Layer(heads=[fetch(*fetched, 1) for fetched in fetches], ffns=[both]),
        Layer(heads=[compose, *(fetch(*fetched, -1) for fetched in fetches)], ffns=[erase_path]),
    ]
    return block, [*left, *right, *path]


def alternating_layer(layout: ConnectivityLayout, phase: Group, toggle: bool) -> tuple[Layer, list[str]]:
    """One layer doing the block B <- B or B.B in two iterations, chosen by the spin `phase` (0, then 1):

    - phase 0: padding (i, k, j) fetches E(i, k), E(k, j) into left, right (r in {0, 1/2} each) and an
      FFN writes path = left and right; `compose` reads path = 0, so E is unchanged;
    - phase 1: the same fetches add r again (E has not changed since), `compose` adds the mean of path
      over k to E, and FFNs gated by the phase erase left and right (2r, read as the spin of r) and path.

    Queries that are not padding attend to BOS (E = 0 there), so left and right stay 0 outside the padding.
    With `toggle`, an FFN flips `phase` (a state cell); without it, `phase` must be the stage's parity
    timestep. Returns the layer and its work cells (zero after every phase-1 iteration, not before)."""
    program, cell, one, state = layout.program, layout.cell, layout.one, layout.state
    first, middle, last = layout.triple
    left, right, path = (program.group(f"conn.{label}", 4) for label in ("left", "right", "path"))
    up = (HALF, HALF, -HALF, -HALF)

    def fetch(label: str, into: Group, query: tuple[Group, Group]) -> Head:
        pairs = list(zip(query, cell, strict=True))
        writes = spin_writes(into, {state[0]: 1})
        gate = (layout.padding, layout.bos)
        return _join_head(f"conn.fetch_{label}", pairs, writes, layout.matrix, one, [state], "causal", gate)

    def erase(label: str, group: Group) -> FFN:
        return table_ffn(
            f"conn.erase_{label}",
            [group, phase],
            lambda bits: {c: -2 * v for c, v in zip(group, up, strict=True)} if bits == (1, 1) else {},
            list(group),
        )

    both = table_ffn(
        "conn.and",
        [left, right, phase],
        lambda bits: dict(zip(path, up, strict=True)) if bits == (1, 1, 0) else {},
        list(path),
    )
    compose = _join_head(
        "conn.compose",
        [(cell[0], first), (cell[1], last)],
        spin_writes(state, {path[0]: 1}),
        layout.padding,
        one,
        [path],
        "unmasked",
    )
    ffns = [both, erase("left", left), erase("right", right)]
    ffns.append(linear_ffn("conn.erase_path", [path], {c: {c: -1} for c in path}))
    if toggle:
        ffns.append(linear_ffn("conn.toggle", [phase], {c: {c: -2} for c in phase}))
    heads = [fetch("left", left, (first, middle)), fetch("right", right, (middle, last)), compose]
    return Layer(heads=heads, ffns=ffns), [*left, *right, *path]
