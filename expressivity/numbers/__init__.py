"""Exact numbers for the exact backend: the field Q(sqrt 2, sqrt 3, ...) of rational combinations of
square roots of integers, as scalars (`SqrtNumber`) and as row-structured arrays (`RadicalArray`), with
radicands kept as representatives of square classes found without factoring (`radical_class`)."""

from expressivity.numbers.radical_array import RadicalArray
from expressivity.numbers.radicands import radical_class
from expressivity.numbers.sqrtfield import SqrtNumber

__all__ = ["RadicalArray", "SqrtNumber", "radical_class"]
