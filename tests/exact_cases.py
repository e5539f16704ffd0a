"""The reproducers of the exact backend's hard cases, as small hand-made models (shared by the
regression tests and benchmarks/exact_backend.py). Each docstring says what the exact answer is."""

from __future__ import annotations

from fractions import Fraction
from math import isqrt

from expressivity import FFN, Head, Layer, LoopCount, Model, View


def identity_ffn(name: str, view: View, writes: list[str], weights: list[list]) -> FFN:
    """Writes the rows of `weights` applied to the view (each row's value must be >= 0: one ReLU each)."""
    size = len(weights)
    return FFN(
        name, view, w1=weights, w2=[[int(r == c) for c in range(size)] for r in range(size)], writes=writes
    )


def radical_cells_model(a: int, b: int) -> Model:
    """u = a + b sqrt 2 and v = 0 (sqrt 2 = 2 * (1/sqrt 2) from the rms group (1, 1)); a second FFN
    reads the layer-norm group (u, v), whose squared norm u^2/2 = (a^2 + 2 b^2 + 2 a b sqrt 2)/2 is
    irrational for a, b != 0: the run must stop with the nested-radical error."""
    labels = ["p", "q", "one", "u", "v", "out"]
    embedding = {kind: {"p": 1, "q": 1, "one": 1} for kind in ("BOS", "a")}
    make = identity_ffn("make", View([["p", "q"], ["one"]], norm="rms"), ["u"], [[2 * b, 0, a]])
    read = identity_ffn("read", View([["u", "v"]], norm="layer"), ["out"], [[1, 0]])
    return Model(
        alphabet="a", labels=labels, embedding=embedding, prefix=[Layer(ffns=[make]), Layer(ffns=[read])]
    )


def cancelling_cross_terms_model(a: int) -> Model:
    """Cells (x, y, -x, -y) with x = a + a sqrt 6 and y = a sqrt 2 - a sqrt 3, from rms groups of 2, 3
    and 6 ones (each entry 1/sqrt k). The layer-norm group's squared norm is 2 (x^2 + y^2) = 24 a^2:
    the sqrt 6 cross terms cancel, so the run is valid and out_c = cell_c / (2 sqrt 6 a)."""
    twos, threes, sixes = (
        [f"t2_{k}" for k in range(2)],
        [f"t3_{k}" for k in range(3)],
        [f"t6_{k}" for k in range(6)],
    )
    cells = ["x", "y", "-x", "-y"]
    outs = ["out_" + c for c in cells]
    labels = [*twos, *threes, *sixes, "one", *cells, *outs]
    embedding = {kind: {label: 1 for label in [*twos, *threes, *sixes, "one"]} for kind in ("BOS", "a")}
    view = View([twos, threes, sixes, ["one"]], norm="rms")
    width = len(view.columns)

    def row(one=0, sqrt2=0, sqrt3=0, sqrt6=0) -> list:
        out = [0] * width
        out[0], out[2], out[5], out[-1] = 2 * sqrt2, 3 * sqrt3, 6 * sqrt6, one
        return out

    # one hidden unit per positive term, so every ReLU input is >= 0
    w1 = [row(one=a), row(sqrt6=a), row(sqrt2=a), row(sqrt3=a)]
    w2 = [[1, 1, 0, 0], [0, 0, 1, -1], [-1, -1, 0, 0], [0, 0, -1, 1]]
    make = FFN("make", view, w1=w1, w2=w2, writes=cells)
    read = identity_ffn("read", View([cells], norm="layer"), outs[:2], [[1, 0, 0, 0], [0, 1, 0, 0]])
    read_neg = FFN(
        "read-neg",
        View([cells], norm="layer"),
        w1=[[0, 0, 1, 0], [0, 0, 0, 1]],
        w2=[[1, 0], [0, 1]],
        writes=outs[2:],
    )
    return Model(
        alphabet="a",
        labels=labels,
        embedding=embedding,
        prefix=[Layer(ffns=[make]), Layer(ffns=[read, read_neg])],
    )


