"""Forms of the organizer's pages. They only parse: the rules (a shift ends after it starts, 1–500 volunteers,
a reason for a late entry, steps of half an hour ...) are the services', whose errors come back onto the
form with their codes (`core.pages.add_domain_error`)."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core import fields
from shanlian.core.inputs import id_param
from shanlian.orgs.models import Station
from shanlian.places.models import Division

from .models import Category, Shift, Skill

TEXT = {"class": "form-control"}
SELECT = {"class": "form-select"}
WHEN = {**TEXT, "type": "datetime-local"}
WHEN_FORMAT = "%Y-%m-%dT%H:%M"


class _Labelled(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(getattr(obj, "name", obj))


class ShiftChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        start, end = timezone.localtime(obj.starts_at), timezone.localtime(obj.ends_at)
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} · {obj.activity.title}"


def _queryset(form: forms.BaseForm, name: str, queryset: Any) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset


class ActivityForm(forms.Form):
    # One per form shown: the same form sent again (a resend, a second tap) publishes once.
    token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    station = _Labelled(label=_("Station"), queryset=Station.objects.none(), widget=forms.Select(attrs=SELECT))
    title = forms.CharField(label=_("Title"), max_length=128, widget=forms.TextInput(attrs=TEXT))
    category = forms.ChoiceField(label=_("Category"), choices=[("", "—"), *Category.choices],
                                 widget=forms.Select(attrs=SELECT))
    division = _Labelled(label=_("Community"), queryset=Division.objects.none(), widget=forms.Select(attrs=SELECT),
                         help_text=_("Where it takes place: a community of the station's street."))
    place = forms.CharField(label=_("Place"), max_length=200,
                            widget=forms.TextInput(attrs={**TEXT, "placeholder": _("e.g. the community canteen")}))
    description = forms.CharField(label=_("Description"), required=False, max_length=4000,
                                  widget=forms.Textarea(attrs={**TEXT, "rows": 4}))
    skills = forms.MultipleChoiceField(label=_("Skills wanted"), choices=Skill.choices, required=False,
                                       widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))
    quiz_required = forms.BooleanField(label=_("Only volunteers who passed the certification quiz"), required=False,
                                       widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))

    def __init__(self, *args: Any, stations: Any, communities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self, "station", stations)
        _queryset(self, "division", communities)


class ShiftForm(forms.Form):
    """One shift; a row left wholly empty is no shift."""

    starts_at = fields.DateTimeField(label=_("Starts"), required=False, input_formats=[WHEN_FORMAT, "%Y-%m-%d %H:%M"],
                                    widget=forms.DateTimeInput(attrs=WHEN, format=WHEN_FORMAT))
    ends_at = fields.DateTimeField(label=_("Ends"), required=False, input_formats=[WHEN_FORMAT, "%Y-%m-%d %H:%M"],
                                  widget=forms.DateTimeInput(attrs=WHEN, format=WHEN_FORMAT))
    headcount = fields.IntegerField(label=_("Volunteers needed"), required=False,
                                   widget=forms.NumberInput(attrs={**TEXT, "inputmode": "numeric"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        filled = [data.get(k) not in (None, "") for k in ("starts_at", "ends_at", "headcount")]
        if any(filled) and not all(filled):
            raise ValidationError(_("Give each shift a start, an end and a number of volunteers."), code="shift_incomplete")
        return data


ShiftFormSet = forms.formset_factory(ShiftForm, extra=1, max_num=30, absolute_max=30)


def shift_rows(formset: forms.BaseFormSet) -> list[tuple[Any, Any, int]]:
    """The shifts a person filled in, as the service takes them."""
    out = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if data.get("starts_at") and data.get("ends_at") and data.get("headcount") is not None:
            out.append((data["starts_at"], data["ends_at"], int(data["headcount"])))
    return out


HOURS_ACTIONS = [("approve", _("Approve")), ("agency_approve", _("Approve for the agency")), ("decline", _("Decline"))]


class HoursActionForm(forms.Form):
    """The queue's one form: the ticked records, what to do with them, and the reason when declining."""

    action = forms.ChoiceField(choices=HOURS_ACTIONS)
    reason = forms.CharField(label=_("Reason for declining"), max_length=200, required=False,
                             widget=forms.TextInput(attrs={**TEXT, "placeholder": _("e.g. did not attend the whole shift")}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.record_ids: list[int] = []
        if self.data:
            raw = self.data.getlist("record") if hasattr(self.data, "getlist") else self.data.get("record", [])
            self.record_ids = sorted({i for i in map(id_param, raw) if i is not None})[:500]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.record_ids:
            raise ValidationError(_("Tick at least one record."), code="nothing_selected")
        return data


class LateEntryForm(forms.Form):
    shift = ShiftChoiceField(label=_("Shift"), queryset=Shift.objects.none(), widget=forms.Select(attrs=SELECT))
    number = forms.CharField(label=_("Volunteer number"), max_length=20,
                             widget=forms.TextInput(attrs={**TEXT, "autocomplete": "off", "placeholder": "ZY…"}))
    hours = forms.CharField(label=_("Hours"), max_length=8, widget=forms.TextInput(attrs={**TEXT, "inputmode": "decimal"}),
                            help_text=_("In steps of 0.5, at most the shift's length."))
    reason = forms.CharField(label=_("Reason for the late entry"), max_length=200, required=False,
                             widget=forms.TextInput(attrs={**TEXT, "placeholder": _("e.g. the phone had no signal at check-out")}))

    def __init__(self, *args: Any, shifts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self, "shift", shifts)


class CatalogItemForm(forms.Form):
    """A service or good a station offers for credits (its own, or a partner merchant's)."""

    station = _Labelled(label=_("Station"), queryset=Station.objects.none(), widget=forms.Select(attrs=SELECT))
    name = forms.CharField(label=_("Name"), max_length=128, widget=forms.TextInput(attrs={**TEXT, "placeholder": _("e.g. a haircut")}))
    merchant = forms.CharField(label=_("Partner merchant"), max_length=128, required=False,
                               help_text=_("Leave empty when the station itself provides it."), widget=forms.TextInput(attrs=TEXT))
    price = forms.CharField(label=_("Price in credits"), max_length=12,
                            widget=forms.TextInput(attrs={**TEXT, "inputmode": "decimal", "placeholder": "1.5"}))
    stock = fields.IntegerField(label=_("Stock"), min_value=0, max_value=100000, widget=forms.NumberInput(attrs=TEXT))
    per_person_limit = fields.IntegerField(label=_("Limit per person"), min_value=1, max_value=99, initial=1,
                                          widget=forms.NumberInput(attrs=TEXT))
    description = forms.CharField(label=_("Description"), max_length=300, required=False,
                                  widget=forms.Textarea(attrs={**TEXT, "rows": 2}))

    def __init__(self, *args: Any, stations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["station"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = stations
