"""What people and machines type, made exact or refused: one parser for amounts and numbers, one check for
text, one window for dates. Pages, the API, the file import and the webhook all call these, so "1,0,0" or a
NUL byte is refused the same way everywhere, with the same code and message.

Accepted, because Chinese users type it: full-width digits and punctuation (１２３．５０), a thousands
separator in its right places (12,345.60), a currency sign (¥ ￥) or 元, spaces anywhere. Refused: anything
else, e.g. "1,0,0", "1_000", "1e3", "+.5", ".5", Arabic-Indic or other non-ASCII digits, NaN and Infinity.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .errors import ValidationFailed, field_error, lazy_format
from .money import Money
from .numbers import number_text, shown

_ID = re.compile(r"[0-9]{1,18}")


def id_param(raw: Any) -> int | None:
    """A row id from a query or a form: 1 to 18 ASCII digits, or None (str.isdigit() also takes "²" and "٣", which
    int() then refuses, and a 20-digit number fits no column)."""
    text = raw.strip() if isinstance(raw, str) else ""
    return int(text) if _ID.fullmatch(text) else None


def limit(name: str) -> Decimal:
    """An upper bound from settings (SHANLIAN['LIMITS']), as a Decimal."""
    return Decimal(str(settings.SHANLIAN["LIMITS"][name]))


def decimal_in(value: Any, *, field: str, places: int, minimum: Decimal | int | str, maximum: Decimal | int | str,
               currency: bool = False) -> Decimal:
    """A bounded decimal with at most `places` decimals: the one check behind amounts, quantities and ratios."""
    number = number_text(value, field=field, currency=currency)
    low, high = Decimal(str(minimum)), Decimal(str(maximum))
    if number > high:
        raise field_error(field, "too_large", lazy_format(
            _("At most %(max)s: %(value)s is too large."), {"max": _plain(high), "value": shown(value)}))
    if number < low:
        raise field_error(field, "too_small", lazy_format(
            _("At least %(min)s: %(value)s is too small."), {"min": _plain(low), "value": shown(value)}))
    if number.as_tuple().exponent < -places:  # type: ignore[operator]
        if places == 0:
            raise field_error(field, "not_whole", lazy_format(_("Enter a whole number: %(value)s."), {"value": shown(value)}))
        raise field_error(field, "too_many_decimals", lazy_format(
            _("At most %(places)s decimal places: %(value)s."), {"places": places, "value": shown(value)}))
    return number


def _plain(number: Decimal) -> str:
    return f"{number:,f}" if number == number.to_integral_value() else f"{number:,.2f}"


def amount_in(value: Any, *, field: str = "amount", maximum: str = "AMOUNT", positive: bool = True) -> Any:
    """An amount of yuan entering the system: at most two decimals, above zero (or zero and above with
    `positive=False`), at most the named limit (SHANLIAN['LIMITS'][maximum], e.g. ONLINE_GIFT). Returns Money."""
    if isinstance(value, Money):
        value = value.amount
    high = limit(maximum)
    number = number_text(value, field=field, currency=True)
    if number > high:
        raise field_error(field, "amount_too_large", lazy_format(
            _("At most ¥%(max)s in one go: ¥%(value)s is too much."), {"max": f"{high:,.2f}", "value": shown(value)}))
    if positive and number <= 0:
        raise field_error(field, "amount_not_positive", _("The amount must be more than zero."))
    if number < 0:
        raise field_error(field, "amount_negative", _("The amount cannot be negative."))
    if number.as_tuple().exponent < -2:  # type: ignore[operator]
        raise field_error(field, "money_precision", lazy_format(
            _("An amount has at most two decimal places (fen): %(value)s."), {"value": shown(value)}))
    return Money(number)


def int_in(value: Any, *, field: str, minimum: int, maximum: int) -> int:
    """A whole number in [minimum, maximum], typed or sent."""
    return int(decimal_in(value, field=field, places=0, minimum=minimum, maximum=maximum))


# --- text -------------------------------------------------------------------------------------------------------

# Characters that never belong in what a person types: NUL, which no PostgreSQL text can hold; C0/C1 controls
# (multi-line text keeps tab and newlines); and, in single-line text such as names and titles, the invisible
# direction overrides and zero-width marks that make a name read other than it is (joiners, which emoji and some
# scripts need, stay).
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]")


def text_problem(value: str, *, max_length: int | None, multiline: bool = False) -> tuple[str, Any] | None:
    """What is wrong with a text, as (code, message), or None: the one rule behind forms, schemas and services."""
    if "\x00" in value:
        return "nul_character", _("The text contains a NUL character (\\0), which cannot be stored.")
    if (_CONTROL_MULTILINE if multiline else _CONTROL_LINE).search(value):
        return "control_character", _("The text contains invisible control or direction characters; type it again.")
    if any(unicodedata.category(ch) == "Cs" for ch in value):
        return "invalid_character", _("The text contains characters that are not valid Unicode.")
    if max_length is not None and len(value) > max_length:
        return "too_long", lazy_format(_("At most %(max)s characters (this has %(n)s)."), {"max": max_length, "n": len(value)})
    return None


def text_in(value: Any, *, field: str, max_length: int | None, required: bool = False, multiline: bool = False) -> str:
    """Text entering the system: stripped, refused (never cut) when too long, refused with control characters."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise field_error(field, "invalid_text", _("Expected text."))
    value = value.strip()
    problem = text_problem(value, max_length=max_length, multiline=multiline)
    if problem is not None:
        raise field_error(field, *problem)
    if required and not value:
        raise field_error(field, "required", _("This field is required."))
    return value


