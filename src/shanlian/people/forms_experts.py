"""Forms of the expert pool's pages; the services check every rule."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shanlian.core import fields
from shanlian.orgs.models import Organization

from .models import ExpertField, TieKind

TEXT = {"class": "form-control"}
SELECT = {"class": "form-select"}
DATE = {"class": "form-control", "type": "date"}


class ProfileForm(forms.Form):
    expertise = forms.MultipleChoiceField(label=_("Fields"), choices=ExpertField.choices, widget=forms.CheckboxSelectMultiple)
    title = fields.TextField(label=_("Professional title"), max_length=64, required=False, widget=forms.TextInput(attrs=TEXT))
    employer = fields.TextField(label=_("Employer"), max_length=128, required=False, widget=forms.TextInput(attrs=TEXT))
    max_load = fields.IntegerField(label=_("Most items per round"), min_value=1, max_value=200, required=False,
                                   widget=forms.NumberInput(attrs=TEXT), help_text=_("Leave empty for no limit."))
    away_from = fields.DateField(label=_("Away from"), required=False, widget=forms.DateInput(attrs=DATE))
    away_until = fields.DateField(label=_("Away until"), required=False, widget=forms.DateInput(attrs=DATE))


class TieForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("Organization"), queryset=Organization.objects.order_by("name"),
                                          widget=forms.Select(attrs=SELECT))
    kind = forms.ChoiceField(label=_("Kind of tie"), choices=TieKind.choices, widget=forms.Select(attrs=SELECT))
    note = fields.TextField(label=_("Note"), max_length=200, required=False, widget=forms.TextInput(attrs=TEXT))
    ended_on = fields.DateField(label=_("Ended on"), required=False, widget=forms.DateInput(attrs=DATE),
                                help_text=_("Leave empty while the tie lasts."))
