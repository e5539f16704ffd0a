"""compile_formula: the compiled model, run exactly, agrees with the model checker (expressivity.logic)
on random sentences and words in both masking modes; its layout, metadata and errors are as documented.
"""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from expressivity import Simulator, load, run, save
from expressivity.compile.formula import FormulaCompileError, compile_formula
from expressivity.compile.formula.plan import make_plan
from expressivity.compile.formula.validate import validate
from expressivity.logic import holds, parse, quantifier_depth, variables
from expressivity.logic.strategies import sentences, words

ALPHABETS = ("a", "ab", "abc")


def agree(model, formula, word_list) -> None:
    simulator = Simulator(model)
    for word in word_list:
        assert simulator.run(word, record=False).accept == holds(formula, word), (str(formula), word)


def random_case(data, max_vars: int, max_length: int, causal: bool) -> None:
    alphabet = data.draw(st.sampled_from(ALPHABETS), label="alphabet")
    formula = data.draw(sentences(max_vars=max_vars, max_depth=3, alphabet=alphabet), label="sentence")
    model = compile_formula(formula, alphabet, causal=causal, self_check=False)
    word_list = data.draw(
        st.lists(words(alphabet, max_size=max_length), min_size=1, max_size=3), label="words"
    )
    agree(model, formula, word_list)


@settings(max_examples=40)
@given(st.data())
def test_mixed_mode_agrees_with_the_model_checker_up_to_two_variables(data) -> None:
    random_case(data, max_vars=2, max_length=10, causal=False)


@settings(max_examples=20)
@given(st.data())
def test_causal_mode_agrees_with_the_model_checker_up_to_two_variables(data) -> None:
    random_case(data, max_vars=2, max_length=10, causal=True)


@settings(max_examples=8)
@given(st.data())
def test_mixed_mode_agrees_with_the_model_checker_at_three_variables(data) -> None:
    random_case(data, max_vars=3, max_length=6, causal=False)


@settings(max_examples=5)
@given(st.data())
def test_causal_mode_agrees_with_the_model_checker_at_three_variables(data) -> None:
    random_case(data, max_vars=3, max_length=6, causal=True)


@pytest.mark.parametrize("causal", [False, True])
def test_every_quantifier_kind_on_every_short_word(causal: bool) -> None:
    texts = [
        "exists x. (Q_a(x) & forall y. (y < x -> Q_b(y)))",
        "M x. ~Q_a(x)",
        "exists>=3 x. Q_b(x) | exists>=0 y. false",
        "M2 x y. (x < y | x = y) & Q_a(y)",
        "forall x. exists y. (x = y & ~Q_b(y))",
    ]
    for text in texts:
        model = compile_formula(text, "ab", causal=causal, self_check=False)
        agree(model, parse(text), [w for n in range(4 if causal else 5) for w in _all_words("ab", n)])


def _all_words(alphabet: str, n: int) -> list[str]:
    out = [""]
    for _ in range(n):
        out = [w + a for w in out for a in alphabet]
    return out


def test_padding_is_one_token_per_assignment() -> None:
    """Mixed mode: t(n) = n^k; causal mode: (D + 1) n^k with D the quantifier depth."""
    text = "exists x. exists y. x < y & Q_a(x) & Q_b(y)"
    mixed = compile_formula(text, "ab")
    causal = compile_formula(text, "ab", causal=True)
    for n in range(8):
        assert mixed.padding(n) == n**2
        assert causal.padding(n) == 3 * n**2
        assert mixed.sequence_length(n) == 1 + n + n**2
    assert compile_formula("true", "ab").padding(5) == 1  # k = 0: n^0 = 1 token, the empty assignment


def test_one_model_for_every_length() -> None:
    """No loops: the same layers at every n, so the size does not depend on n."""
    model = compile_formula("forall x. (Q_a(x) -> exists y. (x < y & Q_b(y)))", "ab")
    assert not model.block
    assert {model.layer_count(n) for n in range(1, 40)} == {len(model.prefix)}


def test_masks_of_each_mode() -> None:
    """Mixed: the unmasked heads are exactly the quantifier counting heads. Causal: every head looks back
    only (causal, or strict: causal without the diagonal, used by the coordinate counts)."""
    text = "M2 x y. Q_a(x) & ~(y < x) | exists z. (z = x & Q_b(z))"
    mixed = compile_formula(text, "ab")
    heads = [head for layer in mixed.prefix for head in layer.heads]
    unmasked = {head.name for head in heads if head.mask == "unmasked"}
    assert unmasked == {head.name for head in heads if head.name.startswith("count(")}
    assert len(unmasked) == 2
    causal = compile_formula(text, "ab", causal=True)
    assert {head.mask for layer in causal.prefix for head in layer.heads} == {"causal", "strict"}


