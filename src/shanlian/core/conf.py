"""Typed access to the domain settings (settings.SHANLIAN), the numbers of docs/rules.md."""

from __future__ import annotations

from typing import Any

from django.conf import settings


def domain_setting(name: str) -> Any:
    return settings.SHANLIAN[name]
