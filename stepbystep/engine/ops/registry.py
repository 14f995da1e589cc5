"""The registries: one per family of operations, each a name -> frozen record map.

The instances live here, in a module that imports nothing of the engine,
because expressions.py's Call must find a function's record while the records'
derivatives are themselves graph expressions (functions.py imports expressions.py).
Each family module (functions.py, activations.py, losses.py, …) defines its
record class and adds its records to its registry; engine/ops/__init__.py
imports every family, and engine/__init__.py imports ops, so the registries
are complete before any engine code runs.
"""
from __future__ import annotations

from typing import Generic, Iterator, Protocol, TypeVar


class UnknownOperation(LookupError):
    """A name no record of the family has: never answered by another operation's maths."""

    def __init__(self, family: str, name: str, known: tuple[str, ...]) -> None:
        super().__init__(f"unknown {family} {name!r} (known: {', '.join(known)})")
        self.family = family
        self.name = name
        self.known = known

    def __str__(self) -> str:  # LookupError would quote the message
        return str(self.args[0])


class Named(Protocol):
    @property
    def name(self) -> str: ...


R = TypeVar("R", bound=Named)


class Registry(Generic[R]):
    """Records of one family by name, in the order they were added."""

    def __init__(self, family: str) -> None:
        self.family = family
        self._records: dict[str, R] = {}

    def add(self, record: R) -> R:
        if record.name in self._records:
            raise ValueError(f"{self.family} {record.name!r} is registered twice")
        self._records[record.name] = record
        return record

    def get(self, name: str) -> R:
        try:
            return self._records[name]
        except KeyError:
            raise UnknownOperation(self.family, name, self.names()) from None

    def names(self) -> tuple[str, ...]:
        return tuple(self._records)

    def __contains__(self, name: object) -> bool:
        return name in self._records

    def __iter__(self) -> Iterator[R]:
        return iter(self._records.values())

    def __len__(self) -> int:
        return len(self._records)


# The record classes are named, not imported (even for type checkers): an
# import would close the cycle expressions.py -> registry -> functions -> expressions.py.
FUNCTIONS: Registry["FunctionRecord"] = Registry("graph function")
ACTIVATIONS: Registry["ActivationRecord"] = Registry("activation")
LOSSES: Registry["LossRecord"] = Registry("loss")
OPTIMIZERS: Registry["OptimizerRecord"] = Registry("optimizer")
LAYERS: Registry["LayerRecord"] = Registry("layer kind")   # records in engine/layers/