def model_text(model: Any, name: str, value: Any, *, field: str | None = None, required: bool = False,
               multiline: bool | None = None) -> str:
    """`text_in` with the model field's own max_length: the column decides the limit, once."""
    model_field = model._meta.get_field(name)
    long_text = model_field.get_internal_type() == "TextField"
    return text_in(value, field=field or name, max_length=model_field.max_length, required=required,
                   multiline=long_text if multiline is None else multiline)


def find_bad_text(value: Any) -> tuple[str, Any] | None:
    """The first control or NUL character problem anywhere in a parsed JSON value (no length check)."""
    if isinstance(value, str):
        return text_problem(value, max_length=None, multiline=True)
    if isinstance(value, dict):
        for key, item in value.items():
            problem = find_bad_text(key) or find_bad_text(item)
            if problem:
                return problem
    elif isinstance(value, list | tuple):
        for item in value:
            problem = find_bad_text(item)
            if problem:
                return problem
    return None


# --- dates ------------------------------------------------------------------------------------------------------

def earliest_date() -> date:
    """The first day anything in the books may be dated (SHANLIAN['DATE_EARLIEST'])."""
    return date.fromisoformat(str(settings.SHANLIAN["DATE_EARLIEST"]))


def latest_period_date() -> date:
    """The last day a period may reach: the end of next year (reports and statements look no further)."""
    return date(timezone.localdate().year + int(settings.SHANLIAN["DATE_HORIZON_YEARS"]), 12, 31)


def date_window(value: date, *, field: str, latest: date | None = None) -> date:
    """A date within the years the system holds data for, or a field error `date_out_of_range`."""
    first, last = earliest_date(), latest or latest_period_date()
    day = value.date() if isinstance(value, datetime) else value
    if not first <= day <= last:
        raise field_error(field, "date_out_of_range", lazy_format(
            _("Choose a date from %(first)s to %(last)s."), {"first": first.isoformat(), "last": last.isoformat()}))
    return value


def moment_window(value: datetime, *, field: str, ahead: timedelta | None = None,
                  future_code: str = "time_out_of_range", future: bool = True) -> datetime:
    """A time something happened (a gift received, money paid): from DATE_EARLIEST to a little ahead of now
    (SHANLIAN['CLOCK_SKEW_HOURS'], one day by default, for clocks and zones that differ). `future=False`: the first
    bound only (the caller checks the last one later, in its own order of checks)."""
    skew = ahead if ahead is not None else timedelta(hours=float(settings.SHANLIAN["CLOCK_SKEW_HOURS"]))
    last = timezone.now() + skew
    early = timezone.is_naive(value) or value.date() < earliest_date()  # (checked first: year 1 cannot become UTC)
    if early or (future and value > last):
        raise field_error(field, "time_out_of_range" if early else future_code, lazy_format(
            _("The time must be between %(first)s and %(last)s."),
            {"first": earliest_date().isoformat(), "last": timezone.localtime(last).strftime("%Y-%m-%d %H:%M")}))
    return value


class Checks:
    """Run a form's field checks one after another and refuse them together, so a person sees every problem at once:
    `value = checks(amount_in, raw, field="amount")` returns the value or None, and `checks.done()` raises them all."""

    def __init__(self) -> None:
        self.failed: list[ValidationFailed] = []

    def __call__(self, check: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return check(*args, **kwargs)
        except ValidationFailed as exc:
            self.failed.append(exc)
            return None

    def done(self) -> None:
        if not self.failed:
            return
        first = self.failed[0]
        if len(self.failed) == 1:
            raise first
        fields: dict[str, list[Any]] = {}
        for exc in self.failed:
            for name, errs in (exc.fields or {"request": [(exc.code, exc.message)]}).items():
                fields.setdefault(name, []).extend(errs)
        raise ValidationFailed(first.code, first.message, fields=fields)
