"""Hand-built models whose answers are worked out by hand: the expected values are literals or plain
formulas (Fraction(c, i + 1), c / sqrt(2c^2 + 2), ...), compared exactly through sympy."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st
from test_core_bruteforce import sqrt_number_to_sympy

from expressivity import FFN, Head, Layer, LoopCount, Model, Padding, View, run
from expressivity.backends import SimulationError
from expressivity.examples import count_hash_retrieve_model, majority_model


def exactly(value, expected) -> bool:
    """The core's SqrtNumber equals the sympy / Fraction / int `expected`, exactly."""
    if isinstance(expected, Fraction):
        expected = sp.Rational(expected.numerator, expected.denominator)
    return sp.expand(sqrt_number_to_sympy(value) - expected) == 0


def prefix_counts(word: str, symbol: str) -> list[int]:
    """c_i = number of `symbol` among w_1..w_i, for positions i = 0 (BOS) .. n."""
    return [word[:i].count(symbol) for i in range(len(word) + 1)]


def one(cell: str) -> View:
    """A one-cell rms group reads sign(x): 1 for an indicator that is set, 0 otherwise (rational)."""
    return View([[cell]], norm="rms")


def copy_ffn(name: str, view: View, writes: list[str]) -> FFN:
    """Writes the view itself: z = ReLU(z) - ReLU(-z), coordinate by coordinate."""
    width = len(view.columns)
    w1 = [[(1 if c == k else 0) * s for c in range(width)] for k in range(width) for s in (1, -1)]
    w2 = [
        [(1 if h == 2 * k else -1 if h == 2 * k + 1 else 0) for h in range(2 * width)] for k in range(width)
    ]
    return FFN(name, view, w1=w1, w2=w2, writes=writes)


def uniform_head(name: str, view: View, value: list, writes: list[str], mask: str = "causal") -> Head:
    width = len(view.columns)
    return Head(name, view, query=[[0] * width], key=[[0] * width], value=value, writes=writes, mask=mask)


# ---------------------------------------------------------------------------------------------------
# G1: uniform means and counts.


def counting_model() -> Model:
    """Uniform causal heads over one-cell rms views (which read indicators exactly as 0 or 1) give
    1/(i+1) from the BOS indicator and c/(i+1) from the indicator of 1; the same heads over the pair
    (x, -x) of examples.py give the same numbers times 1/sqrt 2."""
    labels = ["bos", "one", "-one", "inv", "cnt", "inv2", "-inv2", "cnt2", "-cnt2", "bos-pair", "-bos-pair"]
    embedding = {
        "BOS": {"bos": 1, "bos-pair": 1, "-bos-pair": -1},
        "1": {"one": 1, "-one": -1},
    }
    heads = [
        uniform_head("inverse", one("bos"), [[1]], ["inv"]),
        uniform_head("count", one("one"), [[1]], ["cnt"]),
        uniform_head("inverse-pair", View([["bos-pair", "-bos-pair"]]), [[1, 0], [0, 1]], ["inv2", "-inv2"]),
        uniform_head("count-pair", View([["one", "-one"]]), [[1, 0], [0, 1]], ["cnt2", "-cnt2"]),
    ]
    return Model(alphabet="01", labels=labels, embedding=embedding, prefix=[Layer(heads)])


@pytest.mark.parametrize("word", ["", "1", "0110", "1011101"])
def test_uniform_causal_heads_give_inverse_position_and_prefix_count(word):
    trace = run(counting_model(), word)
    counts = prefix_counts(word, "1")
    for i in range(len(word) + 1):
        assert exactly(trace.value(i, "inv"), Fraction(1, i + 1))
        assert exactly(trace.value(i, "cnt"), Fraction(counts[i], i + 1))
        assert exactly(trace.value(i, "inv2"), sp.Rational(1, i + 1) / sp.sqrt(2))
        assert exactly(trace.value(i, "-inv2"), -sp.Rational(1, i + 1) / sp.sqrt(2))
        assert exactly(trace.value(i, "cnt2"), sp.Rational(counts[i], i + 1) / sp.sqrt(2))
        assert trace.tie_set("prefix.layer0.attention", "count", i) == list(range(i + 1))


@given(st.text("01", max_size=14))
def test_majority_cell_and_verdict(word):
    """examples.majority_model: m_i = (#1 - #0 among w_1..w_i) / ((i+1) sqrt 2); accept iff #1 > #0."""
    trace = run(majority_model(), word)
    ones, zeros = prefix_counts(word, "1"), prefix_counts(word, "0")
    for i in range(len(word) + 1):
        assert exactly(trace.value(i, "m"), sp.Rational(ones[i] - zeros[i], i + 1) / sp.sqrt(2))
    assert trace.accept == (2 * word.count("1") > len(word))


