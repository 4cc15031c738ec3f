"""Template filters for the charity staff pages."""

from __future__ import annotations

from typing import Any

from django import template

from shanlian.core.money import Money

register = template.Library()


@register.filter
def signed_yuan(value: Any) -> str:
    """A signed amount the way a statement shows it: +¥500.00, −¥300.00 (Money's own str gives ¥-300.00)."""
    if value is None or value == "":
        return ""
    money = value if isinstance(value, Money) else Money(value)
    if money.amount < 0:
        return f"−{-money}"
    return f"+{money}"
