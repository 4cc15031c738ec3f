"""Checks for Chinese identifiers, with python-stdnum and phonenumbers doing the arithmetic.

Each returns the normalised value or raises ValidationFailed with a field-specific code.
"""

from __future__ import annotations

import datetime as dt

import phonenumbers
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

from .errors import ValidationFailed, lazy_format


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


_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_code_check_digit(body: str) -> str:
    """GB 11714 check character of an 8-character organization code body (A=10 … Z=35)."""
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, _ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def clean_credit_code(value: str) -> str:
    """GB 32100 code: stdnum checks the last character; we also check the embedded GB 11714
    organization code (characters 9–17), which stdnum leaves alone, to catch more typos."""
    code = (value or "").strip().upper().replace(" ", "").replace("-", "")
    message = _("This is not a valid unified social credit code (18 characters, GB 32100 check digit).")
    try:
        code = uscc.validate(code)
    except StdnumError:
        raise ValidationFailed("invalid_credit_code", message) from None
    if org_code_check_digit(code[8:16]) != code[16]:
        raise ValidationFailed("invalid_credit_code", message)
    return code


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
    if not (code.isascii() and code.isdigit()) or len(code) != level_digits:
        raise ValidationFailed(
            "invalid_division_code",
            lazy_format(_("A division code here has %(n)d digits."), {"n": level_digits}),
        )
    return code
