"""The same model class in PyTorch (float64): `to_module(model)` returns an `nn.Module`.

It runs exactly the schedule of `expressivity.simulator`: embed; for each stage (prefix once, block
r(n) times, suffix once in the three-stage form), r_stage(n) times: set the stage's timestep cells to
psi(t) (rounded to float64), then for each layer every head reads the same residual through its view and the
head outputs are added together, then every FFN reads the result and the FFN outputs are added. A view
is the concatenation of N(h[G]) over the norm groups G, N(x) = (x - mean x) / ||x - mean x|| for "layer"
norm (no centring for "rms"), with no epsilon and N(0) = 0.

Attention is one of:
- "ahat": averaging hard attention. In float64 exact ties cannot be decided, so a FLOAT APPROXIMATION is
  used: the tie set of position i is every visible j with score(i, j) >= m_i - tol * max(1, |m_i|),
  m_i the row maximum, tol = `tie_tolerance`. The exact backend is the reference; this is for speed,
  GPUs and comparison with trained models.
- "softmax": weights softmax(beta * score(i, .)) over the visible positions, beta the inverse
  temperature; as beta grows it approaches AHAT (`expressivity.softmax` measures how fast).

A position with no visible key (the first position under a strict mask) attends to nothing: output 0.

`norm_floor` (default 0: exactly the model's N) reads a group as 0 when ||x - mean x|| <= norm_floor.
The exact constructions use N(0) = 0 as a switch, and N maps a float rounding residue of 1e-16 to a unit
vector; softmax attention, whose weights are not exact fractions, leaves such residues where exact
arithmetic has 0. A small floor (1e-9) is the float stand-in for "exactly zero"; it is an approximation
too, and it is not a LayerNorm epsilon (N stays scale-free above the floor).
Requires the optional extra `torch` (pip install "expressivity[torch]").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import torch
from torch import nn

from expressivity.model import FFN, Head, Layer, Model

ATTENTION = ("ahat", "softmax")
DEFAULT_TIE_TOLERANCE = 1e-9

Observer = Callable[[str, str, torch.Tensor, torch.Tensor], None]
"""Called as observer(step name, head name, attention weights (N x N), values (N x rows)) for every head
application; step names are the simulator's (e.g. "block[2].layer0.attention")."""


def _tensor(rows: Sequence[Sequence[Fraction]], columns: int) -> torch.Tensor:
    return torch.tensor([[float(x) for x in row] for row in rows], dtype=torch.float64).reshape(
        len(rows), columns
    )


def _indices(labels: Sequence[str], index: dict[str, int]) -> torch.Tensor:
    return torch.tensor([index[label] for label in labels], dtype=torch.long)


class _Sublayer(nn.Module):
    """What heads and FFNs share: the view (norm groups) and the write map."""

    def __init__(
        self,
        name: str,
        groups: Sequence[Sequence[str]],
        norm: str,
        writes: Sequence[str],
        index: dict[str, int],
    ) -> None:
        super().__init__()
        self.sublayer_name = name
        self.centre = norm == "layer"
        self.group_count = len(groups)
        for k, group in enumerate(groups):
            self.register_buffer(f"group{k}", _indices(group, index))
        self.register_buffer("writes", _indices(writes, index))

    def view(self, h: torch.Tensor, floor: float = 0.0) -> torch.Tensor:
        """z = the concatenation of N(h[:, G]) over the groups G (0 where ||x - mean x|| <= floor)."""
        parts = []
        for k in range(self.group_count):
            x = h[:, getattr(self, f"group{k}")]
            if self.centre:
                x = x - x.mean(dim=1, keepdim=True)
            norm = torch.sqrt((x * x).sum(dim=1, keepdim=True))
            keep = norm > floor
            parts.append(torch.where(keep, x / torch.where(keep, norm, 1.0), 0.0))
        return torch.cat(parts, dim=1)


