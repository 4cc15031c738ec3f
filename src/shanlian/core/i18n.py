"""Text for places with no request language: command output and logs (both languages), and text stored once
for everyone (the site's language)."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.utils import translation


def both(message: Any, params: dict[str, Any] | None = None) -> str:
    """A message in Chinese, then in English when the translation differs (formatted in each language)."""
    with translation.override("zh-hans"):
        zh = str(message) % params if params else str(message)
    with translation.override("en"):
        en = str(message) % params if params else str(message)
    return zh if zh == en else f"{zh} / {en}"


@functools.lru_cache(maxsize=256)
def _in_language(msgid: str, language: str) -> str:
    with translation.override(language):
        return translation.gettext(msgid)


def site_text(msgid: str, **values: Any) -> str:
    """Text stored once and read by everyone (a ledger memo), in the site's language (settings.LANGUAGE_CODE),
    never the language of whoever happened to ask: an entry's memo is part of its content hash, so a retry in
    another language must write the same text. `msgid` is marked with gettext_noop where it is defined."""
    text = _in_language(msgid, settings.LANGUAGE_CODE)
    return text % values if values else text