def tiny_term_constants(p: int, digits: int) -> tuple[Fraction, Fraction]:
    """(c_below, c_above): rationals with c_below < 1/sqrt(p^2 + 1) < c_above, 10^-digits apart."""
    below = isqrt(10 ** (2 * digits) // (p * p + 1))
    return Fraction(below, 10**digits), Fraction(below + 1, 10**digits)


def tiny_term_model(weight: Fraction, p: int, c: Fraction) -> Model:
    """x = weight * (1/sqrt(p^2 + 1) - c) at the token a (0 at BOS and b): with weight near 10^-262 and
    p near 10^30, the float shadow of weight/sqrt(p^2+1) is the subnormal weight/(p^2+1) times
    sqrt(p^2+1) ~ 10^30, so its absolute rounding error (up to 2^-1075 * 10^30) dwarfs x.

    An FFN writes relu = max(0, x); a causal head at every position scores q . k_j = x_j (query 1 at a,
    keys x at a, 0 elsewhere) and writes the mean of its values `marker` (= position of a) into seen."""
    labels = ["P", "Q", "one", "marker", "relu", "seen"]
    embedding = {"a": {"P": p, "Q": 1, "one": 1, "marker": 1}}
    view = View([["P", "Q"], ["one"]], norm="rms")
    relu = FFN("relu", view, w1=[[0, weight, -weight * c]], w2=[[1]], writes=["relu"])
    head = Head(
        "pick",
        View([["P", "Q"], ["one"], ["marker"]], norm="rms"),
        query=[[0, 0, 1, 0]],
        key=[[0, weight, -weight * c, 0]],
        value=[[0, 0, 0, 1]],
        writes=["seen"],
    )
    return Model(alphabet="ab", labels=labels, embedding=embedding, prefix=[Layer(heads=[head], ffns=[relu])])


def near_tie_model(scale: Fraction = Fraction(1, 10**20)) -> Model:
    """Scores s_ij = 1 + scale * (j+1)/sqrt((j+1)^2 + 1) at every row i: increasing in j, all 1.0 in
    float64, so under the causal mask the tie set of row i is exactly [i]. A uniform head gives
    inv = 1/(j+1); the rms group (inv, 1) is (1, j+1)/sqrt(1 + (j+1)^2)."""
    labels = ["bos", "one", "unit", "inv", "out"]
    embedding = {kind: {"bos": int(kind == "BOS"), "one": 1, "unit": 1} for kind in ("BOS", "a")}
    count = Head("count", View([["bos"]], norm="rms"), query=[[0]], key=[[0]], value=[[1]], writes=["inv"])
    tie = Head(
        "near-tie",
        View([["inv", "one"], ["unit"]], norm="rms"),
        query=[[0, 0, 1]],
        key=[[0, scale, 1]],
        value=[[0, 0, 1]],
        writes=["out"],
    )
    return Model(
        alphabet="a", labels=labels, embedding=embedding, prefix=[Layer(heads=[count]), Layer(heads=[tie])]
    )


def root_sum_model(loops: int) -> Model:
    """A 2-position loop: iteration t (t = 0 .. loops-1) adds 1/sqrt(1 + t^2) to acc (the second entry
    of the rms group (t, 1)) and 1 to t. After the loop acc = sum_t 1/sqrt(1 + t^2) at both positions."""
    labels = ["t", "one", "acc"]
    embedding = {kind: {"one": 1} for kind in ("BOS", "a")}
    step = FFN("step", View([["one"]], norm="rms"), w1=[[1]], w2=[[1]], writes=["t"])
    add = FFN("add", View([["t", "one"]], norm="rms"), w1=[[0, 1]], w2=[[1]], writes=["acc"])
    return Model(
        alphabet="a",
        labels=labels,
        embedding=embedding,
        block=[Layer(ffns=[step, add])],
        loops=LoopCount(value=loops),
    )


def big_norm_model(p: Fraction) -> Model:
    """The rms group (p, 1) normalised: out = 1/sqrt(p^2 + 1) (for p = 10^85 + 1 the squared norm has 171
    digits; for p = 10^-60 it is (10^120 + 1)/10^120)."""
    labels = ["P", "one", "out"]
    embedding = {kind: {"P": p, "one": 1} for kind in ("BOS", "a")}
    read = identity_ffn("read", View([["P", "one"]], norm="rms"), ["out"], [[0, 1]])
    return Model(alphabet="a", labels=labels, embedding=embedding, prefix=[Layer(ffns=[read])])
