"""Theorem 1 of the padding paper, lower bound: FO[M] sentences compile to padded fixed-depth AHAT models.

Statement. For every FO[M] sentence phi over an alphabet (first-order logic over strings with <, letter
predicates, exists, forall, majority M, pair majority M2 and threshold quantifiers exists>=t) with k
distinct variables and quantifier depth D, there is ONE averaging-hard-attention, masked pre-norm
transformer with rational weights, no positional encoding and no loops, whose depth is O(D) plus a
constant number of set-up layers, which given BOS w PAD^t(n) with t(n) = n^k accepts exactly the words w
of every length n that satisfy phi. With causal masking only, t(n) = (D + 1) n^k suffices.

Construction: `construct(sentence, alphabet, causal)` is `expressivity.compile.formula.compile_formula`:
one padding token per assignment in [n]^k, whose digits (padding coordinates) name the assignment; each
quantifier is one head that averages its body over the n (or n^2) assignments that differ only in the
bound variables, compared with a threshold by a sign cell; atoms are retrieved from the input by hash
(see that package's module docstrings for the layouts and the gadgets).

Check: `check` compiles the library sentences (or given ones) in both modes and runs them exactly on
every word up to a length, against the model checker; it reports the sizes (which do not depend on n)
and every disagreement (none is expected).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from itertools import product

from expressivity import Model, Simulator
from expressivity.compile.formula import compile_formula
from expressivity.logic import LIBRARY, Formula, holds, quantifier_depth, variables


def construct(sentence: Formula | str, alphabet: str, causal: bool = False) -> Model:
    return compile_formula(sentence, alphabet, causal=causal, self_check=False)


def check(
    names: Iterable[str] = ("majority", "a_before_b", "most_pairs_touch_a"), max_length: int = 3
) -> dict:
    """Compile each named library sentence in both modes and compare with the model checker on every
    word of length <= max_length. Returns per-model facts and the total number of disagreements."""
    rows = []
    for name in names:
        sentence = LIBRARY[name]
        k = len(variables(sentence.formula))
        for causal in (False, True):
            start = time.perf_counter()
            model = construct(sentence.formula, sentence.alphabet, causal)
            simulator = Simulator(model)
            words = [
                "".join(letters)
                for length in range(max_length + 1)
                for letters in product(sentence.alphabet, repeat=length)
            ]
            wrong = [w for w in words if simulator.run(w, record=False).accept != holds(sentence.formula, w)]
            rows.append(
                {
                    "sentence": name,
                    "mode": model.metadata["mode"],
                    "k": k,
                    "quantifier_depth": quantifier_depth(sentence.formula),
                    "layers": len(model.prefix),
                    "width": model.width,
                    "padding_at_4": model.padding(4),
                    "padding_is_copies_times_n_to_k": all(
                        model.padding(n)
                        == (1 if not causal else quantifier_depth(sentence.formula) + 1) * n**k
                        for n in range(10)
                    ),
                    "words_checked": len(words),
                    "disagreements": wrong,
                    "seconds": round(time.perf_counter() - start, 3),
                }
            )
    total = sum(len(row["disagreements"]) for row in rows)
    return {"max_length": max_length, "models": rows, "disagreements": total}
