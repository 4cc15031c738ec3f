"""Forms of the micro-wishes' pages: they parse and bound what is typed on a phone; every rule is the service's, whose
refusals come back onto the form with their codes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shanlian.cases.forms import ObjectChoiceField
from shanlian.core import fields
from shanlian.core.inputs import id_param

from .models import AckBy, AckHow, ClaimKind, FulfilmentKind, WishFor, WishKind, WishStatus
from .services import MESSAGE_MAX, NOTE_MAX

TEXT = {"class": "form-control"}
AREA = {"class": "form-control", "rows": 3}
SELECT = {"class": "form-select"}
DATE = {**TEXT, "type": "date"}
MONEY = {**TEXT, "inputmode": "decimal", "placeholder": "180.00"}


def _text(label: Any, max_length: int, required: bool = False, multiline: bool = False, **attrs: Any) -> fields.TextField:
    widget = forms.Textarea(attrs={**AREA, **attrs}) if multiline else forms.TextInput(attrs={**TEXT, **attrs})
    return fields.TextField(label=label, max_length=max_length, required=required, multiline=multiline, widget=widget)


def _date(label: Any, required: bool = True) -> fields.DateField:
    return fields.DateField(label=label, required=required, widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))


def _id(raw: Any) -> int | None:
    return id_param(raw) if raw not in (None, "") else None


class WallFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("Wishes to show"), required=False, widget=forms.Select(attrs=SELECT), choices=[
        ("open", _("Open wishes")), ("claimed", _("Claimed")), ("done", _("Wishes fulfilled"))])
    district = forms.ChoiceField(label=_("District"), required=False, widget=forms.Select(attrs=SELECT))
    street = forms.ChoiceField(label=_("Street"), required=False, widget=forms.Select(attrs=SELECT))
    kind = forms.ChoiceField(label=_("Kind"), required=False, widget=forms.Select(attrs=SELECT),
                             choices=[("", _("All kinds")), *WishKind.choices])

    def __init__(self, *args: Any, districts: Any = (), streets: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [("", _("All districts")), *((str(d.pk), d.name) for d in districts)]  # type: ignore[attr-defined]
        self.fields["street"].choices = [("", _("All streets")), *((str(s.pk), s.name) for s in streets)]  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        if not self.is_bound or not self.is_valid():
            return {}
        d = self.cleaned_data
        return {"state": d["state"] or "open", "district_id": _id(d["district"]), "street_id": _id(d["street"]), "kind": d["kind"]}


class StationFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=40, widget=forms.TextInput(attrs={**TEXT, "type": "search"}))
    status = forms.ChoiceField(label=_("Status"), required=False, widget=forms.Select(attrs=SELECT),
                               choices=[("", _("All")), *WishStatus.choices])

    def values(self) -> dict[str, Any]:
        if not self.is_bound or not self.is_valid():
            return {}
        return {"query": self.cleaned_data["q"].strip(), "status": self.cleaned_data["status"]}


class _WishFields(forms.Form):
    title = _text(_("What (shown on the wall)"), 40, required=True, placeholder=_("e.g. an electric fan"))
    description = _text(_("Description for the wall"), 300, multiline=True)
    private_note = _text(_("Private note (the station only)"), NOTE_MAX, multiline=True)
    wish_for = forms.ChoiceField(label=_("For (as the wall says it)"), choices=WishFor.choices, widget=forms.Select(attrs=SELECT))
    kind = forms.ChoiceField(label=_("Kind"), choices=WishKind.choices, widget=forms.Select(attrs=SELECT))
    value = forms.CharField(label=_("Value (yuan)"), max_length=40, widget=forms.TextInput(attrs=MONEY))
    needed_by = _date(_("Needed by"))


class WishForm(_WishFields):
    beneficiary = ObjectChoiceField(label=_("Beneficiary"), widget=forms.Select(attrs=SELECT))
    field_order = ["beneficiary"]

    def __init__(self, *args: Any, beneficiaries: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["beneficiary"].offer(beneficiaries, lambda b: f"{b.person.real_name} · {b.station.name}")  # type: ignore[attr-defined]


class WishEditForm(_WishFields):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)


class CancelForm(forms.Form):
    reason = _text(_("Why is it cancelled?"), 200, required=True)


class MessageForm(forms.Form):
    text = _text(_("Message to the claimant (where and when to hand over)"), MESSAGE_MAX, required=True, multiline=True)


class ReplyForm(forms.Form):
    text = _text(_("Reply to the station"), MESSAGE_MAX, required=True, multiline=True)


class FulfilForm(forms.Form):
    kind = forms.ChoiceField(label=_("Given as"), choices=FulfilmentKind.choices, widget=forms.Select(attrs=SELECT))
    value = forms.CharField(label=_("Value (yuan)"), max_length=40, widget=forms.TextInput(attrs=MONEY))
    goods_item = _text(_("Goods"), 64)
    goods_quantity = forms.CharField(label=_("Quantity"), required=False, max_length=40,
                                     widget=forms.TextInput(attrs={**TEXT, "inputmode": "decimal"}))
    goods_unit = _text(_("Unit"), 16)
    channel = forms.ChoiceField(label=_("Money given by"), required=False, widget=forms.Select(attrs=SELECT),
                                choices=[("cash", _("Cash")), ("transfer", _("Bank transfer"))])
    project = ObjectChoiceField(label=_("Restricted to the project"), required=False, widget=forms.Select(attrs=SELECT))
    delivered_on = _date(_("Delivered on"))
    note = _text(_("Note"), 200)

    def __init__(self, *args: Any, projects: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].offer(projects)  # type: ignore[attr-defined]
        self.fields["project"].choices = [("", _("None: the fund's general money")), *self.fields["project"].choices[1:]]  # type: ignore[attr-defined]


class ConfirmForm(forms.Form):
    photo = forms.FileField(label=_("Photo of the hand-over"), required=False,
                            widget=forms.ClearableFileInput(attrs={**TEXT, "accept": ".jpg,.jpeg,.png", "capture": "environment"}))
    acknowledged_by = forms.ChoiceField(label=_("Acknowledged by"), required=False, widget=forms.Select(attrs=SELECT),
                                        choices=[("", _("Choose…")), *AckBy.choices])
    acknowledged_how = forms.ChoiceField(label=_("How"), required=False, widget=forms.Select(attrs=SELECT),
                                         choices=[("", _("Choose…")), *AckHow.choices])
    acknowledged_on = _date(_("On"), required=False)
    note = _text(_("Note"), 200)


class ClaimForm(forms.Form):
    kind = forms.ChoiceField(label=_("I claim"), choices=ClaimKind.choices, initial=ClaimKind.SELF,
                             widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    party_branch = _text(_("Party branch (optional)"), 64, placeholder=_("e.g. the party branch of a company"))
    party_members = forms.CharField(label=_("Party members taking part"), required=False, max_length=6,
                                    widget=forms.TextInput(attrs={**TEXT, "inputmode": "numeric"}))
    company_name = _text(_("Company or organization"), 100)
    credit_code = _text(_("Unified social credit code (optional)"), 18, autocapitalize="characters")
    contact = _text(_("How the station reaches you (phone or WeChat, optional)"), 64)