# ---------------------------------------------------------------------------------------------------
# G3: the layer-norm hash and retrieval by exact equality.


def hash_model() -> Model:
    """Cells (c/(i+1), 1/(i+1), -c/(i+1), -1/(i+1)) as one layer-norm group read phi(c) =
    (c, 1, -c, -1)/sqrt(2c^2 + 2); `phi0..phi3` receive a copy of that view; a head with query = key =
    phi attends to exactly the positions j <= i with c_j = c_i."""
    labels = ["bos", "one", "c", "inv", "-c", "-inv", "phi0", "phi1", "phi2", "phi3", "got"]
    embedding = {"BOS": {"bos": 1}, "1": {"one": 1}}
    layer0 = Layer(
        [
            uniform_head("c", one("one"), [[1], [-1]], ["c", "-c"]),
            uniform_head("inv", one("bos"), [[1], [-1]], ["inv", "-inv"]),
        ]
    )
    group = ["c", "inv", "-c", "-inv"]
    phi = View([group])
    retrieve = Head(
        "retrieve",
        View([group, ["one"]], norm="layer"),
        query=[{x: 1} for x in group],
        key=[{x: 1} for x in group],
        value=[{"c": 1}],
        writes=["got"],
    )
    layer1 = Layer([retrieve], [copy_ffn("copy-phi", phi, ["phi0", "phi1", "phi2", "phi3"])])
    return Model(alphabet="01", labels=labels, embedding=embedding, prefix=[layer0, layer1])


@pytest.mark.parametrize("word", ["0", "11", "0110100", "111"])
def test_hash_view_is_phi_of_the_count(word):
    trace = run(hash_model(), word)
    for i, c in enumerate(prefix_counts(word, "1")):
        scale = sp.sqrt(2 * c * c + 2)
        expected = [c / scale, 1 / scale, -c / scale, -1 / scale]
        for k in range(4):
            assert exactly(trace.value(i, f"phi{k}"), expected[k]), (i, k)


def test_hash_retrieval_named_example():
    # "0110100": counts at positions 0..7 are 0 0 1 2 2 3 3 3.
    trace = run(hash_model(), "0110100")
    ties = [trace.tie_set("prefix.layer1.attention", "retrieve", i) for i in range(8)]
    assert ties == [[0], [0, 1], [2], [3], [3, 4], [5], [5, 6], [5, 6, 7]]


@given(st.text("01", max_size=10))
def test_hash_retrieval_ties_are_the_positions_with_the_same_count(word):
    trace = run(hash_model(), word)
    counts = prefix_counts(word, "1")
    for i in range(len(word) + 1):
        expected = [j for j in range(i + 1) if counts[j] == counts[i]]
        assert trace.tie_set("prefix.layer1.attention", "retrieve", i) == expected


def test_count_hash_retrieve_example_accepts_words_ending_in_zero():
    model = count_hash_retrieve_model()
    for word in ["", "0", "1", "10", "01", "1100", "0111", "101010", "0000001"]:
        assert run(model, word).accept == word.endswith("0"), word


# ---------------------------------------------------------------------------------------------------
# Averaging over a tie set, and the three masks.

# Pythagorean pairs: a two-cell rms group over (p, q) reads (p, q)/sqrt(p^2 + q^2), rational here.
PAIRS = {"a": (3, 4), "b": (5, 12), "c": (8, 15)}
FIRST = {"a": Fraction(3, 5), "b": Fraction(5, 13), "c": Fraction(8, 17)}


def selection_model(mask: str, uniform: bool = False) -> Model:
    """Every input symbol has sel = 1 and a value pair; a head with score = sel_j (query on the constant
    cell, key on sel) ties over the input positions and averages the first coordinate of the pair.
    Padding t(n) = n."""
    labels = ["const", "sel", "p", "q", "out"]
    embedding = {kind: {"const": 1} for kind in ("BOS", "PAD")}
    for symbol, (p, q) in PAIRS.items():
        embedding[symbol] = {"const": 1, "sel": 1, "p": p, "q": q}
    view = View([["const"], ["sel"], ["p", "q"]], norm="rms")
    query = [[0, 0, 0, 0]] if uniform else [[1, 0, 0, 0]]
    head = Head(
        "pick", view, query=query, key=[[0, 1, 0, 0]], value=[[0, 0, 1, 0]], writes=["out"], mask=mask
    )
    return Model(
        alphabet="abc", labels=labels, embedding=embedding, prefix=[Layer([head])], padding=Padding([0, 1])
    )


