"""Verify a compiled model against its reference semantics on random inputs.

The reference comes from the model file itself (`metadata["route"]`), never from the compiler:
- "formula": the FO[M] model checker (`expressivity.logic.holds`) on the stored sentence;
- "circuit": `circuits.evaluate` on the stored circuit (every named output);
- "connectivity": networkx reachability on random directed graphs;
- "program": the iterated-program interpreter (`expressivity.logic.accepts`) on the stored program text,
  on random words (or random graph words of m^2 + m symbols for a graph program).
A disagreement on one input is a compiler bug: `verify` stops there and returns it. A model run by
generation or denoising (metadata "run", `expressivity.decoding`) is decoded input by input, its outputs
read as its metadata says (`model_outcome`), in this process or, with workers or a Dask scheduler, in
chunks on them as any other model.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain, islice
from typing import Any

from expressivity.backends import SimulationError
from expressivity.decoding import run_decoder, run_kind
from expressivity.inputs import GraphWord
from expressivity.model import Model, ModelError
from expressivity.simulator import Simulator


@dataclass(frozen=True)
class Case:
    """One input: the word the model reads, a readable description, and the expected outcome."""

    word: str
    shown: str
    expected: Any


@dataclass(frozen=True)
class Report:
    route: str
    checked: int
    counterexample: Case | None = None
    got: Any = None

    @property
    def ok(self) -> bool:
        return self.counterexample is None


def _stored(model: Model, key: str) -> Any:
    """The reference stored in the model file under metadata[key]; a ModelError names what is missing."""
    if key not in model.metadata:
        route = model.metadata.get("route")
        raise ModelError(f"model {model.name!r} (route {route!r}) has no metadata {key!r}")
    return model.metadata[key]


def _formula_cases(model: Model, max_n: int, rng: random.Random) -> Iterator[Case]:
    from expressivity.logic import holds, parse

    sentence = parse(str(_stored(model, "sentence")))
    while True:
        n = rng.randint(0, max_n)
        word = "".join(rng.choice(model.alphabet) for _ in range(n))
        yield Case(word, repr(word), holds(sentence, word))


def _circuit_cases(model: Model, max_n: int, rng: random.Random) -> Iterator[Case]:
    from circuits import evaluate
    from circuits.serial import circuit_from_dict

    circuit = circuit_from_dict(_stored(model, "circuit"))
    while True:
        bits = [rng.randint(0, 1) for _ in circuit.inputs]
        word = "".join(map(str, bits))
        yield Case(word, f"inputs {word} ({', '.join(circuit.inputs)})", evaluate(circuit, bits))


def _connectivity_cases(model: Model, max_n: int, rng: random.Random) -> Iterator[Case]:
    import networkx as nx

    from expressivity.compile.connectivity import connectivity_word

    while True:
        m = rng.randint(1, max(1, max_n))
        density = rng.choice([0.15, 0.3, 0.5])
        adjacency = [[int(rng.random() < density) for _ in range(m)] for _ in range(m)]
        s, t = rng.randrange(m), rng.randrange(m)
        graph = nx.DiGraph()
        graph.add_nodes_from(range(m))
        graph.add_edges_from((i, j) for i in range(m) for j in range(m) if adjacency[i][j])
        shown = f"m={m}, s={s}, t={t}, edges={sorted(graph.edges)}"
        yield Case(connectivity_word(adjacency, s, t), shown, nx.has_path(graph, s, t))


def _program_cases(model: Model, max_n: int, rng: random.Random) -> Iterator[Case]:
    from expressivity.logic import accepts, parse_program

    program = parse_program(str(_stored(model, "program")))
    while True:
        if program.input == "graph":
            m = rng.randint(0, max(1, max_n))
            ruler = "".join(rng.choice("-stb") for _ in range(m))
            word = ruler + "".join(rng.choice("01") for _ in range(m * m))
            shown = f"m={m}, ruler {ruler!r}, matrix {word[m:]!r}"
        else:
            word = "".join(rng.choice(model.alphabet) for _ in range(rng.randint(0, max_n)))
            shown = repr(word)
        yield Case(word, shown, accepts(program, word))


_ROUTES: dict[str, Callable[[Model, int, random.Random], Iterator[Case]]] = {
    "formula": _formula_cases,
    "circuit": _circuit_cases,
    "connectivity": _connectivity_cases,
    "program": _program_cases,
}


def cases(model: Model, max_n: int, seed: int = 0) -> Iterator[Case]:
    """An endless stream of random inputs with their expected outcomes (inputs of length/size <= max_n;
    a circuit has a fixed input length)."""
    route = model.metadata.get("route")
    if route not in _ROUTES:
        raise ModelError(
            f"model {model.name!r} has no reference to verify against (metadata route {route!r}; "
            f"known routes: {', '.join(_ROUTES)})"
        )
    return _ROUTES[route](model, max_n, random.Random(seed))


def outcome(model: Model, trace) -> Any:
    """What the model said, in the reference's terms: output bits by name for a circuit, else accept."""
    return dict(trace.outputs) if model.metadata.get("route") == "circuit" else trace.accept


