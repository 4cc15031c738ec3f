"""Text for places with no request language: command output and logs (both languages), and text stored once
for everyone (the site's language); the day a moment falls on, stored once for everyone (the site's time zone)."""

from __future__ import annotations

import functools
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.utils import timezone, translation


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


def site_day(moment: datetime) -> date:
    """The day an aware moment falls on in the site's time zone (settings.TIME_ZONE): a gift's business day, a
    match's day against the daily cap. `timezone.localdate` without its look-ups (no time zone is ever activated
    per request here, so the two agree); a set of thousands of gifts asks it once per gift."""
    return moment.astimezone(timezone.get_default_timezone()).date()