def test_tie_over_three_positions_averages_three_values():
    trace = run(selection_model("unmasked"), "abc")
    # positions: 0 BOS, 1 a, 2 b, 3 c, 4-6 PAD; the input positions tie with score 1.
    for i in range(7):
        assert trace.tie_set("prefix.layer0.attention", "pick", i) == [1, 2, 3]
        assert exactly(trace.value(i, "out"), (Fraction(3, 5) + Fraction(5, 13) + Fraction(8, 17)) / 3)


def test_the_three_masks_differ_on_one_example():
    word = "acb"  # positions 0 BOS, 1 a, 2 c, 3 b, 4 5 6 PAD
    outs = {mask: run(selection_model(mask), word) for mask in ("causal", "strict", "unmasked")}
    key = ("prefix.layer0.attention", "pick")
    # At position 2: causal sees {0, 1, 2}, best score 1 at {1, 2}; strict sees {0, 1}: {1};
    # unmasked sees everything: {1, 2, 3}.
    assert outs["causal"].ties[key].of(2).tolist() == [1, 2]
    assert outs["strict"].ties[key].of(2).tolist() == [1]
    assert outs["unmasked"].ties[key].of(2).tolist() == [1, 2, 3]
    assert exactly(outs["causal"].value(2, "out"), (FIRST["a"] + FIRST["c"]) / 2)
    assert exactly(outs["strict"].value(2, "out"), FIRST["a"])
    assert exactly(outs["unmasked"].value(2, "out"), (FIRST["a"] + FIRST["c"] + FIRST["b"]) / 3)
    # Before any input (position 0): causal ties on BOS alone (score 0), strict sees nothing -> 0.
    assert outs["causal"].ties[key].of(0).tolist() == [0]
    assert outs["strict"].ties[key].of(0).tolist() == []
    assert exactly(outs["strict"].value(0, "out"), 0)
    # On PAD positions (score 0) the causal and strict heads still find the inputs before them.
    assert outs["strict"].ties[key].of(6).tolist() == [1, 2, 3]


@pytest.mark.parametrize(
    ("mask", "expected"),
    [
        # word "ab" + 2 PAD: sel*first = 0, 3/5, 5/13, 0, 0 at positions 0..4; uniform means of that.
        ("causal", [Fraction(0), Fraction(3, 10), Fraction(3, 5) / 3 + Fraction(5, 13) / 3]),
        ("strict", [Fraction(0), Fraction(0), Fraction(3, 10)]),
        ("unmasked", [(Fraction(3, 5) + Fraction(5, 13)) / 5] * 3),
    ],
)
def test_uniform_head_means_over_the_visible_set(mask, expected):
    trace = run(selection_model(mask, uniform=True), "ab")
    for i, value in enumerate(expected):
        assert exactly(trace.value(i, "out"), value), (mask, i)


# ---------------------------------------------------------------------------------------------------
# Loops.


def counter_model(loops: LoopCount) -> Model:
    """A two-layer block: layer 0's FFN adds 1 to `count` (bias only), layer 1's adds 2 to `double` and
    a uniform causal head adds 1/(i+1) to `share` (the mean of the BOS indicator)."""
    labels = ["bos", "count", "double", "share"]
    zero_view = one("count")
    inc = FFN("inc", zero_view, w1=[[0]], b1=[1], w2=[[1]], writes=["count"])
    inc2 = FFN("inc2", zero_view, w1=[[0]], b1=[1], w2=[[2]], writes=["double"])
    share = uniform_head("share", one("bos"), [[1]], ["share"])
    return Model(
        alphabet="x",
        labels=labels,
        embedding={"BOS": {"bos": 1}},
        block=[Layer(ffns=[inc]), Layer([share], [inc2])],
        loops=loops,
    )


# r(n) by hand: ceil(log2 n) for n = 1..9 is 0 1 2 2 3 3 3 3 4.
CEIL_LOG2 = {1: 0, 2: 1, 3: 2, 4: 2, 5: 3, 6: 3, 7: 3, 8: 3, 9: 4}


