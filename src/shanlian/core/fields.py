"""Form fields for pages that hold what the API and the import hold: the same parser, bounds and windows
(core.inputs), refusing with the same codes and messages. A form uses these instead of Django's own fields
wherever a person types an amount, a number, a date or a name."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .errors import ValidationFailed, lazy_format
from .inputs import amount_in, date_window, decimal_in, text_problem

INT64_MAX = 2**63 - 1


def _as_form_error(exc: ValidationFailed) -> ValidationError:
    messages = [ValidationError(str(message), code=code) for errs in exc.fields.values() for code, message in errs]
    return ValidationError(messages or [ValidationError(str(exc.message), code=exc.code)])


class AmountField(forms.CharField):
    """Yuan as Chinese users type them (１２３．５０, 1,280.50, ¥100), within SHANLIAN['LIMITS'][limit]; cleans to Money."""

    def __init__(self, *args: Any, limit: str = "AMOUNT", positive: bool = True, **kwargs: Any) -> None:
        self.limit, self.positive = limit, positive
        kwargs.setdefault("max_length", 40)
        super().__init__(*args, **kwargs)

    def clean(self, value: Any) -> Any:
        text = super().clean(value)
        if text in self.empty_values:
            return None
        try:
            return amount_in(text, maximum=self.limit, positive=self.positive)
        except ValidationFailed as exc:
            raise _as_form_error(exc) from None


class NumberField(forms.CharField):
    """A bounded decimal typed by a person (quantities, hours, credits); cleans to Decimal."""

    def __init__(self, *args: Any, places: int = 2, min_value: Any = 0, max_value: Any, **kwargs: Any) -> None:
        self.places, self.low, self.high = places, Decimal(str(min_value)), Decimal(str(max_value))
        kwargs.setdefault("max_length", 40)
        super().__init__(*args, **kwargs)

    def clean(self, value: Any) -> Any:
        text = super().clean(value)
        if text in self.empty_values:
            return None
        try:
            return decimal_in(text, field="value", places=self.places, minimum=self.low, maximum=self.high)
        except ValidationFailed as exc:
            raise _as_form_error(exc) from None


class IntegerField(forms.IntegerField):
    """Django's IntegerField with a ceiling that fits any database column (a 20-digit page number is refused)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_value", INT64_MAX)
        super().__init__(*args, **kwargs)


class DateField(forms.DateField):
    """A date within the years the system holds (SHANLIAN['DATE_EARLIEST'] to the end of next year)."""

    def clean(self, value: Any) -> Any:
        day = super().clean(value)
        if isinstance(day, dt.date):
            try:
                date_window(day, field="date")
            except ValidationFailed as exc:
                raise _as_form_error(exc) from None
        return day


class DateTimeField(forms.DateTimeField):
    """A date and time within the same window as DateField."""

    def clean(self, value: Any) -> Any:
        moment = super().clean(value)
        if isinstance(moment, dt.datetime):
            try:
                date_window(moment.date(), field="date")
            except ValidationFailed as exc:
                raise _as_form_error(exc) from None
        return moment


class TextField(forms.CharField):
    """Text a person types: refused (never cut) past max_length, refused with control characters; single-line text
    (names, titles) also refuses direction overrides and zero-width marks."""

    def __init__(self, *args: Any, multiline: bool = False, **kwargs: Any) -> None:
        self.multiline = multiline
        super().__init__(*args, **kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        problem = text_problem(value or "", max_length=self.max_length, multiline=self.multiline)
        if problem is not None:
            raise ValidationError(problem[1], code=problem[0])


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern), cleaned to a list; `accept`: what the picker offers
    (the service still checks each file)."""

    def __init__(self, *args: Any, accept: str, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"class": "form-control", "accept": accept}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class UploadField(forms.FileField):
    """One uploaded file, cleaned to its bytes; refused past `max_bytes` before it is read whole (the reader then
    checks what is inside)."""

    def __init__(self, *args: Any, max_bytes: int, accept: str, **kwargs: Any) -> None:
        self.max_bytes = max_bytes
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"class": "form-control", "accept": accept}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        if upload is None or upload is False:
            return upload
        if upload.size is not None and upload.size > self.max_bytes:
            raise ValidationError(lazy_format(_("The file is too large: at most %(mb)s MB."), {"mb": self.max_bytes // (1024 * 1024)}),
                                  code="file_too_large")
        return bytes(upload.read(self.max_bytes + 1))
