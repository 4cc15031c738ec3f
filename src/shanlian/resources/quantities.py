"""Quantities as people type and read them: whole units of the category's unit, or yuan with two decimals for money,
stored as whole units or fen (models' docstring). The one parser the forms, the API and the demo share."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shanlian.core.inputs import amount_in, decimal_in, limit
from shanlian.core.money import Money

from .models import ResourceKind


def quantity_in(value: Any, *, kind: str, field: str = "quantity") -> int:
    """Whole units (1 to LIMITS['QUANTITY']), or yuan (above zero, at most LIMITS['AMOUNT'], two decimals) as fen."""
    if kind == ResourceKind.MONEY:
        return int(amount_in(value, field=field).fen)
    return int(decimal_in(value, field=field, places=0, minimum=1, maximum=limit("QUANTITY")))


def quantity_value(steps: int, kind: str) -> Decimal:
    """What the API shows: yuan for money (2 places), else the whole number of units."""
    return Money.from_fen(steps).amount if kind == ResourceKind.MONEY else Decimal(steps)


def quantity_text(steps: int, kind: str, unit: str) -> str:
    if kind == ResourceKind.MONEY:
        return str(Money.from_fen(steps))
    return f"{steps:,} {unit}"
