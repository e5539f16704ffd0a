"""Merge the parallel sublayers of a layer that can share one sublayer, so a run does fewer passes.

Heads of one layer with the same mask and the same query and key rows (over the same norm groups) have
the same tie sets, so one head with all their value rows computes exactly what they compute together;
likewise all FFNs of one layer read the same residual and act as one FFN whose hidden units are theirs
side by side (outputs to one label add up). Groups are merged by identity: a merge is refused (the
sublayers stay apart) when two views would put one cell in two different groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from expressivity.model import FFN, Head, Layer, View


def merged_layer(layer: Layer) -> Layer:
    """The same layer with its heads merged by (mask, query, key) and its FFNs merged into one."""
    buckets: dict[object, list[Head]] = {}
    for head in layer.heads:
        buckets.setdefault(_signature(head), []).append(head)
    heads: list[Head] = []
    for group in buckets.values():
        heads.extend([_merge_heads(group)] if _compatible(group) else group)
    ffns = [_merge_ffns(list(layer.ffns))] if len(layer.ffns) > 1 and _compatible(layer.ffns) else layer.ffns
    return Layer(heads=heads, ffns=ffns)


def _rows(
    matrix: Sequence[Sequence[Fraction]], columns: Sequence[str]
) -> tuple[tuple[tuple[str, Fraction], ...], ...]:
    return tuple(tuple((c, v) for c, v in zip(columns, row, strict=True) if v) for row in matrix)


def _signature(head: Head) -> object:
    columns = head.view.columns
    query_groups = tuple(
        g for g in head.view.groups if any(c in dict(r) for r in _rows(head.query, columns) for c in g)
    )
    return (head.mask, head.view.norm, _rows(head.query, columns), _rows(head.key, columns), query_groups)


def _compatible(subs: Sequence[Head | FFN]) -> bool:
    owner: dict[str, tuple[str, ...]] = {}
    for sub in subs:
        if sub.view.norm != subs[0].view.norm:
            return False
        for group in sub.view.groups:
            for cell in group:
                if owner.setdefault(cell, group) != group:
                    return False
    return True


def _union_view(subs: Sequence[Head | FFN]) -> View:
    groups = list(dict.fromkeys(group for sub in subs for group in sub.view.groups))
    return View(groups, subs[0].view.norm)


def _name(subs: Sequence[Head | FFN]) -> str:
    return subs[0].name if len(subs) == 1 else f"{subs[0].name} (+{len(subs) - 1} merged)"


def _merge_heads(heads: list[Head]) -> Head:
    if len(heads) == 1:
        return heads[0]
    first = heads[0]
    columns = first.view.columns
    rows: dict[str, dict[str, Fraction]] = {}
    for head in heads:
        for label, row in zip(head.writes, _rows(head.value, head.view.columns), strict=True):
            target = rows.setdefault(label, {})
            for cell, weight in row:
                target[cell] = target.get(cell, Fraction(0)) + weight
    values, writes = list(rows.values()), list(rows)
    return Head(
        _name(heads),
        _union_view(heads),
        query=[dict(row) for row in _rows(first.query, columns)],
        key=[dict(row) for row in _rows(first.key, columns)],
        value=values,
        writes=writes,
        mask=first.mask,
    )


def _merge_ffns(ffns: list[FFN]) -> FFN:
    writes = list(dict.fromkeys(label for ffn in ffns for label in ffn.writes))
    w1, b1 = [], []
    w2: dict[str, list[Fraction]] = {label: [] for label in writes}
    b2 = dict.fromkeys(writes, Fraction(0))
    for ffn in ffns:
        w1.extend(dict(row) for row in _rows(ffn.w1, ffn.view.columns))
        b1.extend(ffn.b1)
        rows = dict(zip(ffn.writes, ffn.w2, strict=True))
        for label in writes:
            w2[label].extend(rows.get(label, (Fraction(0),) * len(ffn.w1)))
        for label, bias in zip(ffn.writes, ffn.b2, strict=True):
            b2[label] += bias
    return FFN(
        _name(ffns),
        _union_view(ffns),
        w1=w1,
        w2=[w2[label] for label in writes],
        writes=writes,
        b1=b1,
        b2=[b2[label] for label in writes],
    )
