"""A model under construction: labelled residual cells and the embedding of every token kind.

Compilers allocate cells by name (tracr's named residual basis: `spin(gate)[0]`, `id[2]`, ...), set
embedding values per token kind or for all kinds at once, and finally assemble a `Model`. Nothing here
knows what the cells mean; the gadgets and compile routes give them meaning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction

from expressivity.inputs import InputFormat
from expressivity.model import Layer, LoopCount, Model, ModelError, OutputTap, Padding, Rational, Stage

Group = tuple[str, ...]


def _exact(value: Rational) -> Fraction:
    return value if type(value) is Fraction else Fraction(value)


class Program:
    """Residual labels in allocation order, per-kind embedding values, and values shared by all kinds."""

    def __init__(self, alphabet: Iterable[str], extra_kinds: Iterable[str] = ()) -> None:
        self.alphabet = tuple(alphabet)
        self.extra_kinds: list[str] = list(extra_kinds)
        self.labels: list[str] = []
        self._known: set[str] = set()
        self._common: dict[str, Fraction] = {}
        self._by_kind: dict[str, dict[str, Fraction]] = {}

    @property
    def kinds(self) -> tuple[str, ...]:
        return ("BOS", *self.alphabet, "PAD", *self.extra_kinds)

    def cell(self, name: str) -> str:
        """Allocate one residual coordinate labelled `name`."""
        if name in self._known:
            raise ModelError(f"residual coordinate {name!r} is allocated twice")
        self._known.add(name)
        self.labels.append(name)
        return name

    def group(self, name: str, size: int) -> Group:
        """Allocate `size` coordinates labelled name[0] .. name[size-1] (one norm group)."""
        return tuple(self.cell(f"{name}[{r}]") for r in range(size))

    def add_kind(self, kind: str) -> None:
        self.extra_kinds.append(kind)

    def set_all(self, values: Mapping[str, Rational]) -> None:
        """Embedding values every token kind starts with (a kind's own values override them)."""
        self._common.update({label: _exact(v) for label, v in values.items()})

    def set(self, kind: str, values: Mapping[str, Rational]) -> None:
        """Embedding values of one token kind."""
        self._by_kind.setdefault(kind, {}).update({label: _exact(v) for label, v in values.items()})

    def embedding(self) -> dict[str, dict[str, Fraction]]:
        return {kind: {**self._common, **self._by_kind.get(kind, {})} for kind in self.kinds}

    def model(
        self,
        *,
        prefix: Sequence[Layer] = (),
        block: Sequence[Layer] = (),
        suffix: Sequence[Layer] = (),
        loops: LoopCount | None = None,
        padding: Padding | None = None,
        unembedding: Sequence[Mapping[str, Rational]] = (),
        outputs: Iterable[OutputTap] = (),
        scratch: Iterable[str] = (),
        tail: Iterable[str] = (),
        name: str = "model",
        metadata: Mapping[str, object] | None = None,
        size_root: int = 1,
        stages: Sequence[Stage] | None = None,
        input_format: InputFormat | None = None,
    ) -> Model:
        """The model; `stages` (if given) replaces prefix, block, suffix and loops."""
        layers: dict[str, object] = {"prefix": prefix, "block": block, "suffix": suffix, "loops": loops}
        return Model(
            alphabet=self.alphabet,
            labels=self.labels,
            embedding=self.embedding(),
            **({"stages": stages} if stages is not None else layers),
            padding=padding,
            unembedding=unembedding,
            outputs=outputs,
            scratch=scratch,
            extra_kinds=self.extra_kinds,
            tail=tail,
            name=name,
            metadata=metadata,
            size_root=size_root,
            input_format=input_format,
        )
