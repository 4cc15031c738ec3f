"""The API of micro-venture rounds: the projects operations (mounted at /api/grants)."""

from ninja import Router

router = Router(tags=["grants"])
