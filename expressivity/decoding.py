"""Decoding: a model's own predictions fed back as tokens, exactly, on any backend.

Two loops run a fixed-depth model many times over a growing or changing sequence of discrete tokens:

- `generate` (chain of thought): run a causal model, append the unembedding's symbol at the last
  position (argmax, an exact tie going to the earlier symbol), and repeat for `steps` steps or until a
  `stop` symbol. Causal masks never let a row see a later one, so the earlier rows' residuals, keys and
  values do not change when a token is appended; with `cache=True` (the default) a step runs the layers
  on the new position only (`Simulator.extend`), which is the same computation as rerunning the whole
  sequence (`cache=False`), at the cost of one position.
- `denoise` (masked diffusion): the sequence holds a MASK token kind at some positions. A step runs the
  model once over the whole current sequence, reads the unembedding's symbol at every masked position
  and writes it there unless it is MASK. Between steps the state is the discrete sequence and nothing
  else. It stops when nothing is masked, after `max_steps`, or when a step unmasks nothing (the next
  step would see the same sequence and predict the same).

`run_decoder` runs a model whose metadata says how (`"run": "generate" | "denoise"`, `"steps"`) and
reads its named output bits from the final sequence (`"read"`: for each output, the position of a 0/1
token and whether to negate it, or no position for the constant 0); the circuit compilers'
chain-of-thought and masked-diffusion modes write models of this kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from expressivity.backends import Backend, SimulationError, get_backend
from expressivity.model import Model, ModelError
from expressivity.simulator import Simulator

MASK = "MASK"


@dataclass(frozen=True)
class Generation:
    """The sequence after generation (`prompt` positions given, the rest generated), whether a stop
    symbol ended it, and `layers_run`: positions x layers actually run, summed over the steps."""

    tokens: tuple[str, ...]
    prompt: int
    stopped: bool
    layers_run: int

    @property
    def generated(self) -> tuple[str, ...]:
        return self.tokens[self.prompt :]

    @property
    def steps(self) -> int:
        return len(self.generated)


@dataclass(frozen=True)
class Denoising:
    """The sequence before the first step and after every step (`frames`), and `layers_run`: positions
    x layers run, summed over the steps."""

    frames: tuple[tuple[str, ...], ...]
    layers_run: int
    mask: str = MASK

    @property
    def tokens(self) -> tuple[str, ...]:
        return self.frames[-1]

    @property
    def steps(self) -> int:
        return len(self.frames) - 1

    def unmasked_at(self, step: int) -> list[int]:
        """The positions step `step` (1-based) unmasked."""
        before, after = self.frames[step - 1], self.frames[step]
        return [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a == self.mask != b]


def _appendable(model: Model, symbol: str, where: str) -> str:
    if symbol not in model.kinds:
        raise SimulationError(
            f"{where}: the model predicts {symbol!r}, which is not one of its token kinds, so it cannot "
            "be written into the sequence"
        )
    return symbol


def generate(
    model: Model,
    word: str,
    steps: int,
    stop: str | None = None,
    backend: str | Backend = "exact",
    cache: bool = True,
    simulator: Simulator | None = None,
) -> Generation:
    """Append the model's next symbol to the tokens of `word`, `steps` times or until `stop` (appended
    too). With `cache`, every step after the first runs the new position only (module docstring); a
    model with an unmasked head cannot be cached (a SimulationError) and needs `cache=False`."""
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    simulator = simulator or Simulator(model)
    prompt = model.tokens(word)
    generated: list[str] = []
    if steps == 0:
        return Generation(tuple(prompt), len(prompt), False, 0)
    if cache:
        state = simulator.start(word, get_backend(backend))
        layers = 0
        while True:
            symbol = _appendable(model, simulator.next_symbol(state), f"step {len(generated) + 1}")
            generated.append(symbol)
            if symbol == stop or len(generated) == steps:
                layers = state.layers_run
                break
            state = simulator.extend(state, [symbol])
    else:
        layers = 0
        while True:
            sequence = prompt + generated
            trace = simulator.run_tokens(sequence, word, backend, record=False)
            layers += len(sequence) * model.layer_count(len(word))
            symbol = _appendable(model, trace.symbol, f"step {len(generated) + 1}")
            generated.append(symbol)
            if symbol == stop or len(generated) == steps:
                break
    return Generation(tuple(prompt + generated), len(prompt), generated[-1] == stop, layers)


def denoise(
    model: Model,
    word: str,
    max_steps: int | None = None,
    backend: str | Backend = "exact",
    mask: str = MASK,
    tokens: Sequence[str] | None = None,
    simulator: Simulator | None = None,
) -> Denoising:
    """Fill in the masked positions of the tokens of `word` (or of `tokens`, whose input word is `word`)
    step by step (module docstring); at most `max_steps` steps when given."""
    if mask not in model.kinds:
        raise ModelError(f"model {model.name!r} has no token kind {mask!r} to denoise")
    simulator = simulator or Simulator(model)
    # one backend for every step: the exact backend then reuses the tie sets and norm readings of heads
    # whose inputs a step did not change (the lookups of descriptions and sources, say)
    engine = get_backend(backend)
    sequence = list(tokens) if tokens is not None else model.tokens(word)
    frames = [tuple(sequence)]
    layers = 0
    while max_steps is None or len(frames) <= max_steps:
        masked = [i for i, kind in enumerate(sequence) if kind == mask]
        if not masked:
            break
        trace = simulator.run_tokens(sequence, word, engine, record=False)
        layers += len(sequence) * model.layer_count(len(word))
        for i in masked:
            symbol = simulator.symbol_at(trace, i)
            if symbol != mask:
                sequence[i] = _appendable(model, symbol, f"step {len(frames)}, position {i}")
        frames.append(tuple(sequence))
        if frames[-1] == frames[-2]:
            break
    return Denoising(tuple(frames), layers, mask)


@dataclass(frozen=True)
class Decoded:
    """A decoding run of a model that says how it is run: the final sequence, the steps taken, the
    positions x layers run, the named output bits (None for an output whose token is not decoded yet,
    after a capped run), and the `Generation` or `Denoising` itself."""

    tokens: tuple[str, ...]
    steps: int
    layers_run: int
    outputs: dict[str, int | None]
    run: Generation | Denoising


def run_kind(model: Model) -> str | None:
    """How the model is run: "generate", "denoise", or None for a single run (loops included)."""
    kind = model.metadata.get("run")
    if kind not in (None, "generate", "denoise"):
        raise ModelError(f"model {model.name!r}: metadata run is {kind!r}, not 'generate' or 'denoise'")
    return kind


def run_decoder(
    model: Model,
    word: str,
    backend: str | Backend = "exact",
    max_steps: int | None = None,
    simulator: Simulator | None = None,
) -> Decoded:
    """Run a generating or denoising model on `word` as its metadata says, for its recorded number of
    steps (at most `max_steps` when given), and read its outputs."""
    kind = run_kind(model)
    if kind is None:
        raise ModelError(f"model {model.name!r} is run once, not by generation or denoising")
    steps = int(model.metadata.get("steps", 0))
    if max_steps is not None:
        steps = min(steps, max_steps)
    if kind == "generate":
        result: Generation | Denoising = generate(
            model, word, steps, model.metadata.get("stop"), backend, simulator=simulator
        )
    else:
        mask = str(model.metadata.get("mask", MASK))
        result = denoise(model, word, steps, backend, mask, simulator=simulator)
    return Decoded(result.tokens, result.steps, result.layers_run, read_outputs(model, result.tokens), result)


def read_outputs(model: Model, tokens: Sequence[str]) -> dict[str, int | None]:
    """The named output bits of a decoded sequence (metadata "read": [name, position, negated] per
    output; position None is the constant 0). A position holding no 0/1 token gives None."""
    outputs: dict[str, int | None] = {}
    for name, position, negated in model.metadata.get("read", []):
        if position is None:
            outputs[name] = int(bool(negated))
        elif position < len(tokens) and tokens[position] in ("0", "1"):
            outputs[name] = int(tokens[position]) ^ int(bool(negated))
        else:
            outputs[name] = None
    return outputs
