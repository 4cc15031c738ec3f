"""Forms of the project registry's pages: they parse and bound what is typed; the services decide the rest."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from shanlian.charity.models import Purpose
from shanlian.core import fields

from .models import BrandStage, ProjectOrigin, ProjectStatus
from .services.projects import MAX_BENEFICIARIES, MAX_PERSON_TIMES, MAX_SESSIONS, PLAN_TEXT_MAX, REPORT_MAX, SUMMARY_MAX

TEXT = {"class": "form-control"}
SELECT = {"class": "form-select"}
NUMBER = {**TEXT, "inputmode": "numeric", "autocomplete": "off"}
DATE = {**TEXT, "type": "date"}


def _any(choices: Any) -> list[tuple[str, Any]]:
    return [("", _("All")), *choices]


class ProjectFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=64, widget=forms.TextInput(attrs={**TEXT, "type": "search"}))
    area = forms.ChoiceField(label=_("Service area"), required=False, choices=_any(Purpose.choices), widget=forms.Select(attrs=SELECT))
    station = forms.TypedChoiceField(label=_("Station"), required=False, coerce=int, empty_value=None, choices=[],
                                     widget=forms.Select(attrs=SELECT))
    origin = forms.ChoiceField(label=_("Origin"), required=False, choices=_any(ProjectOrigin.choices), widget=forms.Select(attrs=SELECT))
    brand_stage = forms.ChoiceField(label=_("Brand list"), required=False, choices=_any(BrandStage.choices),
                                    widget=forms.Select(attrs=SELECT))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=_any(ProjectStatus.choices), widget=forms.Select(attrs=SELECT))

    def __init__(self, *args: Any, stations: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["station"]).choices = [("", _("All")), *((s.pk, s.name) for s in stations)]

    def values(self) -> dict[str, Any]:
        """The filters as the selector takes them (a filter that does not parse is dropped, as if not given)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"query": (data.get("q") or "").strip(), "area": data.get("area") or "", "station_id": data.get("station"),
                "origin": data.get("origin") or "", "brand_stage": data.get("brand_stage") or "", "status": data.get("status") or ""}


class CommissionForm(forms.Form):
    title = fields.TextField(label=_("Title"), max_length=64, widget=forms.TextInput(attrs=TEXT))
    area = forms.ChoiceField(label=_("Service area"), choices=Purpose.choices, widget=forms.Select(attrs=SELECT))
    lead: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Lead organization"), queryset=None, widget=forms.Select(attrs=SELECT))
    fund: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Fund"), queryset=None, required=False, widget=forms.Select(attrs=SELECT),
                                  help_text=_("The fund paying for it, if any; its station is the project's."))
    station: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Station"), queryset=None, required=False, widget=forms.Select(attrs=SELECT))
    summary = fields.TextField(label=_("Summary"), max_length=SUMMARY_MAX, multiline=True, widget=forms.Textarea(attrs={**TEXT, "rows": 4}))
    beneficiaries = fields.TextField(label=_("Beneficiaries"), max_length=200, widget=forms.TextInput(attrs=TEXT))
    beneficiary_count = fields.IntegerField(label=_("Number of beneficiaries"), min_value=1, max_value=MAX_BENEFICIARIES,
                                            widget=forms.NumberInput(attrs=NUMBER))
    starts_on = forms.DateField(label=_("Starts on"), widget=forms.DateInput(attrs=DATE))
    ends_on = forms.DateField(label=_("Ends on"), widget=forms.DateInput(attrs=DATE))

    def __init__(self, *args: Any, leads: Any, funds: Any, stations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["lead"]).queryset = leads
        cast(forms.ModelChoiceField, self.fields["fund"]).queryset = funds
        cast(forms.ModelChoiceField, self.fields["station"]).queryset = stations


class ProgressForm(forms.Form):
    period_end = forms.DateField(label=_("Up to"), widget=forms.DateInput(attrs=DATE))
    text = fields.TextField(label=_("What was done"), max_length=REPORT_MAX, multiline=True,
                            widget=forms.Textarea(attrs={**TEXT, "rows": 4}))
    person_times = fields.IntegerField(label=_("Person-times served"), min_value=0, max_value=MAX_PERSON_TIMES,
                                       widget=forms.NumberInput(attrs=NUMBER))
    sessions = fields.IntegerField(label=_("Sessions held"), min_value=0, max_value=MAX_SESSIONS, widget=forms.NumberInput(attrs=NUMBER))
    milestone = forms.TypedChoiceField(label=_("Milestone reached"), required=False, coerce=int, empty_value=None, choices=[],
                                       widget=forms.Select(attrs=SELECT))
    photos = fields.MultipleFileField(label=_("Photos (JPEG or PNG, up to 9)"), required=False,
                                      accept=".jpg,.jpeg,.png,image/jpeg,image/png")

    def __init__(self, *args: Any, milestones: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["milestone"]).choices = [("", _("None")), *((m.n, f"{m.n}. {m.title}") for m in milestones)]
        if not milestones:
            del self.fields["milestone"]


class BrandStageForm(forms.Form):
    STAGES = [("cultivating", _("Add to the brand list (cultivate)")), ("brand", _("Matured: a brand project")),
              ("none", _("Take off the brand list"))]
    stage = forms.ChoiceField(label=_("Brand list"), choices=STAGES, widget=forms.Select(attrs=SELECT))
    reason = fields.TextField(label=_("Reason"), max_length=200, widget=forms.TextInput(attrs=TEXT))


class BrandPlanForm(forms.Form):
    year = fields.IntegerField(label=_("Year"), min_value=2000, max_value=2100, widget=forms.NumberInput(attrs=NUMBER))
    goals = fields.TextField(label=_("Goals"), max_length=PLAN_TEXT_MAX, multiline=True, widget=forms.Textarea(attrs={**TEXT, "rows": 3}))
    actions = fields.TextField(label=_("Actions"), max_length=PLAN_TEXT_MAX, multiline=True,
                               widget=forms.Textarea(attrs={**TEXT, "rows": 3}))
    owner = fields.TextField(label=_("Responsible person"), max_length=64, widget=forms.TextInput(attrs=TEXT))
    review_on = forms.DateField(label=_("Review date"), widget=forms.DateInput(attrs=DATE))


class PlanReviewForm(forms.Form):
    met = forms.TypedChoiceField(label=_("Goals"), coerce=lambda v: v == "yes",
                                 choices=[("yes", _("Goals met")), ("no", _("Goals not met"))], widget=forms.Select(attrs=SELECT))
    note = fields.TextField(label=_("Review note"), max_length=500, widget=forms.Textarea(attrs={**TEXT, "rows": 2}))


class CloseForm(forms.Form):
    report = fields.TextField(label=_("Closing report"), max_length=REPORT_MAX, multiline=True,
                              widget=forms.Textarea(attrs={**TEXT, "rows": 3}))