def model_outcome(simulator: Simulator, word: str, backend: str) -> Any:
    """What `simulator`'s model says on `word`: decoded for its recorded steps when it is run by
    generation or denoising (its output bits), else one run (`outcome`)."""
    model = simulator.model
    if run_kind(model) is not None:
        return run_decoder(model, word, backend, simulator=simulator).outputs
    return outcome(model, simulator.run(word, backend, record=False))


def verify(
    model: Model,
    samples: int = 100,
    max_n: int = 8,
    seed: int = 0,
    backend: str = "exact",
    progress: Callable[[Iterator[Case]], Iterator[Case]] | None = None,
    workers: int = 1,
    scheduler: Any = None,
    advance: Callable[[int], None] | None = None,
) -> Report:
    """Run `samples` random inputs and compare with the reference; stop at the first disagreement.

    With `workers` > 1 or a Dask `scheduler` the same inputs are checked in chunks by
    `expressivity.sweep` (same report); `advance(k)` is then told as each chunk of k inputs finishes."""
    inputs = cases(model, max_n, seed)
    first = next(inputs)  # a model without its reference fails here, before any progress is shown
    if workers > 1 or scheduler is not None:
        from expressivity.sweep import sweep

        drawn = list(islice(chain([first], inputs), samples))
        pairs = [(case.word, case.expected) for case in drawn]
        result = sweep(model, pairs, backend, workers, scheduler, progress=advance)
        bad = None if result.first_bad is None else drawn[result.first_bad]
        return Report(str(model.metadata["route"]), result.checked, bad, result.got)
    if run_kind(model) is not None:
        return _verify_decoder(model, chain([first], inputs), samples, backend, progress)
    simulator = Simulator(model)
    stream = (case for case, _ in zip(chain([first], inputs), range(samples), strict=False))
    route = str(model.metadata["route"])
    checked = 0
    chunk: list[Case] = []
    for case in progress(stream) if progress else stream:
        chunk.append(case)
        if len(chunk) == _CHUNK:
            found = _check_chunk(model, simulator, chunk, backend)
            if found is not None:
                return Report(route, checked + found[0], chunk[found[0]], found[1])
            checked += len(chunk)
            chunk = []
    found = _check_chunk(model, simulator, chunk, backend) if chunk else None
    if found is not None:
        return Report(route, checked + found[0], chunk[found[0]], found[1])
    return Report(route, checked + len(chunk))


def _verify_decoder(
    model: Model,
    inputs: Iterator[Case],
    samples: int,
    backend: str,
    progress: Callable[[Iterator[Case]], Iterator[Case]] | None,
) -> Report:
    """`verify` in one process for a model run by generation or denoising (`expressivity.decoding`):
    each input is decoded for the model's recorded number of steps, and its outputs compared."""
    simulator = Simulator(model)
    stream = (case for case, _ in zip(inputs, range(samples), strict=False))
    route = str(model.metadata["route"])
    checked = 0
    for case in progress(stream) if progress else stream:
        got = model_outcome(simulator, case.word, backend)
        if got != case.expected:
            return Report(route, checked, case, got)
        checked += 1
    return Report(route, checked)


_CHUNK = 32  # cases run together: words of one length go through `run_batch` in one pass


def _check_chunk(
    model: Model, simulator: Simulator, chunk: list[Case], backend: str
) -> tuple[int, Any] | None:
    """(index, outcome) of the first case of `chunk` the model gets wrong, or None. Words of one length
    run as one batch; if a batch stops (a SimulationError), the chunk runs again one case at a time, so
    what surfaces (a wrong outcome or the error) is what a one-by-one run meets first."""
    lengths: dict[int, list[int]] = {}
    for index, case in enumerate(chunk):
        lengths.setdefault(len(case.word), []).append(index)
    got: dict[int, Any] = {}
    try:
        for indices in lengths.values():
            traces = simulator.run_batch([chunk[i].word for i in indices], backend, record=False)
            got.update((index, outcome(model, trace)) for index, trace in zip(indices, traces, strict=True))
    except SimulationError:
        got = {}
    for index, case in enumerate(chunk):
        if index not in got:
            got[index] = outcome(model, simulator.run(case.word, backend, record=False))
        if got[index] != case.expected:
            return index, got[index]
    return None


def words_of_size(model: Model, size: int, count: int, seed: int = 0) -> list[str]:
    """`count` random input words of one size: graphs on `size` vertices for connectivity and graph
    programs, random input vectors for a circuit (whose size is fixed), else random words of length
    `size` over the alphabet."""
    rng = random.Random(seed)
    route = model.metadata.get("route")
    graph = isinstance(model.input_format, GraphWord)
    if route in ("connectivity", "circuit") or (route == "program" and graph):
        stream = _ROUTES[route](model, size, rng)
        if graph:
            stream = (case for case in stream if len(case.word) == size * size + size)
        return [next(stream).word for _ in range(count)]
    return ["".join(rng.choice(model.alphabet) for _ in range(size)) for _ in range(count)]
