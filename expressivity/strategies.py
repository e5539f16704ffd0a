"""Hypothesis strategies, public API: property-test your own constructions with ours.

- circuits: `circuits(...)`, `input_vectors(circuit)` (random valid `circuits.Circuit`s and inputs);
- logic: `formulas(...)`, `sentences(...)`, `words(...)` (FO[M] formulas over strings, and words);
- models: `models(...)` (random tiny transformer `Model`s with a word to run them on), built from
  `views`, `heads`, `ffns` and `layers`; `staged_models(...)` (1-4 stages with their own loop counts,
  some reading timestep cells).

Example::

    from hypothesis import given
    from expressivity.strategies import models

    @given(models(max_positions=5))
    def test_runs_agree(case):
        model, word = case
        ...

Weights are small rationals (halves in [-2, 2]) so exact runs stay quick. With `generic=True` exact zeros
are rare (dense non-zero embeddings, no one-cell layer-norm groups -- they always read 0 -- and non-zero
hidden biases), so most decisions are well away from ties: that is what comparisons of the approximate
backends against exact need.
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import strategies as st

from circuits.strategies import circuits, input_vectors
from expressivity.logic.strategies import formulas, sentences, words
from expressivity.model import (
    FFN,
    MASKS,
    TIMESTEP_ENCODINGS,
    Head,
    Layer,
    LoopCount,
    Model,
    Padding,
    Stage,
    Timestep,
    View,
)

HALVES = st.integers(-4, 4).map(lambda k: Fraction(k, 2))
NONZERO_HALVES = st.sampled_from([-4, -3, -2, -1, 1, 2, 3, 4]).map(lambda k: Fraction(k, 2))
SHAPES = (
    ("prefix",),
    ("prefix", "prefix"),
    ("block",),
    ("prefix", "block"),
    ("block", "suffix"),
    ("block", "block"),
    ("prefix", "suffix"),
)
PADDINGS = ((), (1,), (2,), (0, 1))


def matrices(rows: int, cols: int) -> st.SearchStrategy[list[list[Fraction]]]:
    """rows x cols matrices of halves in [-2, 2]."""
    return st.lists(st.lists(HALVES, min_size=cols, max_size=cols), min_size=rows, max_size=rows)


@st.composite
def views(draw: st.DrawFn, labels: list[str], generic: bool = False) -> View:
    """1-2 disjoint norm groups of 1..4 of `labels` (generic: no one-cell layer-norm group)."""
    norm = draw(st.sampled_from(["layer", "layer", "rms"]))
    smallest = 2 if generic and norm == "layer" else 1
    order = draw(st.permutations(labels))
    groups, start = [], 0
    for _ in range(draw(st.integers(1, 2))):
        if len(order) - start < smallest:
            break
        size = draw(st.integers(smallest, min(4, len(order) - start)))
        groups.append(order[start : start + size])
        start += size
    return View(groups, norm)


@st.composite
def heads(draw: st.DrawFn, labels: list[str], name: str, generic: bool = False) -> Head:
    """A head of any mask; one in four is uniform (Q = 0, so its tie set is the visible set)."""
    view = draw(views(labels, generic))
    width = len(view.columns)
    depth = draw(st.integers(1, 2))
    uniform = draw(st.integers(0, 3)) == 0
    query = [[Fraction(0)] * width] * depth if uniform else draw(matrices(depth, width))
    writes = draw(st.lists(st.sampled_from(labels), min_size=1, max_size=2, unique=True))
    return Head(
        name,
        view,
        query=query,
        key=draw(matrices(depth, width)),
        value=draw(matrices(len(writes), width)),
        writes=writes,
        mask=draw(st.sampled_from(MASKS)),
    )


@st.composite
def ffns(draw: st.DrawFn, labels: list[str], name: str, generic: bool = False) -> FFN:
    """A feed-forward sublayer with 1-3 hidden units."""
    view = draw(views(labels, generic))
    hidden = draw(st.integers(1, 3))
    writes = draw(st.lists(st.sampled_from(labels), min_size=1, max_size=2, unique=True))
    return FFN(
        name,
        view,
        w1=draw(matrices(hidden, len(view.columns))),
        w2=draw(matrices(len(writes), hidden)),
        writes=writes,
        b1=draw(st.lists(NONZERO_HALVES if generic else HALVES, min_size=hidden, max_size=hidden)),
        b2=draw(st.lists(HALVES, min_size=len(writes), max_size=len(writes))),
    )


@st.composite
def layers(draw: st.DrawFn, labels: list[str], number: int, generic: bool = False) -> Layer:
    """0-2 heads and 0-1 FFN (never an empty layer)."""
    count = draw(st.integers(0, 2))
    layer_heads = [draw(heads(labels, f"head{number}_{k}", generic)) for k in range(count)]
    layer_ffns = [draw(ffns(labels, f"ffn{number}", generic))] if draw(st.booleans()) or not count else []
    return Layer(layer_heads, layer_ffns)


@st.composite
def models(
    draw: st.DrawFn, max_positions: int = 6, generic: bool = False, alphabet: str = "ab"
) -> tuple[Model, str]:
    """A random tiny model (width 2-6, 1-2 layers in prefix / looped block / suffix, r(n) a constant
    1-3 or ceil(log2 n), padding t(n) in {0, 1, 2, n}) and a word with at most `max_positions` positions."""
    width = draw(st.integers(2, 6))
    labels = [f"c{k}" for k in range(width)]
    kinds = ("BOS", *alphabet, "PAD")
    if generic:
        embedding = {kind: {label: draw(NONZERO_HALVES) for label in labels} for kind in kinds}
    else:
        embedding = {
            kind: {label: draw(HALVES) for label in draw(st.lists(st.sampled_from(labels), unique=True))}
            for kind in kinds
        }
    built: dict[str, list[Layer]] = {"prefix": [], "block": [], "suffix": []}
    for number, section in enumerate(draw(st.sampled_from(SHAPES))):
        built[section].append(draw(layers(labels, number, generic)))
    loops = draw(
        st.one_of(
            st.integers(1, 3).map(lambda r: LoopCount(value=r)),
            st.just(LoopCount(value=0, coefficient=1, power=1)),
        )
    )
    padding = Padding(draw(st.sampled_from(PADDINGS)))
    fitting = [n for n in range(8) if 1 + n + padding(n) <= max_positions]
    word = draw(st.text(alphabet, max_size=max(fitting, default=0)))
    symbols = draw(st.sampled_from([("reject", "accept"), ("x", "y", "z")]))
    model = Model(
        alphabet=alphabet,
        labels=labels,
        embedding=embedding,
        prefix=built["prefix"],
        block=built["block"],
        suffix=built["suffix"],
        loops=loops,
        padding=padding,
        symbols=symbols,
        unembedding=draw(matrices(len(symbols), width)),
        name="random",
    )
    return model, word


LOOP_COUNTS = st.one_of(
    st.integers(0, 3).map(lambda r: LoopCount(value=r)),
    st.just(LoopCount(value=0, coefficient=1, power=1)),
    st.just(LoopCount(value=1, coefficient=1, power=1, fixed=False)),
)


@st.composite
def staged_models(
    draw: st.DrawFn, max_positions: int = 6, alphabet: str = "ab", generic: bool = False
) -> tuple[Model, str]:
    """A random tiny model made of 1-4 stages (1-2 layers each, r a constant 0-3 or a log term); a stage
    may read a timestep group t{k}[0..3] through an FFN that writes ordinary cells. A word to run it on.
    `generic` as for `models`: exact zeros are rare, for comparisons of approximate runs with exact."""
    width = draw(st.integers(2, 5))
    labels = [f"c{k}" for k in range(width)]
    kinds = ("BOS", *alphabet, "PAD")
    if generic:
        embedding = {kind: {label: draw(NONZERO_HALVES) for label in labels} for kind in kinds}
    else:
        embedding = {
            kind: {label: draw(HALVES) for label in draw(st.lists(st.sampled_from(labels), unique=True))}
            for kind in kinds
        }
    stages, cells = [], []
    for k in range(draw(st.integers(1, 4))):
        stage_layers = [draw(layers(labels, 10 * k + j, generic)) for j in range(draw(st.integers(1, 2)))]
        timestep = []
        if draw(st.booleans()):
            group = [f"t{k}[{c}]" for c in range(4)]
            cells += group
            timestep.append(Timestep(draw(st.sampled_from(TIMESTEP_ENCODINGS)), group))
            reader = FFN(
                f"clock{k}",
                View([group]),
                w1=draw(matrices(2, 4)),
                w2=draw(matrices(1, 2)),
                writes=[draw(st.sampled_from(labels))],
                b1=draw(st.lists(NONZERO_HALVES if generic else HALVES, min_size=2, max_size=2)),
            )
            stage_layers.append(Layer(ffns=[reader]))
        stages.append(Stage(f"stage{k}", stage_layers, draw(LOOP_COUNTS), timestep))
    padding = Padding(draw(st.sampled_from(PADDINGS)))
    fitting = [n for n in range(8) if 1 + n + padding(n) <= max_positions]
    word = draw(st.text(alphabet, max_size=max(fitting, default=0)))
    model = Model(
        alphabet=alphabet,
        labels=[*labels, *cells],
        embedding=embedding,
        stages=stages,
        padding=padding,
        unembedding=draw(matrices(2, width + len(cells))),
        name="random staged",
    )
    return model, word


__all__ = [
    "circuits",
    "ffns",
    "formulas",
    "heads",
    "input_vectors",
    "layers",
    "matrices",
    "models",
    "sentences",
    "staged_models",
    "views",
    "words",
]
