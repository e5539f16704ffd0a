"""Fresh net names for rewrites and readers that must invent nets without clashing with existing ones."""

from __future__ import annotations

from collections.abc import Iterable


class FreshNames:
    """Hands out names that are not taken and never hands out the same name twice.

    `fresh("s")` returns `s` itself if it is free, else the first free name among `s_1, s_2, ...`, so the
    invented names stay readable (a helper net of gate `y` can be called `y_sum`, `y_sum_1`, ...).
    """

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self._taken = set(taken)
        self._next_suffix: dict[str, int] = {}

    def __call__(self, stem: str) -> str:
        if stem not in self._taken:
            self._taken.add(stem)
            return stem
        suffix = self._next_suffix.get(stem, 1)
        while f"{stem}_{suffix}" in self._taken:
            suffix += 1
        self._next_suffix[stem] = suffix + 1
        name = f"{stem}_{suffix}"
        self._taken.add(name)
        return name

    def reserve(self, name: str) -> None:
        """Mark `name` as taken without handing it out."""
        self._taken.add(name)

    def __contains__(self, name: object) -> bool:
        return name in self._taken
