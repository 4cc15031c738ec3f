"""Numbers as people type them, made exact or refused: the one parser behind Money, amounts, quantities and hours
(core.inputs adds bounds). It knows nothing of money, so Money can use it."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

from .errors import field_error, lazy_format

# Full-width forms users' input methods produce, mapped to ASCII before the strict pattern is applied.
_FULLWIDTH = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)}, "．": ".", "，": ",", "－": "-", "−": "-"})
_SPACES = re.compile(r"[\s\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_NUMBER = re.compile(r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")
_CURRENCY = ("¥", "￥")
_YUAN = ("元",)

NOT_A_NUMBER = _("“%(value)s” is not a number. Type digits, e.g. 1,280.50.")


def shown(value: Any) -> str:
    """The value as it may be echoed in a message: printable, and short."""
    text = "".join(ch if ch.isprintable() else "\ufffd" for ch in str(value))
    return text if len(text) <= 40 else text[:40] + "…"


def number_text(value: Any, *, field: str = "amount", currency: bool = False) -> Decimal:
    """A number typed by a person or sent by a machine, as an exact Decimal, or a field error `invalid_number`.

    `currency` also allows a leading ¥/￥ and a trailing 元. Ints and Decimals pass through (finite only);
    floats and bools are refused, since neither is what anyone typed."""
    if isinstance(value, bool | float):
        raise field_error(field, "invalid_number", lazy_format(NOT_A_NUMBER, {"value": shown(value)}))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise field_error(field, "invalid_number", lazy_format(NOT_A_NUMBER, {"value": shown(value)}))
        return value
    if not isinstance(value, str):
        raise field_error(field, "invalid_number", lazy_format(NOT_A_NUMBER, {"value": shown(value)}))
    text = _SPACES.sub("", value.translate(_FULLWIDTH))
    if currency:
        text = text.removeprefix(_CURRENCY[0]).removeprefix(_CURRENCY[1])
        if text.startswith("-") and text[1:2] in _CURRENCY:
            text = "-" + text[2:]
        text = text.removesuffix(_YUAN[0])
    if len(text) > 40 or not _NUMBER.fullmatch(text):
        raise field_error(field, "invalid_number", lazy_format(NOT_A_NUMBER, {"value": shown(value)}))
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:  # pragma: no cover (the pattern admits only what Decimal reads)
        raise field_error(field, "invalid_number", lazy_format(NOT_A_NUMBER, {"value": shown(value)})) from None