class HeadModule(_Sublayer):
    """One head: scores (Q z_i) . (K z_j) over the visible j; output the AHAT mean or the softmax average
    of V z_j."""

    def __init__(self, head: Head, index: dict[str, int]) -> None:
        super().__init__(head.name, head.view.groups, head.view.norm, head.writes, index)
        width = len(head.view.columns)
        self.mask = head.mask
        self.register_buffer("query", _tensor(head.query, width))
        self.register_buffer("key", _tensor(head.key, width))
        self.register_buffer("value", _tensor(head.value, width))

    def visible(self, size: int, device: torch.device) -> torch.Tensor:
        rows = torch.arange(size, device=device)[:, None]
        columns = torch.arange(size, device=device)[None, :]
        if self.mask == "causal":
            return columns <= rows
        if self.mask == "strict":
            return columns < rows
        return torch.ones(size, size, dtype=torch.bool, device=device)

    def attend(
        self, z: torch.Tensor, attention: str, beta: float, tolerance: float
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(output, attention weights N x N, values V z): weights rows sum to 1, or to 0 where nothing
        is visible. AHAT sums the tied values first and divides by the count once, as the float64
        backend does, so means of dyadic values stay exact."""
        visible = self.visible(z.shape[0], z.device)
        values = z @ self.value.T
        scores = (z @ self.query.T) @ (z @ self.key.T).T
        masked = torch.where(visible, scores, -torch.inf)
        best = masked.max(dim=1, keepdim=True).values
        anything = visible.any(dim=1, keepdim=True)
        if attention == "ahat":
            ties = (visible & (scores >= best - tolerance * torch.clamp(best.abs(), min=1.0))).to(z.dtype)
            counts = torch.clamp(ties.sum(dim=1, keepdim=True), min=1)
            return (ties @ values) / counts, ties / counts, values
        shifted = torch.where(visible, beta * (scores - torch.where(anything, best, 0.0)), -torch.inf)
        weights = torch.where(anything, torch.softmax(torch.where(anything, shifted, 0.0), dim=1), 0.0)
        return weights @ values, weights, values


class FFNModule(_Sublayer):
    """delta = W2 ReLU(W1 z + b1) + b2."""

    def __init__(self, ffn: FFN, index: dict[str, int]) -> None:
        super().__init__(ffn.name, ffn.view.groups, ffn.view.norm, ffn.writes, index)
        self.register_buffer("w1", _tensor(ffn.w1, len(ffn.view.columns)))
        self.register_buffer("b1", _tensor([ffn.b1], len(ffn.b1))[0])
        self.register_buffer("w2", _tensor(ffn.w2, len(ffn.w1)))
        self.register_buffer("b2", _tensor([ffn.b2], len(ffn.b2))[0])

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.relu(z @ self.w1.T + self.b1) @ self.w2.T + self.b2


class LayerModule(nn.Module):
    def __init__(self, layer: Layer, index: dict[str, int]) -> None:
        super().__init__()
        self.heads = nn.ModuleList(HeadModule(head, index) for head in layer.heads)
        self.ffns = nn.ModuleList(FFNModule(ffn, index) for ffn in layer.ffns)


@dataclass
class TorchRun:
    """The result of `TransformerModule.run`: final residual (positions x labels), readout and outputs."""

    residual: torch.Tensor
    symbol: str | None
    outputs: dict[str, int] = field(default_factory=dict)

    @property
    def accept(self) -> bool | None:
        return self.symbol == "accept" if self.symbol in ("accept", "reject") else None


class TransformerModule(nn.Module):
    """A `Model` as a float64 torch module; `forward(kinds, loops)` maps token-kind indices to the final
    residual, `run(word)` also does the tokenisation, loop count and readout of the model."""

    def __init__(
        self,
        model: Model,
        attention: str = "ahat",
        beta: float = 1.0,
        tie_tolerance: float = DEFAULT_TIE_TOLERANCE,
        norm_floor: float = 0.0,
    ) -> None:
        super().__init__()
        if attention not in ATTENTION:
            raise ValueError(f"attention must be one of {ATTENTION}, got {attention!r}")
        if not beta > 0:
            raise ValueError(f"the inverse temperature beta must be positive, got {beta!r}")
        for option, value in (("tie tolerance", tie_tolerance), ("norm floor", norm_floor)):
            if not value >= 0:
                raise ValueError(f"the {option} must be non-negative, got {value!r}")
        self.model = model
        self.attention, self.beta, self.tie_tolerance = attention, float(beta), float(tie_tolerance)
        self.norm_floor = float(norm_floor)
        self.observer: Observer | None = None
        index = {label: k for k, label in enumerate(model.labels)}
        zero = Fraction(0)
        embedding = [
            [model.embedding.get(kind, {}).get(label, zero) for label in model.labels] for kind in model.kinds
        ]
        self.register_buffer("embedding", _tensor(embedding, model.width))
        self.register_buffer("unembedding", _tensor(model.unembedding, model.width))
        self.sections = nn.ModuleDict(
            {
                name: nn.ModuleList(LayerModule(layer, index) for layer in layers)
                for name, layers in model.sections()
            }
        )
        self._stages = {stage.name: stage for stage in model.stages}
        self._kind_index = {kind: k for k, kind in enumerate(model.kinds)}
        self._index = index

    def forward(self, kinds: torch.Tensor, loops: int | Mapping[str, int]) -> torch.Tensor:
        """The final residual of the run on token kinds `kinds` (indices into model.kinds): `loops` maps
        each stage name to its iterations; an int is the block's count in the three-stage form."""
        counts = dict(loops) if isinstance(loops, Mapping) else {"prefix": 1, "block": loops, "suffix": 1}
        h = self.embedding[kinds]
        for section, layers in self.sections.items():
            stage = self._stages[section]
            looped = self.model.is_looped(stage)
            for iteration in range(counts[section]):
                if stage.timestep:
                    h = h.clone()
                    for cells in stage.timestep:
                        values = [float(x) for x in cells.values(iteration)]
                        h[:, [self._index[label] for label in cells.labels]] = torch.tensor(
                            values, dtype=h.dtype, device=h.device
                        )
                loop = f"[{iteration}]" if looped else ""
                for number, layer in enumerate(layers):
                    h = self._attention(h, layer, f"{section}{loop}.layer{number}.attention")
                    if len(layer.ffns):
                        updates = [(ffn.writes, ffn(ffn.view(h, self.norm_floor))) for ffn in layer.ffns]
                        h = self._scatter(h, updates)
        return h

    def _attention(self, h: torch.Tensor, layer: LayerModule, step: str) -> torch.Tensor:
        if not len(layer.heads):
            return h
        updates = []
        for head in layer.heads:
            z = head.view(h, self.norm_floor)
            out, weights, values = head.attend(z, self.attention, self.beta, self.tie_tolerance)
            if self.observer is not None:
                self.observer(step, head.sublayer_name, weights, values)
            updates.append((head.writes, out))
        return self._scatter(h, updates)

    @staticmethod
    def _scatter(h: torch.Tensor, updates) -> torch.Tensor:
        out = h.clone()
        for writes, delta in updates:
            out[:, writes] += delta
        return out

    def run(self, word: str) -> TorchRun:
        """Run the model on `word` as `Simulator.run` does (same tokens, loop count and readout)."""
        model = self.model
        tokens = model.tokens(word)
        device = self.embedding.device
        kinds = torch.tensor([self._kind_index[kind] for kind in tokens], dtype=torch.long, device=device)
        with torch.no_grad():
            size = model.size(len(word))
            h = self(kinds, {stage.name: stage.loops(size) for stage in model.stages})
        symbol = None
        if model.unembedding:
            symbol = model.symbols[int(torch.argmax(self.unembedding @ h[-1]))]
        outputs = {}
        for tap in model.outputs:
            position = tap.position if tap.position >= 0 else len(tokens) + tap.position
            outputs[tap.name] = int(h[position, self._index[tap.label]] > 0.5)
        return TorchRun(h, symbol, outputs)


def to_module(
    model: Model,
    attention: str = "ahat",
    beta: float = 1.0,
    tie_tolerance: float = DEFAULT_TIE_TOLERANCE,
    device: str | torch.device = "cpu",
    norm_floor: float = 0.0,
) -> TransformerModule:
    """`model` as a float64 `nn.Module` on `device` ("cpu", "cuda", ...), attention "ahat" (ties within
    `tie_tolerance`, relative to max(1, |row max|)) or "softmax" (inverse temperature `beta`); groups
    with ||x - mean x|| <= `norm_floor` read as 0 (see the module docstring)."""
    return TransformerModule(model, attention, beta, tie_tolerance, norm_floor).to(device)
