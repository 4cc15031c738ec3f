"""What the route walk asks about on the evaluation supervision pages: objects made through the services, and who may see them."""

from __future__ import annotations

from typing import Any

# Parameter name → Binding, as in test_route_walk.BINDINGS (and by namespace, by route).
BINDINGS: dict[str, Any] = {}
BY_NAMESPACE: dict[tuple[str, str], Any] = {}
BY_ROUTE: dict[tuple[str, str], Any] = {}
# Walkers of its own (users it adds in `build`), beside the city's.
WALKERS: tuple[str, ...] = ()


def build(city: Any, users: dict[str, Any]) -> Any:
    """The objects the bindings name (an object with attributes), made through the services; `users` may be added to
    (a walker of its own)."""
    return None
