"""Exact numbers for the exact backend: the field Q(sqrt 2, sqrt 3, ...) of rational combinations of
square roots of square-free integers, as scalars (`SqrtNumber`) and as row-structured arrays
(`RadicalArray`)."""

from expressivity.numbers.radical_array import RadicalArray
from expressivity.numbers.sqrtfield import SqrtNumber, squarefree_split

__all__ = ["RadicalArray", "SqrtNumber", "squarefree_split"]