@pytest.mark.parametrize(
    ("loops", "expected"),
    [
        (LoopCount(value=3), dict.fromkeys(CEIL_LOG2, 3)),
        (LoopCount(value=0, coefficient=1, power=1), CEIL_LOG2),
        (LoopCount(value=1, coefficient=2, power=2), {n: 1 + 2 * c * c for n, c in CEIL_LOG2.items()}),
    ],
)
def test_block_runs_r_of_n_times(loops, expected):
    model = counter_model(loops)
    for n, r in expected.items():
        trace = run(model, "x" * n)
        assert trace.loops == r
        assert trace.layers_run == 2 * r
        for i in range(n + 1):
            assert exactly(trace.value(i, "count"), r)
            assert exactly(trace.value(i, "double"), 2 * r)
            assert exactly(trace.value(i, "share"), Fraction(r, i + 1))
        names = [step.name for step in trace.steps]
        assert names == ["embed.layer0.embedding"] + [
            f"block[{k}].{part}"
            for k in range(r)
            for part in ("layer0.ffn", "layer1.attention", "layer1.ffn")
        ]


# ---------------------------------------------------------------------------------------------------
# Scratch hygiene and the nested-radical stop.


def hygiene_model(clean: bool) -> Model:
    """Layer 0 adds 1 to `count`. Layer 1 reads sign(count - 1) (group (count, one)) and the indicator
    of b (group (isb, -isb)) and writes ReLU(z_count + z_b - 1) into the scratch cell `s`: that is
    sqrt 2 - 1 at the b positions from iteration 1 on (count >= 2 there), 0 elsewhere. With `clean`,
    layer 2 writes the negation, so `s` is 0 after every iteration."""
    labels = ["one", "count", "isb", "-isb", "s"]
    embedding = {kind: {"one": 1} for kind in ("BOS", "a", "PAD")} | {"b": {"one": 1, "isb": 1, "-isb": -1}}
    inc = FFN("inc", one("one"), w1=[[0]], b1=[1], w2=[[1]], writes=["count"])
    view = View([["count", "one"], ["isb", "-isb"]])
    dirty = FFN("dirty", view, w1=[[1, 0, 1, 0]], b1=[-1], w2=[[1]], writes=["s"])
    layers = [Layer(ffns=[inc]), Layer(ffns=[dirty])]
    if clean:
        layers.append(Layer(ffns=[FFN("clean", view, w1=[[1, 0, 1, 0]], b1=[-1], w2=[[-1]], writes=["s"])]))
    return Model(
        alphabet="ab",
        labels=labels,
        embedding=embedding,
        block=layers,
        loops=LoopCount(value=3),
        scratch=["s"],
    )


def test_dirty_scratch_cell_stops_the_run_naming_cell_position_and_iteration():
    with pytest.raises(SimulationError) as caught:
        run(hygiene_model(clean=False), "aab")
    message = str(caught.value)
    assert "'s'" in message
    assert re.search(r"\bposition 3\b", message), message
    assert re.search(r"\biteration 1\b", message), message
    assert "sqrt(2)" in message  # the dirty value sqrt 2 - 1 is shown


def test_dirty_scratch_is_really_dirty_and_the_clean_model_is_clean():
    unchecked = run(hygiene_model(clean=False), "aab", check_scratch=False)
    for i, symbol in enumerate("^aab"):
        assert exactly(unchecked.value(i, "s"), 2 * (sp.sqrt(2) - 1) if symbol == "b" else 0)
    trace = run(hygiene_model(clean=True), "aab")
    assert all(exactly(x, 0) for x in trace.column("s"))
    assert exactly(trace.value(3, "s", "block[2].layer1.ffn"), sp.sqrt(2) - 1)


def nested_model() -> Model:
    """u = 1 + (#b among positions <= i) / ((i+1) sqrt 2) after layer 0; reading u through a norm group
    needs ||u||^2 = (1 + k/((i+1) sqrt 2))^2, irrational as soon as k > 0: the first b position."""
    labels = ["one", "isb", "-isb", "u", "v"]
    embedding = {kind: {"one": 1, "u": 1} for kind in ("BOS", "a", "PAD")}
    embedding["b"] = {"one": 1, "u": 1, "isb": 1, "-isb": -1}
    count = uniform_head("count-b", View([["isb", "-isb"]]), [[1, 0]], ["u"])
    reader = Head(
        "reader",
        View([["one"], ["u"]], norm="rms"),
        query=[[1, 0]],
        key=[[0, 1]],
        value=[[0, 1]],
        writes=["v"],
    )
    return Model(alphabet="ab", labels=labels, embedding=embedding, prefix=[Layer([count]), Layer([reader])])


