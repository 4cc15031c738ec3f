"""A mapping made on first read: the route walk's parts name their objects' bindings with it, since a part is imported
by test_route_walk before the walk defines `Binding`."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any


class Lazy(Mapping[Any, Any]):
    def __init__(self, make: Callable[[], dict[Any, Any]]) -> None:
        self._make, self._made = make, None

    def _all(self) -> dict[Any, Any]:
        if self._made is None:
            self._made = self._make()
        return self._made

    def __getitem__(self, key: Any) -> Any:
        return self._all()[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())
