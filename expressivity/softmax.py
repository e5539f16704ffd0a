"""The softmax bridge: how cold must softmax attention be to act like the exact AHAT run?

For each input size n we look for the smallest inverse temperature beta at which the softmax run (the
torch module, float64) makes every decision of the exact run on a set of test words:
- the same outputs (accept/reject symbol and every named output bit), and
- at every head application and position i, the softmax average of the values is within `bound` (max
  norm) of the mean over the exact tie set T_i of the same values:
      max_i || sum_j w_ij v_j - (1/|T_i|) sum_{j in T_i} v_j ||_inf <= bound.
The values v are the softmax run's own, so the condition measures only where the attention mass went:
it holds with bound delta once the mass outside T_i is small compared with delta / max |v|.

Search: a geometric doubling from a starting guess (the previous size's answer), then bisection on
log beta down to a relative width of `precision`. This assumes agreement is monotone in beta (a colder
softmax is closer to hard attention), which is what the measurements show but is not proved here.
Very large beta meets float64's own limit: scores that are exactly tied but rounded apart by ~1e-16
get unequal weights once beta * 1e-16 is no longer small, so the search stops at `max_beta`.

Then beta(n) is fitted as c * n^a by least squares on log beta against log n.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.figure import Figure

from expressivity.model import Model
from expressivity.simulator import Simulator
from expressivity.torch_module import TransformerModule, to_module
from expressivity.verification import words_of_size

DEFAULT_BOUND = 1e-3
MAX_BETA = 2.0**44
MIN_BETA = 2.0**-20


@dataclass(frozen=True)
class Reference:
    """One test word with its exact decisions and, per (step, head), the N x N averaging matrix of its
    exact tie sets (row i is 1/|T_i| on T_i, 0 elsewhere)."""

    word: str
    symbol: str | None
    outputs: dict[str, int]
    ties: dict[tuple[str, str], torch.Tensor]


@dataclass(frozen=True)
class BetaPoint:
    """The smallest betas found at one size (None when even `max_beta` did not agree, 0.0 when every beta
    agrees): `beta` for every decision (outputs and tie-set means), `outputs_beta` for the outputs alone."""

    size: int
    positions: int
    words: int
    beta: float | None
    outputs_beta: float | None


@dataclass(frozen=True)
class BridgeResult:
    """beta against n for one model, with the power-law fit beta ~ constant * n^exponent over all sizes
    n >= 2, the exponent fitted on the upper half of the sizes alone (the trend at large n), and the
    exponent against the number of positions N (which lets models with different padding be compared)."""

    model_name: str
    bound: float
    points: tuple[BetaPoint, ...]
    exponent: float | None
    constant: float | None
    tail_exponent: float | None
    positions_exponent: float | None

    def table(self) -> str:
        lines = [
            f"softmax bridge: {self.model_name} (tie-set means within {self.bound:g})",
            "n  N  words  beta(all decisions)  beta(outputs only)",
        ]
        for p in self.points:
            shown = [_shown(b) for b in (p.beta, p.outputs_beta)]
            lines.append(f"{p.size}  {p.positions}  {p.words}  {shown[0]}  {shown[1]}")
        if self.exponent is not None:
            lines.append(f"fit: beta ~ {self.constant:.3g} * n^{self.exponent:.2f}")
        if self.tail_exponent is not None:
            lines.append(f"exponent on the upper half of the sizes: {self.tail_exponent:.2f}")
        if self.positions_exponent is not None:
            lines.append(f"against the number of positions N: beta ~ N^{self.positions_exponent:.2f}")
        return "\n".join(lines)


def _shown(beta: float | None) -> str:
    return "not reached" if beta is None else "any" if beta == 0 else f"{beta:.4g}"


def reference(simulator: Simulator, word: str) -> Reference:
    """The exact run on `word`: its outputs, and each head's tie sets as an averaging matrix."""
    trace = simulator.run(word, record=False)
    ties = {}
    for key, tie_sets in trace.ties.items():
        matrix = torch.zeros(tie_sets.size, tie_sets.size, dtype=torch.float64)
        for i in range(tie_sets.size):
            members = tie_sets.of(i)
            if len(members):
                matrix[i, torch.as_tensor(members)] = 1.0 / len(members)
        ties[key] = matrix
    return Reference(word, trace.symbol, dict(trace.outputs), ties)


def deviation(module: TransformerModule, reference: Reference, beta: float) -> tuple[bool, float]:
    """(same outputs as exact, the largest tie-set mean deviation) of the softmax `module` run at `beta`."""
    module.beta = beta
    worst = [0.0]

    def observe(step: str, head: str, weights: torch.Tensor, values: torch.Tensor) -> None:
        gap = (weights - reference.ties[(step, head)]) @ values
        worst[0] = max(worst[0], float(gap.abs().max()) if gap.numel() else 0.0)

    module.observer = observe
    run = module.run(reference.word)
    return (run.symbol, run.outputs) == (reference.symbol, reference.outputs), worst[0]


