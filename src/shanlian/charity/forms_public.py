"""Query forms of the public disclosure pages and the compliance dashboard (GET only; nothing is written)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core import fields

FORMATS = [("", _("Page")), ("csv", "CSV"), ("xlsx", "Excel (XLSX)")]


class PublicSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"), required=False, max_length=64,
        widget=forms.TextInput(attrs={"class": "form-control", "type": "search", "autocomplete": "off",
                                      "placeholder": _("Fund, campaign, street or federation")}),
    )

    def query(self) -> str:
        if self.is_bound and self.is_valid():
            return str(self.cleaned_data["q"]).strip()
        return ""


class DisclosureQueryForm(forms.Form):
    """Period, statement cursor, donors page and download format of a disclosure page."""

    start = fields.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}))
    end = fields.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}))
    cursor = fields.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    page = fields.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    format = forms.ChoiceField(required=False, choices=FORMATS, widget=forms.HiddenInput)
    all = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            raise ValidationError(_("The end of the period is before its start."), code="invalid_period")
        if start and start > timezone.localdate():
            raise ValidationError(_("The period starts in the future."), code="period_in_future")
        return data

    def value(self, name: str) -> Any:
        return self.cleaned_data.get(name) if self.is_bound and self.is_valid() else None

    def period(self, *, default_months: int) -> tuple[dt.date | None, dt.date | None, bool]:
        """(start, end, is_default): the chosen period; everything with ?all=1; otherwise the last
        `default_months` whole months up to today, which is what a visitor wants first and keeps a
        busy fund's page as fast as a quiet one's."""
        start, end = self.value("start"), self.value("end")
        if start or end:
            return start, end, False
        if self.value("all"):
            return None, None, False
        today = timezone.localdate()
        month0 = today.year * 12 + today.month - 1 - (default_months - 1)
        return dt.date(month0 // 12, month0 % 12 + 1, 1), None, True

    def error_codes(self) -> list[str]:
        return [e.code or "invalid" for errs in self.errors.as_data().values() for e in errs]


class YearForm(forms.Form):
    year = fields.IntegerField(label=_("Year"), required=False, min_value=2000, max_value=2100,
                              widget=forms.NumberInput(attrs={"class": "form-control"}))

    def year_or_current(self) -> int:
        if self.is_bound and self.is_valid() and self.cleaned_data.get("year"):
            return int(self.cleaned_data["year"])
        return timezone.localdate().year


def years_choice(today: dt.date | None = None, back: int = 5) -> list[int]:
    year = (today or timezone.localdate()).year
    return list(range(year, year - back, -1))
