"""Template filters of the disclosure pages."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

register = template.Library()


@register.filter
def yuan(value: Any) -> str:
    """A frozen report's amount ("50000.00", as stored in its JSON) shown as ¥50,000.00."""
    try:
        return f"¥{Decimal(str(value)):,.2f}"
    except (InvalidOperation, ValueError):
        return "—" if value in (None, "") else str(value)
