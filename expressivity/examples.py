"""Hand-built models that show the core at work (used by `expressivity demo` and the benchmark).

Conventions: a signed indicator is stored as a cell pair (x, -x); a layer-norm group over the pair
reads (sign x, -sign x)/sqrt 2, or 0 when x = 0. So a uniform causal head whose value is the first
coordinate returns (1/sqrt 2) * (sum_{j<=i} sign x_j) / (i + 1): a count divided by the position,
up to the common factor 1/sqrt 2 that later norm groups ignore (N is scale invariant).
"""

from __future__ import annotations

from fractions import Fraction

from expressivity.model import FFN, Head, Layer, Model, View


def _uniform_count(name: str, cell: str, target: str) -> Head:
    """G1: a uniform causal head writing (mean of sign cell, its negation) into (target, -target)."""
    view = View([[cell, f"-{cell}"]])
    return Head(
        name,
        view,
        query=[[0, 0]],
        key=[[0, 0]],
        value=[[1, 0], [0, 1]],
        writes=[target, f"-{target}"],
        mask="causal",
    )


def majority_model() -> Model:
    """MAJORITY over {0,1}: accept iff more than half of the n symbols are 1.

    One uniform causal head gives m = (#1 - #0) / ((n + 1) sqrt 2) at the last position; an FFN reads
    the sign of m through the norm group (m, -m) and writes sqrt(2) * ReLU(sign(m)/sqrt 2) into `vote`;
    the unembedding compares `vote` with 1/2. Positions n + 1 and 1/sqrt 2 are both positive, so the
    decision is exactly [#1 > #0] = [#1 > n/2].
    """
    labels = ["const", "x", "-x", "m", "-m", "vote"]
    embedding = {
        "BOS": {"const": 1},
        "1": {"const": 1, "x": 1, "-x": -1},
        "0": {"const": 1, "x": -1, "-x": 1},
        "PAD": {"const": 1},
    }
    count = _uniform_count("count", "x", "m")
    sign = FFN("sign", View([["m", "-m"]]), w1=[[2, 0]], w2=[[1]], writes=["vote"])
    return Model(
        alphabet="01",
        labels=labels,
        embedding=embedding,
        prefix=[Layer(heads=[count], ffns=[sign])],
        unembedding=[{"const": Fraction(1, 2)}, {"vote": 1}],
        name="majority",
        metadata={"description": "MAJORITY by one uniform head and a sign cell"},
    )


def count_hash_retrieve_model() -> Model:
    """Counts, hashes and retrieves over {0,1}.

    Layer 0 (G1): uniform causal heads give c_i / (i+1) and 1 / (i+1) (each times 1/sqrt 2), where c_i
    is the number of 1s in positions <= i. The norm group (c/i, 1/i, -c/i, -1/i) then reads the
    layer-norm hash phi(c_i) = (c, 1, -c, -1) / sqrt(2c^2 + 2) (G3).
    Layer 1: a head with query phi(c_i) and key phi(c_j) attends exactly to the positions j <= i with
    c_j = c_i (phi(a).phi(b) = 1 iff a = b), and averages the signed "is a 0" indicator over them into
    `share`. At the last position that tie set holds a 0 exactly when the word ends in 0 (if it ends
    in 1, position n is the first to reach its count), so the model accepts the words ending in 0 --
    the hard way, which is the point: it exercises counting, hashing and exact retrieval at every
    position, and float64 can already miss ties of the hash there.
    """
    labels = ["const", "bos", "-bos", "x", "-x", "z", "-z", "c", "-c", "inv", "-inv", "share", "-share"]
    embedding = {
        "BOS": {"const": 1, "bos": 1, "-bos": -1},
        "1": {"const": 1, "x": 1, "-x": -1},
        "0": {"const": 1, "z": 1, "-z": -1},
        "PAD": {"const": 1},
    }
    layer0 = Layer(heads=[_uniform_count("count_ones", "x", "c"), _uniform_count("inverse", "bos", "inv")])
    hash_group = ["c", "inv", "-c", "-inv"]
    retrieve = Head(
        "retrieve",
        View([hash_group, ["z", "-z"]]),
        query=[{label: 1} for label in hash_group],
        key=[{label: 1} for label in hash_group],
        value=[{"z": 1}, {"-z": 1}],
        writes=["share", "-share"],
        mask="causal",
    )
    return Model(
        alphabet="01",
        labels=labels,
        embedding=embedding,
        prefix=[layer0, Layer(heads=[retrieve])],
        unembedding=[{"const": 0}, {"share": 1}],
        name="count-hash-retrieve",
        metadata={"description": "prefix counts, their layer-norm hash, and retrieval by hash equality"},
    )
