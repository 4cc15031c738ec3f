"""Forms of the satisfaction pages. They only parse and bound what is typed; every rule of a survey and of an answer is
the service's, whose refusals come back onto the form with their codes."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shanlian.core import fields

from .models import Audience, Survey, SurveyResponse
from .satisfaction_counts import SCALE, SCALE_LABELS
from .selectors_satisfaction import survey_years
from .services.satisfaction import QUESTION_MAX_LENGTH, QUESTIONS_MAX, default_questions

# The audience in these pages' words ("Beneficiaries" alone is already translated as a number of beneficiaries).
AUDIENCES = [(Audience.BENEFICIARY, pgettext_lazy("survey audience", "Beneficiaries")),
             (Audience.RESIDENT, pgettext_lazy("survey audience", "Residents"))]
TEXT = {"class": "form-control"}
SELECT = {"class": "form-select"}
DATE = {**TEXT, "type": "date"}
DEFAULT_DAYS = 30  # a new survey runs a month unless told otherwise


class SurveyFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=64, widget=forms.TextInput(attrs={**TEXT, "type": "search"}))
    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None, choices=[],
                                  widget=forms.Select(attrs=SELECT))
    audience = forms.ChoiceField(label=_("Audience"), required=False, choices=[("", _("All")), *AUDIENCES],
                                 widget=forms.Select(attrs=SELECT))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["year"]).choices = [("", _("All years")), *((y, str(y)) for y in survey_years())]

    def values(self) -> dict[str, Any]:
        """The filters as the selector takes them (a filter that does not parse is dropped, as if not given)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"query": (data.get("q") or "").strip(), "year": data.get("year"), "audience": data.get("audience") or ""}


class SubjectField(forms.ChoiceField):
    """A station or a project, as "station:<id>" or "project:<id>", from the ones the actor may survey; cleans to
    (station, project), one of them None."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stations: dict[str, Any] = {}
        self.projects: dict[str, Any] = {}

    def offer(self, stations: Any, projects: Any) -> None:
        self.stations = {f"station:{s.pk}": s for s in stations}
        self.projects = {f"project:{p.pk}": p for p in projects}
        choices: list[Any] = [("", _("Choose…"))]
        if self.stations:
            choices.append((_("Stations"), [(k, s.name) for k, s in self.stations.items()]))
        if self.projects:
            choices.append((_("Service projects"), [(k, p.title) for k, p in self.projects.items()]))
        self.choices = choices

    def clean(self, value: Any) -> Any:
        key = super().clean(value)
        return self.stations.get(key), self.projects.get(key)


class SurveyForm(forms.Form):
    subject = SubjectField(label=_("Station or project"), widget=forms.Select(attrs=SELECT))
    title = fields.TextField(label=_("Title"), max_length=Survey._meta.get_field("title").max_length,
                             widget=forms.TextInput(attrs=TEXT))
    audience = forms.ChoiceField(label=_("Who answers"), choices=AUDIENCES, initial=Audience.BENEFICIARY,
                                 widget=forms.Select(attrs={**SELECT, "data-sl-audience": "1"}))
    anonymous = forms.BooleanField(label=_("Anonymous (answered without signing in; one answer per phone)"), required=False,
                                   initial=True, widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    questions = fields.TextField(
        label=_("Questions"), multiline=True, max_length=(QUESTION_MAX_LENGTH + 2) * QUESTIONS_MAX,
        widget=forms.Textarea(attrs={**TEXT, "rows": 7, "data-sl-questions": "1"}),
        help_text=_("One question a line, 3 to 10 questions, each answered from 1 (very unsatisfied) to 5 (very satisfied)."))
    opens_on = fields.DateField(label=_("Opens on"), widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    closes_on = fields.DateField(label=_("Closes on"), widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))

    def __init__(self, *args: Any, stations: Any, projects: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(SubjectField, self.fields["subject"]).offer(stations, projects)
        if not self.is_bound:
            today = timezone.localdate()
            self.fields["opens_on"].initial = today
            self.fields["closes_on"].initial = today + dt.timedelta(days=DEFAULT_DAYS)
            self.fields["questions"].initial = "\n".join(default_questions(Audience.BENEFICIARY))

    def question_list(self) -> list[str]:
        return [line.strip() for line in (self.cleaned_data.get("questions") or "").splitlines() if line.strip()]

    @staticmethod
    def defaults() -> dict[str, str]:
        """Each audience's default questions, for the page to offer when the audience changes."""
        return {a: "\n".join(default_questions(a)) for a in Audience.values}


class AnswerForm(forms.Form):
    """One radio group a question (q1 … qN, 1 to 5) and a comment."""

    comment = fields.TextField(label=_("Anything else you would like to tell us (optional)"), required=False, multiline=True,
                               max_length=SurveyResponse._meta.get_field("comment").max_length,
                               widget=forms.Textarea(attrs={**TEXT, "rows": 3}))

    def __init__(self, *args: Any, survey: Survey, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.survey = survey
        choices = [(str(v), str(label)) for v, label in zip(SCALE, SCALE_LABELS, strict=True)]
        for i, text in enumerate(survey.questions or [], start=1):
            self.fields[f"q{i}"] = forms.ChoiceField(label=f"{i}. {text}", choices=choices, widget=forms.RadioSelect,
                                                     error_messages={"required": _("Choose an answer to this question.")})
        self.order_fields([f"q{i}" for i in range(1, len(survey.questions or []) + 1)] + ["comment"])

    def questions(self) -> list[Any]:
        return [self[f"q{i}"] for i in range(1, len(self.survey.questions or []) + 1)]

    def answers(self) -> list[str]:
        return [self.cleaned_data[f"q{i}"] for i in range(1, len(self.survey.questions or []) + 1)]
