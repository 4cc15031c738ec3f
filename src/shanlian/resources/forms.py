"""Forms of the resource hub's pages. They parse and bound what is typed; every rule is the service's, whose refusals
come back onto the form with their codes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core import fields
from shanlian.orgs.models import Station

from .models import Delivery, Need, Offer, Partner, PartnerKind, PartnerMember, ResourceKind

TEXT = {"class": "form-control"}
SELECT = {"class": "form-select"}
DATE = {**TEXT, "type": "date"}
NUMBER = {**TEXT, "inputmode": "decimal"}


def _division_label(d: Any) -> str:
    return ("· " * d.depth) + d.name


class ObjectChoiceField(forms.ChoiceField):
    """A choice among given objects by id; cleans to the object."""

    def offer(self, objects: Any, label: Any = str, key: Any = None) -> None:
        self.objects = {(key(o) if key else str(o.pk)): o for o in objects}
        self.choices = [("", _("Choose…")), *((k, label(o)) for k, o in self.objects.items())]

    def clean(self, value: Any) -> Any:
        key = super().clean(value)
        return self.objects.get(key) if key else None


def owner_key(owner: Any) -> str:
    return f"{'station' if isinstance(owner, Station) else 'org'}:{owner.pk}"


class FilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=64, widget=forms.TextInput(attrs={**TEXT, "type": "search"}))
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All")), *ResourceKind.choices],
                             widget=forms.Select(attrs=SELECT))

    def values(self) -> dict[str, Any]:
        if not self.is_bound or not self.is_valid():
            return {}
        return {"query": self.cleaned_data["q"].strip(), "kind": self.cleaned_data["kind"]}


class PartnerForm(forms.Form):
    name = fields.TextField(label=_("Name"), max_length=Partner._meta.get_field("name").max_length, widget=forms.TextInput(attrs=TEXT))
    kind = forms.ChoiceField(label=_("Kind"), choices=PartnerKind.choices, widget=forms.Select(attrs=SELECT))
    division = ObjectChoiceField(label=_("Based in"), widget=forms.Select(attrs=SELECT))
    contact = fields.TextField(label=_("Contact"), required=False, max_length=Partner._meta.get_field("contact").max_length,
                               widget=forms.TextInput(attrs=TEXT))

    def __init__(self, *args: Any, divisions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["division"].offer(divisions, _division_label)  # type: ignore[attr-defined]


class _Located(forms.Form):
    latitude = fields.NumberField(label=_("Latitude"), required=False, places=6, min_value=-90, max_value=90,
                                  widget=forms.TextInput(attrs=NUMBER))
    longitude = fields.NumberField(label=_("Longitude"), required=False, places=6, min_value=-180, max_value=180,
                                   widget=forms.TextInput(attrs=NUMBER))


class OfferForm(_Located):
    partner = ObjectChoiceField(label=_("Partner"), widget=forms.Select(attrs=SELECT))
    category = ObjectChoiceField(label=_("Category"), widget=forms.Select(attrs=SELECT))
    title = fields.TextField(label=_("Title"), max_length=Offer._meta.get_field("title").max_length, widget=forms.TextInput(attrs=TEXT))
    quantity = forms.CharField(label=_("Quantity (yuan for money)"), max_length=40, widget=forms.TextInput(attrs=NUMBER))
    division = ObjectChoiceField(label=_("Serves (this area and everything in it)"), widget=forms.Select(attrs=SELECT))
    available_from = fields.DateField(label=_("Available from"), widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    available_until = fields.DateField(label=_("Available until"), required=False,
                                       widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    reach_km = fields.IntegerField(label=_("Also serves needs within (km)"), required=False, min_value=1, max_value=200,
                                   widget=forms.NumberInput(attrs=TEXT))
    description = fields.TextField(label=_("Description"), required=False, multiline=True,
                                   max_length=Offer._meta.get_field("description").max_length,
                                   widget=forms.Textarea(attrs={**TEXT, "rows": 3}))
    field_order = ["partner", "category", "title", "quantity", "division", "available_from", "available_until", "latitude",
                   "longitude", "reach_km", "description"]

    def __init__(self, *args: Any, partners: Any, categories: Any, divisions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields(self.field_order)
        self.fields["partner"].offer(partners)  # type: ignore[attr-defined]
        self.fields["category"].offer(categories, lambda c: f"{c.get_kind_display()} · {c.name}（{c.unit}）")  # type: ignore[attr-defined]
        self.fields["division"].offer(divisions, _division_label)  # type: ignore[attr-defined]
        if not self.is_bound:
            self.fields["available_from"].initial = timezone.localdate()


class NeedForm(_Located):
    owner = ObjectChoiceField(label=_("Station or organization"), widget=forms.Select(attrs=SELECT))
    category = ObjectChoiceField(label=_("Category"), widget=forms.Select(attrs=SELECT))
    title = fields.TextField(label=_("Title"), max_length=Need._meta.get_field("title").max_length, widget=forms.TextInput(attrs=TEXT))
    quantity = forms.CharField(label=_("Quantity (yuan for money)"), max_length=40, widget=forms.TextInput(attrs=NUMBER))
    division = ObjectChoiceField(label=_("Area"), widget=forms.Select(attrs=SELECT))
    needed_by = fields.DateField(label=_("Needed by"), widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    description = fields.TextField(label=_("Description"), required=False, multiline=True,
                                   max_length=Need._meta.get_field("description").max_length,
                                   widget=forms.Textarea(attrs={**TEXT, "rows": 3}))
    field_order = ["owner", "category", "title", "quantity", "division", "needed_by", "latitude", "longitude", "description"]

    def __init__(self, *args: Any, owners: list[Any], categories: Any, divisions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields(self.field_order)
        self.fields["owner"].offer(owners, lambda o: o.name, key=owner_key)  # type: ignore[attr-defined]
        self.fields["category"].offer(categories, lambda c: f"{c.get_kind_display()} · {c.name}（{c.unit}）")  # type: ignore[attr-defined]
        self.fields["division"].offer(divisions, _division_label)  # type: ignore[attr-defined]


class DeliveryForm(forms.Form):
    quantity = forms.CharField(label=_("Quantity delivered (yuan for money)"), max_length=40, widget=forms.TextInput(attrs=NUMBER))
    delivered_on = fields.DateField(label=_("Delivered on"), widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    note = fields.TextField(label=_("Note"), required=False, max_length=Delivery._meta.get_field("note").max_length,
                            widget=forms.TextInput(attrs=TEXT))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["delivered_on"].initial = timezone.localdate()


class OfferEditForm(OfferForm):
    """An offer's edit: its partner and category stay; `version` is the one the page was read at."""

    version = forms.IntegerField(min_value=1, max_value=2_000_000_000, widget=forms.HiddenInput)

    def __init__(self, *args: Any, divisions: Any, **kwargs: Any) -> None:
        super().__init__(*args, partners=[], categories=[], divisions=divisions, **kwargs)
        del self.fields["partner"], self.fields["category"]

    @classmethod
    def initial_of(cls, offer: Offer, quantity: Any) -> dict[str, Any]:
        return {"title": offer.title, "quantity": quantity, "division": str(offer.division_id),
                "available_from": offer.available_from, "available_until": offer.available_until, "latitude": offer.latitude,
                "longitude": offer.longitude, "reach_km": offer.reach_km, "description": offer.description,
                "version": offer.version}


class MemberForm(forms.Form):
    username = fields.TextField(label=_("Their login name"), max_length=150, widget=forms.TextInput(attrs=TEXT))
    title = fields.TextField(label=_("Position"), required=False, max_length=PartnerMember._meta.get_field("title").max_length,
                             widget=forms.TextInput(attrs=TEXT))
