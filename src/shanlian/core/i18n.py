"""Bilingual text for places with no request language: command output and logs."""

from __future__ import annotations

from typing import Any

from django.utils import translation


def both(message: Any, params: dict[str, Any] | None = None) -> str:
    """A message in Chinese, then in English when the translation differs (formatted in each language)."""
    with translation.override("zh-hans"):
        zh = str(message) % params if params else str(message)
    with translation.override("en"):
        en = str(message) % params if params else str(message)
    return zh if zh == en else f"{zh} / {en}"
