"""Small filters for the volunteer's pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict[Any, Any] | None, key: Any) -> Any:
    """`mapping|get_item:key`, None when absent."""
    return (mapping or {}).get(key)


@register.filter
def hours(value: Any) -> str:
    """Hours and credits to the half hour, shown with one decimal: 5.00 → 5.0."""
    try:
        return f"{Decimal(str(getattr(value, 'value', value))):.1f}"
    except ArithmeticError:
        return str(value)