def test_depth_grows_by_one_layer_per_quantifier_level() -> None:
    texts = ["Q_a(x)"]
    for level in range(4):
        letter = "ab"[level % 2]
        texts.append(f"exists x. (Q_{letter}(x) & {texts[-1]})" if level else "exists x. Q_a(x)")
    counts = []
    for text in texts[1:]:
        formula = parse(text)
        model = compile_formula(formula, "ab")
        counts.append(len(model.prefix))
        agree(model, formula, [w for n in range(5) for w in _all_words("ab", n)])
    assert [b - a for a, b in pairwise(counts)] == [1, 1, 1]


def test_metadata_and_model_file_round_trip(tmp_path) -> None:
    model = compile_formula("exists>=2 x. Q_a(x)", "ab", causal=True)
    assert model.metadata["route"] == "formula"
    assert model.metadata["sentence"] == "exists>=2 x. Q_a(x)"
    assert model.metadata["alphabet"] == "ab"
    assert model.metadata["mode"] == "causal"
    path = tmp_path / "model.json"
    save(model, path)
    again = load(path)
    assert again.metadata == model.metadata
    for word in ["", "a", "ab", "aab", "bbab"]:
        assert run(again, word).accept == holds("exists>=2 x. Q_a(x)", word)


@pytest.mark.parametrize(
    ("text", "accepts_empty"),
    [
        ("forall x. Q_a(x)", True),
        ("exists x. Q_a(x)", False),
        ("exists>=0 x. Q_b(x)", True),
        ("~true", False),
    ],
)
def test_the_empty_word_follows_the_model_checker(text: str, accepts_empty: bool) -> None:
    """With k >= 1 the empty word has no padding: BOS, the last token, embeds the answer."""
    for causal in (False, True):
        model = compile_formula(text, "ab", causal=causal)
        assert run(model, "").accept is accepts_empty
        assert model.metadata["empty_word"] == ("accept" if accepts_empty else "reject")


@pytest.mark.parametrize(
    ("sentence", "alphabet", "message"),
    [
        ("exists x. Q_a(y)", "ab", "variable 'y' is free in 'Q_a\\(y\\)'"),
        ("exists x. x < y", "ab", "variable 'y' is free in 'x < y'"),
        ("exists x. Q_c(x)", "ab", "the letter 'c' of 'Q_c\\(x\\)' is not in the alphabet 'ab'"),
        ("exists x. Q_a(x", "ab", "cannot parse"),
        ("true", "", "alphabet is empty"),
        ("true", "aa", "lists a symbol twice"),
        ("true", ["ab"], "not one non-whitespace character"),
        (42, "ab", "expected a formula"),
    ],
)
def test_bad_input_is_named(sentence, alphabet, message: str) -> None:
    with pytest.raises(FormulaCompileError, match=message):
        compile_formula(sentence, alphabet)


def test_a_sentence_with_many_atoms_is_split_into_smaller_tables() -> None:
    """A Boolean body over many bases is materialised in parts (tables of at most TABLE_LIMIT
    patterns) and still agrees with the model checker."""
    body = " & ".join(
        f"(Q_a(x) | y < z | Q_{'abc'[i % 3]}(y) | Q_b(z) | x = {'yz'[i % 2]})" for i in range(4)
    )
    text = f"exists x. exists y. exists z. ({body} | M x. Q_c(x))"
    formula = parse(text)
    assert len(variables(formula)) == 3 and quantifier_depth(formula) == 4
    model = compile_formula(formula, "abc")
    largest = max(len(ffn.w1) for layer in model.prefix for ffn in layer.ffns)
    assert largest <= 256
    agree(model, formula, ["", "c", "abc", "cab", "bbac"])


@settings(max_examples=60)
@given(sentences(max_vars=3, max_depth=3, alphabet="ab"), st.booleans())
def test_depth_is_quantifier_depth_plus_two_after_the_set_up(formula, causal: bool) -> None:
    """Without split tables the layers after the coordinate set-up number at most D + 2 (plan.py)."""
    plan = make_plan(validate(formula, "ab"), causal)
    model = compile_formula(formula, "ab", causal=causal, self_check=False)
    assert len(model.prefix) == model.metadata["setup_layers"] + plan.layer_count()
    if not plan.split:
        assert plan.layer_count() <= quantifier_depth(formula) + 2
