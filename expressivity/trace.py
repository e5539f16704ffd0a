"""The record of one run, the same on every backend: residual after every sublayer (and so after every
loop iteration), the tie set of every head at every position, and the readout."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from expressivity.backends.base import TieSets


@dataclass(frozen=True)
class Step:
    """The residual right after one sublayer. `section` is the stage's name; `iteration` is the
    iteration of a looped stage (None for a stage run once)."""

    section: str
    layer: int
    sublayer: str
    iteration: int | None
    residual: Any

    @property
    def name(self) -> str:
        loop = f"[{self.iteration}]" if self.iteration is not None else ""
        return f"{self.section}{loop}.layer{self.layer}.{self.sublayer}"


@dataclass
class Trace:
    """What a run produced. Values are exact (`SqrtNumber`) on the exact backend, `Fraction` on fixed(p)
    and `float` on float64; `value`, `column` and `table` read them by residual label."""

    model_name: str
    backend: Any
    word: str
    tokens: list[str]
    labels: tuple[str, ...]
    loops: int  # r(n) of the block (three-stage form), else the iterations of all looped stages
    steps: list[Step] = field(default_factory=list)
    ties: dict[tuple[str, str], TieSets] = field(default_factory=dict)
    symbol: str | None = None
    readout_scores: list = field(default_factory=list)
    outputs: dict[str, int] = field(default_factory=dict)
    layers_run: int = 0
    stage_loops: dict[str, int] = field(default_factory=dict)  # stage name -> its iterations in this run

    @property
    def positions(self) -> int:
        return len(self.tokens)

    @property
    def accept(self) -> bool | None:
        """True / False for an accept-reject model, None when the symbols are something else."""
        if self.symbol in ("accept", "reject"):
            return self.symbol == "accept"
        return None

    @property
    def final(self) -> Any:
        return self.steps[-1].residual

    def step_index(self, step: int | str) -> int:
        if isinstance(step, int):
            return step
        for k, s in enumerate(self.steps):
            if s.name == step:
                return k
        raise KeyError(f"no step named {step!r}; steps are {[s.name for s in self.steps]}")

    def column(self, label: str, step: int | str = -1) -> list:
        """The values of coordinate `label` at every position after `step` (default: the last)."""
        return self.backend.column(self.steps[self.step_index(step)].residual, self.labels.index(label))

    def value(self, position: int, label: str, step: int | str = -1) -> Any:
        return self.column(label, step)[position]

    def tie_set(self, step: int | str, head: str, position: int) -> list[int]:
        """T_i of `head` in the attention sublayer `step` (its name, e.g. "block[0].layer1.attention",
        or its index in `steps`)."""
        name = self.steps[step].name if isinstance(step, int) else step
        return self.ties[(name, head)].of(position).tolist()

    def table(self, step: int | str = -1, labels: list[str] | None = None) -> str:
        """A readable table: one row per position, one column per residual label."""
        labels = list(labels or self.labels)
        columns = [[str(x) for x in self.column(label, step)] for label in labels]
        header = ["pos", "token", *labels]
        rows = [[str(i), self.tokens[i], *(col[i] for col in columns)] for i in range(self.positions)]
        widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header))]
        return "\n".join(
            "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in [header, *rows]
        )

    def summary(self) -> dict[str, Any]:
        """The JSON-ready outcome of the run."""
        return {
            "model": self.model_name,
            "backend": self.backend.name,
            "word": self.word,
            "accept": self.accept,
            "symbol": self.symbol,
            "readout": [str(s) for s in self.readout_scores],
            "outputs": dict(self.outputs),
            "positions": self.positions,
            "loops": self.loops,
            "layers_run": self.layers_run,
            "stage_loops": dict(self.stage_loops),
        }
