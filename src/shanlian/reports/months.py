"""The report's month: YYYY-MM, from the month of SHANLIAN['DATE_EARLIEST'] up to the current month (Asia/Shanghai);
by default the last month that has ended, the one the bureau asks for in the first days of the next."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.conf import domain_setting
from shanlian.core.errors import field_error, lazy_format

MONTH_RE = re.compile(r"([0-9]{4})-([0-9]{2})")


def next_month(first: dt.date) -> dt.date:
    return dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)


def previous_month(first: dt.date) -> dt.date:
    return (first - dt.timedelta(days=1)).replace(day=1)


def earliest_month() -> dt.date:
    return dt.date.fromisoformat(domain_setting("DATE_EARLIEST")).replace(day=1)


def default_month(today: dt.date | None = None) -> dt.date:
    today = today or timezone.localdate()
    return max(previous_month(today.replace(day=1)), earliest_month())


def month_in(value: str | None, *, today: dt.date | None = None, field: str = "month") -> dt.date:
    """The first day of the month `value` names; empty means the default month. Refused with a code on `field`."""
    today = today or timezone.localdate()
    if value is None or value == "":
        return default_month(today)
    match = MONTH_RE.fullmatch(value) if isinstance(value, str) and len(value) <= 7 else None
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise field_error(field, "bad_month", _("Give the month as YYYY-MM, for example 2026-11."))
    first = dt.date(int(match.group(1)), int(match.group(2)), 1)
    if first > today.replace(day=1):
        raise field_error(field, "month_in_future", _("This month has not begun yet."))
    earliest = earliest_month()
    if first < earliest:
        raise field_error(field, "month_too_early",
                          lazy_format(_("The report starts in %(month)s."), {"month": earliest.strftime("%Y-%m")}))
    return first


def months_choice(today: dt.date | None = None, count: int = 24) -> list[dt.date]:
    """The latest `count` months a reader may pick, newest first."""
    today = today or timezone.localdate()
    out: list[dt.date] = []
    month, earliest = today.replace(day=1), earliest_month()
    while len(out) < count and month >= earliest:
        out.append(month)
        month = previous_month(month)
    return out

