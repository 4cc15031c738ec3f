"""The micro-wishes' numbers (DOMAIN.md, Micro-wishes), each a setting with its default: SHANLIAN["WISHES_..."] when the
settings name it, else the environment (SHANLIAN_WISHES_...), else the default here."""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "WISHES_VALUE_CAP": Decimal("500.00"),  # a wish is worth at most this (yuan)
    "WISHES_CLAIM_DAYS": 7,  # a claim not delivered within this many days expires and the wish reopens
    "WISHES_NEEDED_BY_MAX_DAYS": 180,  # a wish is needed by a day at most this far ahead
    "WISHES_LIVE_CLAIMS_MAX": 5,  # live claims one person holds at once
    "WISHES_PARTY_MEMBERS_MAX": 200,  # party members taking part in one claim
}


def wish_setting(name: str) -> Any:
    configured = getattr(settings, "SHANLIAN", {})
    if name in configured:
        return configured[name]
    default = DEFAULTS[name]
    raw = os.environ.get(f"SHANLIAN_{name}")
    return default if raw is None else type(default)(raw)


def value_cap() -> Decimal:
    return Decimal(str(wish_setting("WISHES_VALUE_CAP")))


def claim_days() -> int:
    return int(wish_setting("WISHES_CLAIM_DAYS"))
