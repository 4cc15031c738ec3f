"""Forms of the volunteer's pages. They only shape input; the services decide what is allowed and
answer with their own codes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shanlian.places.models import Division

from .models import FamilyLink, Skill
from .services.volunteers import AVAILABILITY

AVAILABILITY_LABELS = {
    "weekday_am": _("Weekday mornings"),
    "weekday_pm": _("Weekday afternoons"),
    "weekday_eve": _("Weekday evenings"),
    "sat_am": _("Saturday mornings"),
    "sat_pm": _("Saturday afternoons"),
    "sun_am": _("Sunday mornings"),
    "sun_pm": _("Sunday afternoons"),
}


class RegisterForm(forms.Form):
    station = forms.TypedChoiceField(label=_("Home station"), coerce=int,
                                     help_text=_("The station of the street you live or serve in."))
    skills = forms.MultipleChoiceField(label=_("Skills"), required=False, choices=Skill.choices,
                                       widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))
    availability = forms.MultipleChoiceField(label=_("When you can serve"), required=False,
                                             choices=[(a, AVAILABILITY_LABELS[a]) for a in AVAILABILITY],
                                             widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))
    service_areas = forms.ModelMultipleChoiceField(label=_("Communities you serve"), required=False, queryset=Division.objects.none(),
                                                   widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))
    party_member = forms.BooleanField(label=_("I am a member of the Communist Party of China"), required=False)
    party_consent = forms.BooleanField(
        label=_("I agree that my party membership is recorded for the station's statistics"), required=False,
        help_text=_("Optional. Without your consent it is not recorded."))

    def __init__(self, *args: Any, stations: list[Any], communities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        station_field = self.fields["station"]
        assert isinstance(station_field, forms.TypedChoiceField)
        station_field.choices = [(s.pk, s.name) for s in stations]
        areas = self.fields["service_areas"]
        assert isinstance(areas, forms.ModelMultipleChoiceField)
        areas.queryset = communities
        self.fields["station"].widget.attrs["class"] = "form-select"
        for name in ("party_member", "party_consent"):
            self.fields[name].widget.attrs["class"] = "form-check-input"


class GiveCreditsForm(forms.Form):
    to = forms.CharField(label=_("Give to"), widget=forms.RadioSelect)
    amount = forms.CharField(label=_("Credits (hours, in half hours)"), max_length=12,
                             widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "class": "form-control"}))
    idempotency_key = forms.CharField(required=False, max_length=128, widget=forms.HiddenInput)

    def __init__(self, *args: Any, family: list[FamilyLink], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(f"v{link.member_id}", f"{link.member.person.real_name}（{link.get_relation_display()}）") for link in family]
        choices.append(("pool", str(_("The community pool (for residents in need)"))))
        self.fields["to"].widget.choices = choices


class FamilyForm(forms.Form):
    number = forms.CharField(label=_("Their volunteer number"), max_length=20,
                             widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "ZY2026…", "autocomplete": "off"}))
    real_name = forms.CharField(label=_("Their real name"), max_length=32,
                                help_text=_("Both must match the volunteer's registration."),
                                widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}))
    relation = forms.ChoiceField(label=_("Relation"), choices=FamilyLink.Relation.choices,
                                 widget=forms.Select(attrs={"class": "form-select"}))