def agreement(
    model: Model, references: Sequence[Reference], bound: float, norm_floor: float = 0.0
) -> Callable[[float], bool]:
    """beta -> whether the softmax run at beta makes every decision of every reference (tie-set means
    within `bound`; bound = inf checks the outputs alone)."""

    module = to_module(model, "softmax", norm_floor=norm_floor)

    def agrees(beta: float) -> bool:
        for reference in references:
            same, worst = deviation(module, reference, beta)
            if not same or worst > bound:
                return False
        return True

    return agrees


def smallest_beta(
    agrees: Callable[[float], bool],
    start: float = 1.0,
    precision: float = 0.02,
    max_beta: float = MAX_BETA,
    min_beta: float = MIN_BETA,
) -> float | None:
    """The smallest beta (to relative `precision`) with agrees(beta), assuming agreement is monotone:
    doubling (or halving) from `start`, then bisection on log beta. None if `max_beta` does not agree;
    0.0 if every beta down to `min_beta` agrees (the outcome does not depend on the temperature)."""
    low, high = None, None
    beta = start
    if agrees(beta):
        high = beta
        while low is None:
            beta /= 2
            if beta < min_beta:
                return 0.0
            if agrees(beta):
                high = beta
            else:
                low = beta
    else:
        low = beta
        while high is None:
            beta *= 2
            if beta > max_beta:
                return None
            if agrees(beta):
                high = beta
            else:
                low = beta
    while high / low > 1 + precision:
        middle = math.sqrt(low * high)
        if agrees(middle):
            high = middle
        else:
            low = middle
    return high


def fit_power_law(points: Sequence[BetaPoint], against: str = "size") -> tuple[float | None, float | None]:
    """(exponent a, constant c) of beta ~ c * x^a by least squares on logs, x the input size n
    (`against="size"`, sizes n >= 2) or the number of positions N (`against="positions"`); only points
    with a positive beta count."""
    usable = [(getattr(p, against), p.beta) for p in points if p.beta and p.size >= 2]
    if len(usable) < 2:
        return None, None
    x = np.log([n for n, _ in usable])
    y = np.log([b for _, b in usable])
    exponent, intercept = np.polyfit(x, y, 1)
    return float(exponent), float(math.exp(intercept))


def bridge(
    model: Model,
    max_n: int,
    min_n: int = 1,
    words: int = 4,
    bound: float = DEFAULT_BOUND,
    seed: int = 0,
    norm_floor: float = 0.0,
) -> BridgeResult:
    """beta(n) for n = min_n .. max_n (input length, or vertex count for connectivity) on `words` random
    test words per size, and its power-law fit. `norm_floor` is the torch module's (0: exact N)."""
    if min_n < 1 or max_n < min_n:
        raise ValueError(f"need 1 <= min_n <= max_n, got min_n={min_n}, max_n={max_n}")
    if not bound > 0:
        raise ValueError(f"the tie-set mean bound must be positive, got {bound!r}")
    simulator = Simulator(model)
    points = []
    start = 1.0
    for size in range(min_n, max_n + 1):
        test_words = list(dict.fromkeys(words_of_size(model, size, words, seed=seed + size)))
        references = [reference(simulator, word) for word in test_words]
        beta = smallest_beta(agreement(model, references, bound, norm_floor), start=start)
        outputs_only = agreement(model, references, math.inf, norm_floor)
        outputs_beta = smallest_beta(outputs_only, start=beta or start)
        positions = len(model.tokens(test_words[0]))
        points.append(BetaPoint(size, positions, len(test_words), beta, outputs_beta))
        if beta:
            start = beta
    exponent, constant = fit_power_law(points)
    tail_exponent, _ = fit_power_law([p for p in points if 2 * p.size >= max_n])
    positions_exponent, _ = fit_power_law(points, "positions")
    return BridgeResult(
        model.name, bound, tuple(points), exponent, constant, tail_exponent, positions_exponent
    )


def bridge_figure(result: BridgeResult) -> Figure:
    """beta against n on log-log axes, with the fitted power law dashed."""
    figure = Figure(figsize=(6.5, 4.5), dpi=100, layout="constrained")
    ax = figure.add_subplot(1, 1, 1)
    found = [p for p in result.points if p.beta]
    ax.plot([p.size for p in found], [p.beta for p in found], marker="o", label="smallest beta (measured)")
    if result.exponent is not None:
        sizes = np.linspace(max(2, found[0].size), found[-1].size, 50)
        fitted = result.constant * sizes**result.exponent
        ax.plot(sizes, fitted, linestyle="--", label=f"fit {result.constant:.3g} n^{result.exponent:.2f}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("input size n")
    ax.set_ylabel("inverse temperature beta")
    ax.set_title(f"softmax acts like AHAT: {result.model_name}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return figure
