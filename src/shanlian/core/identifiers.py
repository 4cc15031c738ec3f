"""Checks for Chinese identifiers, with python-stdnum and phonenumbers doing the arithmetic.

Each returns the normalised value or raises ValidationFailed with a field-specific code.
"""

from __future__ import annotations

import datetime as dt

import phonenumbers
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

from .errors import ValidationFailed


def clean_resident_id(value: str) -> str:
    number = (value or "").strip().upper().replace(" ", "")
    try:
        number = ric.validate(number)
    except StdnumError:
        raise ValidationFailed(
            "invalid_resident_id",
            _("This is not a valid resident ID number (18 characters, GB 11643 check digit)."),
        ) from None
    if ric.get_birth_date(number) > dt.date.today():
        raise ValidationFailed("invalid_resident_id", _("The birth date in this resident ID is in the future."))
    return number


def clean_credit_code(value: str) -> str:
    code = (value or "").strip().upper().replace(" ", "").replace("-", "")
    try:
        return uscc.validate(code)
    except StdnumError:
        raise ValidationFailed(
            "invalid_credit_code",
            _("This is not a valid unified social credit code (18 characters, GB 32100 check digit)."),
        ) from None


def clean_phone(value: str) -> str:
    """A mainland mobile or landline number, returned in national digits (13800138000, 02083001234)."""
    raw = (value or "").strip()
    try:
        parsed = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or parsed.country_code != 86 or not phonenumbers.is_valid_number(parsed):
        raise ValidationFailed("invalid_phone", _("This is not a valid mainland China phone number."))
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return "".join(ch for ch in national if ch.isdigit())


def clean_division_code(value: str, *, level_digits: int) -> str:
    code = (value or "").strip()
    if not code.isdigit() or len(code) != level_digits:
        raise ValidationFailed(
            "invalid_division_code",
            _("A division code here has %(n)d digits.") % {"n": level_digits},
        )
    return code
