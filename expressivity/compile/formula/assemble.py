"""Passes 4-6: schedule the sublayers into layers, assemble the model, and self-check it.

`compile_formula(sentence, alphabet, causal=False)` runs validate -> plan (allocate, schedule) -> layout
(cells, coordinates) -> instantiate (atoms, quantifiers, tables) -> assemble -> self-check on every word
of length at most SELF_CHECK_LENGTH. The model is one fixed model for every input length n: padding
n^k (mixed) or (D + 1) n^k (causal, D the quantifier depth; no other constant), no loops, the
coordinate set-up (2K layers for K >= 2 coordinate digits, K = k in mixed mode and k + 1 in causal mode
(with D >= 1); 1 layer for K = 1; none for k = 0), then `Plan.layer_count()` layers, at most D + 2 when
no Boolean table had to be split (plan.py).

The empty word. With k >= 1 there is no padding at n = 0, so the last token is BOS; BOS embeds the
sentence's value on the empty word (the model checker's convention: exists, M, M2 false, forall true,
exists>=t true iff t = 0), fixed at compile time. With k = 0 the single padding token decides as usual.
"""

from __future__ import annotations

from itertools import product

from expressivity.compile.formula.atoms import letter_heads, order_heads, pair_zero_ffns, zero_ffns
from expressivity.compile.formula.boolean import constant_group, materialised_ffn, result_ffn
from expressivity.compile.formula.layout import allocate
from expressivity.compile.formula.plan import (
    EMBEDDED,
    LETTER_SLOT,
    ORDER_SLOT,
    PAIR_ZERO_SLOT,
    ZERO_SLOT,
    make_plan,
)
from expressivity.compile.formula.quantifiers import copy_id_ffn, copy_rank_head, quantifier_head
from expressivity.compile.formula.validate import FormulaCompileError, validate
from expressivity.limits import Limits, check_self_check
from expressivity.logic import Formula, holds
from expressivity.model import FFN, Head, Layer, Model, Padding
from expressivity.simulator import Simulator

SELF_CHECK_LENGTH = 2


def compile_formula(
    sentence: Formula | str,
    alphabet: str,
    causal: bool = False,
    self_check: bool = True,
    limits: Limits | None = None,
) -> Model:
    """One padded AHAT model that accepts exactly the words over `alphabet` satisfying `sentence`.

    `causal=False` (mixed masking): causal heads for positions, coordinates and atoms, unmasked heads for
    the quantifiers. `causal=True`: every head causal, with one copy of the assignment tokens per
    quantifier level (see layout.py). Raises FormulaCompileError naming the subformula at fault. With
    `self_check`, the model runs on every word of length <= SELF_CHECK_LENGTH (`check_model`), after
    refusing (LimitError) a check above `limits` when they are given."""
    validated = validate(sentence, alphabet)
    plan = make_plan(validated, causal)
    cells = allocate(plan)
    slots: dict[int, list[Head | FFN]] = {}

    def put(slot: int, *sublayers: Head | FFN) -> None:
        slots.setdefault(slot, []).extend(sublayers)

    put(LETTER_SLOT, *letter_heads(plan, cells))
    put(ZERO_SLOT, *zero_ffns(cells))
    put(ORDER_SLOT, *order_heads(plan, cells))
    put(PAIR_ZERO_SLOT, *pair_zero_ffns(cells))
    if plan.copies > 1:
        put(ORDER_SLOT, copy_rank_head(plan, cells))
        put(PAIR_ZERO_SLOT, copy_id_ffn(plan, cells))
    for quantifier in plan.quantifiers:
        put(plan.slots[quantifier], quantifier_head(plan, cells, quantifier))
    for node in plan.materialised:
        if plan.slots[node] == EMBEDDED:
            constant_group(plan, cells, node)
        else:
            put(plan.slots[node], materialised_ffn(plan, cells, node))
    empty_word = holds(validated.formula, "")
    put(plan.result_slot, result_ffn(plan, cells, empty_word))
    layers = [
        Layer(
            heads=[s for s in slots.get(2 * index, []) if isinstance(s, Head)],
            ffns=[s for s in slots.get(2 * index + 1, []) if isinstance(s, FFN)],
        )
        for index in range(plan.layer_count())
    ]
    k = len(validated.variables)
    model = cells.program.model(
        prefix=[*cells.setup, *layers],
        padding=Padding([0] * k + [plan.copies]),
        unembedding=[{}, {cells.accept: 1}],
        name=f"formula: {validated.text}",
        metadata={
            "route": "formula",
            "sentence": validated.text,
            "alphabet": validated.alphabet,
            "mode": "causal" if causal else "mixed",
            "variables": list(validated.variables),
            "quantifier_depth": plan.levels,
            "setup_layers": len(cells.setup),
            "padding": f"{plan.copies}*n^{k}",
            "empty_word": "accept" if empty_word else "reject",
            "cells": cells.names,
        },
    )
    if self_check:
        check_model(model, validated.formula, validated.alphabet, SELF_CHECK_LENGTH, limits)
    return model


def check_model(
    model: Model, formula: Formula, alphabet: str, max_length: int, limits: Limits | None = None
) -> int:
    """Runs `model` exactly on every word of length <= max_length and compares with the model checker;
    returns the number of words checked, or raises FormulaCompileError at the first disagreement (a
    compiler bug, reported with the word). With `limits`, every length is sized first and the check
    refused above them (LimitError, before any run)."""
    if limits is not None:
        check_self_check(model, range(max_length + 1), limits)
    simulator = Simulator(model)
    checked = 0
    for length in range(max_length + 1):
        for letters in product(alphabet, repeat=length):
            word = "".join(letters)
            got = simulator.run(word, record=False).accept
            if got != holds(formula, word):
                raise FormulaCompileError(
                    f"self-check failed: the compiled model says {got} on {word!r}; the model checker "
                    "disagrees (a compiler bug: please report it with the sentence)"
                )
            checked += 1
    return checked