def test_nested_radical_stop_names_layer_head_group_and_position():
    with pytest.raises(SimulationError) as caught:
        run(nested_model(), "aaba")
    message = str(caught.value)
    assert message.startswith("prefix layer 1 head 'reader': norm group 1: position 3"), message
    assert "irrational" in message


def test_no_nested_radical_before_the_first_b():
    trace = run(nested_model(), "aaa")
    assert all(exactly(x, 1) for x in trace.column("u"))


# ---------------------------------------------------------------------------------------------------
# fixed:p: p bits per scalar, f = floor(p/2) of them fractional; every primitive rounded once to a
# multiple of 2^-f, to nearest with ties up.


def test_fixed_rounds_the_embedding_to_nearest_ties_up():
    labels = ["a", "b", "c", "d", "e"]
    values = [Fraction(1, 3), Fraction(-1, 8), Fraction(1, 8), Fraction(3, 8), Fraction(-3, 8)]
    built = Model(alphabet="x", labels=labels, embedding={"BOS": dict(zip(labels, values, strict=True))})
    trace = run(built, "", "fixed:4")
    # In units of 1/4: 4/3 -> 1, -1/2 -> 0 (ties up), 1/2 -> 1, 3/2 -> 2, -3/2 -> -1.
    assert [trace.value(0, label) for label in labels] == [
        Fraction(1, 4),
        Fraction(0),
        Fraction(1, 4),
        Fraction(1, 2),
        Fraction(-1, 4),
    ]


def test_fixed_rounds_a_norm_group_once():
    """N(1, 0) = (1, -1)/sqrt 2 = (0.7071.., -0.7071..): at 6 bits (3 fractional: eighths) 5.657 -> 6, so
    (3/4, -3/4)."""
    built = Model(
        alphabet="x",
        labels=["p", "q", "n0", "n1"],
        embedding={"BOS": {"p": 1}},
        prefix=[Layer(ffns=[copy_ffn("copy", View([["p", "q"]]), ["n0", "n1"])])],
    )
    trace = run(built, "", "fixed:6")
    assert (trace.value(0, "n0"), trace.value(0, "n1")) == (Fraction(3, 4), Fraction(-3, 4))


@pytest.mark.parametrize(
    ("word", "expected"),
    # value 1/4 on every a, 0 elsewhere; causal means in quarters, rounded once, ties up:
    # "aa": 0, (0+1)/2 = 1/2 -> 1, (0+1+1)/3 -> 1;  "ab": 0, 1/2 -> 1, 1/3 -> 0.
    [("aa", [0, Fraction(1, 4), Fraction(1, 4)]), ("ab", [0, Fraction(1, 4), 0])],
)
def test_fixed_rounds_an_attention_mean_once(word, expected):
    head = uniform_head("mean", one("ind"), [[Fraction(1, 4)]], ["out"])
    built = Model(alphabet="ab", labels=["ind", "out"], embedding={"a": {"ind": 1}}, prefix=[Layer([head])])
    assert run(built, word, "fixed:4").column("out") == expected
    exact = [Fraction(0), Fraction(1, 8), Fraction(1, 6) if word == "aa" else Fraction(1, 12)]
    assert all(exactly(x, e) for x, e in zip(run(built, word).column("out"), exact, strict=True))


def test_fixed_overflow_is_an_error():
    """p bits in two's complement with floor(p/2) fractional: |x| < 2^(p - 1 - floor(p/2)). At p = 10 that is
    16 (16 itself does not fit), at p = 11 it is 32."""
    built = Model(alphabet="x", labels=["big"], embedding={"BOS": {"big": 16}})
    with pytest.raises(SimulationError, match=r"fixed:10 overflow in the embedding"):
        run(built, "", "fixed:10")
    assert run(built, "", "fixed:11").value(0, "big") == 16
    doubling = FFN("double", one("big"), w1=[[1]], w2=[[20]], writes=["big"])
    grown = Model(
        alphabet="x", labels=["big"], embedding={"BOS": {"big": 1}}, prefix=[Layer(ffns=[doubling])]
    )
    with pytest.raises(
        SimulationError, match=r"prefix layer 0 ffn 'double': fixed:10 overflow in a linear map"
    ):
        run(grown, "", "fixed:10")


def test_trace_table_reads_by_label():
    trace = run(majority_model(), "10")
    lines = trace.table(labels=["const", "vote"]).splitlines()
    assert lines[0].split() == ["pos", "token", "const", "vote"]
    assert [line.split()[:3] for line in lines[1:]] == [["0", "BOS", "1"], ["1", "1", "1"], ["2", "0", "1"]]
