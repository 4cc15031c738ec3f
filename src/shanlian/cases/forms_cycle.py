"""Forms of the case cycle's pages: they parse and bound what a worker types on a phone; every rule is the services',
whose refusals come back onto the form with their codes. The assessment form is built from the instrument's data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shanlian.core import fields

from . import instruments
from .forms import AREA, DATE, SELECT, TEXT, ObjectChoiceField, ObjectsField
from .models import AssessmentKind, CareKind, CaseSource, GoalResult, RecordKind, ReferralStatus, ReviewKind
from .models.cycle import MINUTES_MAX, PERSON_TIMES_MAX, VISIT_DAYS_MAX
from .services_cycle import GOALS_MAX, NOTES_MAX, PROBLEM_MAX, REASON_MAX

NUMBER = {**TEXT, "inputmode": "numeric"}
GOAL_ROWS = 4
assert GOAL_ROWS <= GOALS_MAX


def _date(label: Any, required: bool = True) -> fields.DateField:
    return fields.DateField(label=label, required=required, widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))


def _today_initial(form: forms.Form, *names: str) -> None:
    if not form.is_bound:
        for name in names:
            form.fields[name].initial = timezone.localdate()


def _version() -> forms.IntegerField:
    return forms.IntegerField(min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)


def user_label(user: Any) -> str:
    person = getattr(user, "person", None)
    return person.real_name if person is not None else user.get_full_name() or user.get_username()


class CaseOpenForm(forms.Form):
    source = forms.ChoiceField(label=_("Source"), choices=CaseSource.choices, widget=forms.Select(attrs=SELECT))
    problem = fields.TextField(label=_("Presenting problem"), max_length=PROBLEM_MAX, multiline=True,
                               widget=forms.Textarea(attrs=AREA), help_text=_("Kept encrypted; seen only by the case team."))
    opened_on = _date(pgettext_lazy("case", "Opened on"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _today_initial(self, "opened_on")


class CaseEditForm(forms.Form):
    version = _version()
    owner = ObjectChoiceField(label=_("Case worker"), widget=forms.Select(attrs=SELECT))
    source = forms.ChoiceField(label=_("Source"), choices=CaseSource.choices, widget=forms.Select(attrs=SELECT))
    problem = fields.TextField(label=_("Presenting problem"), max_length=PROBLEM_MAX, multiline=True,
                               widget=forms.Textarea(attrs=AREA), help_text=_("Kept encrypted; seen only by the case team."))

    def __init__(self, *args: Any, staff: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].offer(staff, user_label)  # type: ignore[attr-defined]


class AssessmentForm(forms.Form):
    """One radio choice per item of the instrument, with each option's score in its label."""

    kind = forms.ChoiceField(label=_("Kind"), choices=AssessmentKind.choices, widget=forms.Select(attrs=SELECT))
    assessed_on = _date(_("Assessed on"))
    notes = fields.TextField(label=_("Notes"), required=False, max_length=NOTES_MAX, multiline=True,
                             widget=forms.Textarea(attrs=AREA))

    def __init__(self, *args: Any, instrument: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _today_initial(self, "assessed_on")
        self.items = []
        for item in instrument.items:
            name = f"item_{item['key']}"
            self.fields[name] = forms.ChoiceField(
                label=instruments.text(item, "text"), widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                choices=[(o["value"], instruments.text(o, "label")) for o in item["options"]])
            self.items.append(name)

    def answers(self) -> dict[str, str]:
        return {name.removeprefix("item_"): self.cleaned_data[name] for name in self.items}


PLAN_DAYS = 182


class PlanForm(forms.Form):
    version = forms.IntegerField(min_value=1, max_value=2**31 - 1, required=False, widget=forms.HiddenInput)
    summary = fields.TextField(label=_("Summary of the plan"), required=False, max_length=NOTES_MAX, multiline=True,
                               widget=forms.Textarea(attrs=AREA))
    starts_on = _date(_("From"))
    ends_on = _date(_("To"))
    home_visit_days = forms.IntegerField(label=_("Home visit every (days)"), required=False, min_value=1, max_value=VISIT_DAYS_MAX,
                                         widget=forms.NumberInput(attrs=NUMBER),
                                         help_text=_("Leave empty for the default rhythm (elders living alone)."))
    submit_now = forms.BooleanField(label=_("Submit to the supervisor for approval"), required=False,
                                    widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))

    def __init__(self, *args: Any, instruments_offered: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound and not self.initial.get("starts_on"):  # a new plan: from today, for half a year
            self.fields["starts_on"].initial = timezone.localdate()
            self.fields["ends_on"].initial = timezone.localdate() + dt.timedelta(days=PLAN_DAYS)
        for n in range(1, GOAL_ROWS + 1):
            self.fields[f"goal_{n}_text"] = fields.TextField(label=_("What is to be achieved"), required=n == 1, max_length=200,
                                                             widget=forms.TextInput(attrs=TEXT))
            self.fields[f"goal_{n}_care_kind"] = forms.ChoiceField(label=_("Kind of care"), required=False,
                                                                   choices=[("", _("Choose…")), *CareKind.choices],
                                                                   widget=forms.Select(attrs=SELECT))
            field = ObjectChoiceField(label=_("Measured with (optional)"), required=False, widget=forms.Select(attrs=SELECT))
            field.offer(instruments_offered)
            self.fields[f"goal_{n}_instrument"] = field
            self.fields[f"goal_{n}_target"] = forms.IntegerField(label=_("Target score"), required=False, min_value=-1000,
                                                                 max_value=1000, widget=forms.NumberInput(attrs=NUMBER))

    def goals(self) -> list[Any]:
        from .services_cycle import GoalIn

        d = self.cleaned_data
        return [GoalIn(d[f"goal_{n}_text"], d[f"goal_{n}_care_kind"], d[f"goal_{n}_instrument"], d[f"goal_{n}_target"])
                for n in range(1, GOAL_ROWS + 1) if d.get(f"goal_{n}_text")]


class RecordForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of service"), choices=RecordKind.choices, widget=forms.Select(attrs=SELECT))
    care_kind = forms.ChoiceField(label=_("Kind of care"), choices=CareKind.choices, widget=forms.Select(attrs=SELECT))
    served_on = _date(_("Served on"))
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=MINUTES_MAX, widget=forms.NumberInput(attrs=NUMBER))
    person_times = forms.IntegerField(label=_("Person-times"), min_value=1, max_value=PERSON_TIMES_MAX, initial=1,
                                      widget=forms.NumberInput(attrs=NUMBER))
    notes = fields.TextField(label=_("Notes"), required=False, max_length=NOTES_MAX, multiline=True,
                             widget=forms.Textarea(attrs=AREA), help_text=_("Kept encrypted; seen only by the case team."))

    def __init__(self, *args: Any, correcting: bool = False, staff: Any = (), volunteers: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _today_initial(self, "served_on")
        for name, label, offered, show in (("co_workers", _("Other workers who served"), staff, user_label),
                                           ("volunteers", _("Volunteers who served"), volunteers, str)):
            if offered:
                field = ObjectsField(label=label, required=False, widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))
                field.offer(offered, show)
                self.fields[name] = field
        if correcting:
            self.fields["reason"] = fields.TextField(label=_("Why it is corrected"), max_length=200,
                                                     widget=forms.TextInput(attrs=TEXT))


class ReviewForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ReviewKind.choices, widget=forms.Select(attrs=SELECT))
    reviewed_on = _date(_("Reviewed on"))
    summary = fields.TextField(label=_("Summary"), required=False, max_length=NOTES_MAX, multiline=True,
                               widget=forms.Textarea(attrs=AREA))

    def __init__(self, *args: Any, goals: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _today_initial(self, "reviewed_on")
        self.goal_names = []
        for goal in goals:
            auto = _("Computed from the scores") if goal.instrument_id else _("Choose…")
            self.fields[f"goal_{goal.pk}_result"] = forms.ChoiceField(
                label=goal.text, required=False, choices=[("", auto), *GoalResult.choices], widget=forms.Select(attrs=SELECT))
            if goal.instrument_id:
                self.fields[f"goal_{goal.pk}_after"] = forms.IntegerField(
                    label=_("Score after (empty: the latest review assessment)"), required=False, min_value=-1000, max_value=1000,
                    widget=forms.NumberInput(attrs=NUMBER))
            self.goal_names.append(goal.pk)

    def results(self) -> dict[int, str]:
        return {pk: self.cleaned_data[f"goal_{pk}_result"] for pk in self.goal_names if self.cleaned_data.get(f"goal_{pk}_result")}

    def after_scores(self) -> dict[int, int]:
        return {pk: self.cleaned_data[f"goal_{pk}_after"] for pk in self.goal_names
                if self.cleaned_data.get(f"goal_{pk}_after") is not None}


class ClosureForm(forms.Form):
    version = _version()
    summary = fields.TextField(label=_("Closure summary"), max_length=NOTES_MAX, multiline=True, widget=forms.Textarea(attrs=AREA))


class DecisionForm(forms.Form):
    version = _version()
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("return", _("Return"))], widget=forms.HiddenInput)
    reason = fields.TextField(label=_("Why it is returned"), required=False, max_length=REASON_MAX,
                              widget=forms.TextInput(attrs=TEXT))


class VersionForm(forms.Form):
    version = _version()


class ReferralForm(forms.Form):
    organization = ObjectChoiceField(label=_("Refer to"), widget=forms.Select(attrs=SELECT))
    reason = fields.TextField(label=_("Reason and what is asked"), max_length=NOTES_MAX, multiline=True,
                              widget=forms.Textarea(attrs=AREA))
    referred_on = _date(_("Referred on"))

    def __init__(self, *args: Any, organizations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].offer(organizations)  # type: ignore[attr-defined]
        _today_initial(self, "referred_on")


class ReferralStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=[c for c in ReferralStatus.choices if c[0] != ReferralStatus.SENT],
                               widget=forms.Select(attrs=SELECT))
    outcome = fields.TextField(label=_("Outcome"), required=False, max_length=200, widget=forms.TextInput(attrs=TEXT))
