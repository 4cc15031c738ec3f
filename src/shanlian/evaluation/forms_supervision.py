"""Forms of the supervision pages. They only parse and bound what is typed; the services decide the rest, and their
refusals come back onto the form (a finding's onto its row)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core import fields
from shanlian.core.errors import DomainError
from shanlian.core.inputs import id_param
from shanlian.core.pages import add_domain_error

from .models import CheckRating, Severity, TaskKind
from .selectors_supervision import PERIOD_RE, RECTIFICATION_STATUSES
from .services.supervision import FINDINGS_MAX
from .services.supervision_groups import ATTENDEES_MAX

TEXT = {"class": "form-control"}
SELECT = {"class": "form-select"}
DATE = {**TEXT, "type": "date"}
NUMBER = {**TEXT, "inputmode": "numeric", "autocomplete": "off"}
TASK_STATUSES = [("open", _("To do")), ("overdue", _("Overdue")), ("done", _("Done")), ("all", _("All"))]
RECTIFICATION_TABS = dict(zip(RECTIFICATION_STATUSES, (_("Open"), _("Overdue"), _("Closed"), _("All")), strict=True))


def _all(choices: Any) -> list[tuple[str, Any]]:
    return [("", _("All")), *choices]


class TaskFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=TASK_STATUSES, widget=forms.Select(attrs=SELECT))
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=_all(TaskKind.choices), widget=forms.Select(attrs=SELECT))
    period = forms.CharField(label=_("Period"), required=False, max_length=7,
                             widget=forms.TextInput(attrs={**TEXT, "placeholder": "2026-03 / 2026Q1 / 2026H1"}))

    def clean_period(self) -> str:
        value = (self.cleaned_data.get("period") or "").strip()
        if value and not PERIOD_RE.fullmatch(value):
            raise forms.ValidationError(_("A year (2026), a month (2026-03), a quarter (2026Q1) or a half year (2026H1)."),
                                        code="invalid_period")
        return value

    def values(self) -> dict[str, Any]:
        """The filters as the selector takes them (one that does not parse is dropped, as if not given)."""
        data: dict[str, Any] = {}
        if self.is_bound:
            self.is_valid()
            data = getattr(self, "cleaned_data", {})
        return {"status": data.get("status") or "open", "kind": data.get("kind") or "", "period": data.get("period") or "",
                "region_id": id_param(self.data.get("region")), "organization_id": id_param(self.data.get("organization"))}


class CompleteForm(forms.Form):
    rating = forms.ChoiceField(label=_("Rating"), choices=CheckRating.choices,
                               widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    note = fields.TextField(label=_("Note"), required=False, max_length=2000, multiline=True,
                            widget=forms.Textarea(attrs={**TEXT, "rows": 3}))


class FindingForm(forms.Form):
    text = fields.TextField(label=_("Finding"), required=False, max_length=500, widget=forms.TextInput(attrs=TEXT))
    severity = forms.ChoiceField(label=_("Severity"), required=False, choices=Severity.choices, initial=Severity.MINOR,
                                 widget=forms.Select(attrs=SELECT))
    action = fields.TextField(label=_("Rectification"), required=False, max_length=300, widget=forms.TextInput(attrs=TEXT))
    owner = fields.TextField(label=_("Owner"), required=False, max_length=32, widget=forms.TextInput(attrs=TEXT))
    due_on = fields.DateField(label=_("Rectify by"), required=False, widget=forms.DateInput(attrs=DATE))

    def has_content(self) -> bool:
        data = getattr(self, "cleaned_data", None) or {}
        return any(data.get(k) for k in ("text", "action", "owner", "due_on"))


FindingFormSet = forms.formset_factory(FindingForm, extra=3, max_num=FINDINGS_MAX, absolute_max=FINDINGS_MAX)


def findings_from(formset: forms.BaseFormSet) -> tuple[list[dict[str, Any]], list[int]]:
    """The findings as the service takes them (a row left empty is none), and for each the row it came from."""
    out, rows = [], []
    for n, form in enumerate(formset.forms):
        if not cast(FindingForm, form).has_content():
            continue
        data = form.cleaned_data
        fix = None
        if data.get("action") or data.get("owner") or data.get("due_on"):
            fix = {"action": data.get("action") or "", "owner": data.get("owner") or "", "due_on": data.get("due_on")}
        out.append({"text": data.get("text") or "", "severity": data.get("severity") or Severity.MINOR, "rectification": fix})
        rows.append(n)
    return out, rows


def add_findings_error(form: forms.Form, formset: forms.BaseFormSet, rows: list[int], exc: DomainError) -> None:
    """A refusal of the completion onto the forms: a finding's fields ("findings.2.owner") onto its row, the rest onto
    the completion form."""
    rest: dict[str, list[Any]] = {}
    for name, errors in exc.fields.items():
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "findings" and parts[1].isdigit() and int(parts[1]) < len(rows):
            row = formset.forms[rows[int(parts[1])]]
            target = parts[2] if parts[2] in row.fields else "text"
            for code, message in errors:
                row.add_error(target, forms.ValidationError(str(message), code=code))
        else:
            rest[name] = errors
    if rest or not exc.fields:
        add_domain_error(form, type(exc)(exc.code, exc.message, fields=rest))


class CloseForm(forms.Form):
    note = fields.TextField(label=_("What was done"), required=False, max_length=500, widget=forms.TextInput(attrs=TEXT))
    closed_on = fields.DateField(label=_("Closed on"), required=False, widget=forms.DateInput(attrs=DATE))


class AgencyForm(forms.Form):
    organization: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Agency"), queryset=None, widget=forms.Select(attrs=SELECT))

    def __init__(self, *args: Any, agencies: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["organization"]).queryset = agencies


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.first_name or obj.username)


class MembersField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.real_name)


def _members_field() -> MembersField:
    return MembersField(label=_("Supervisees"), queryset=None, widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
                        help_text=_("Social workers of the agency with a login (its stations' workers and managers)."))


class GroupForm(forms.Form):
    name = fields.TextField(label=_("Name"), max_length=64, widget=forms.TextInput(attrs=TEXT))
    supervisor = UserChoiceField(label=_("Supervisor"), queryset=None, widget=forms.Select(attrs=SELECT),
                                 help_text=_("The senior social worker who guides the group."))
    members = _members_field()
    started_on = fields.DateField(label=_("Started on"), widget=forms.DateInput(attrs=DATE))

    def __init__(self, *args: Any, users: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["supervisor"]).queryset = users
        cast(forms.ModelMultipleChoiceField, self.fields["members"]).queryset = people
        if not self.is_bound:
            self.fields["started_on"].initial = timezone.localdate()


class GroupEditForm(forms.Form):
    name = fields.TextField(label=_("Name"), max_length=64, widget=forms.TextInput(attrs=TEXT))
    members = _members_field()

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["members"]).queryset = people


class GroupEndForm(forms.Form):
    ended_on = fields.DateField(label=_("Ended on"), widget=forms.DateInput(attrs=DATE))


class SessionForm(forms.Form):
    held_on = fields.DateField(label=_("Held on"), widget=forms.DateInput(attrs=DATE))
    topic = fields.TextField(label=_("Topic"), max_length=128, widget=forms.TextInput(attrs=TEXT))
    attendees = fields.IntegerField(label=_("Person-times"), min_value=1, max_value=ATTENDEES_MAX, widget=forms.NumberInput(attrs=NUMBER))
    note = fields.TextField(label=_("Note"), required=False, max_length=2000, multiline=True,
                            widget=forms.Textarea(attrs={**TEXT, "rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["held_on"].initial = timezone.localdate()


class DashboardForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None, choices=[],
                                  widget=forms.Select(attrs=SELECT))
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=_all(TaskKind.choices), widget=forms.Select(attrs=SELECT))

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["year"]).choices = [("", _("All years")), *((y, str(y)) for y in years)]

    def values(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.is_bound:
            self.is_valid()
            data = getattr(self, "cleaned_data", {})
        return {"year": data.get("year"), "kind": data.get("kind") or "", "region_id": id_param(self.data.get("region")),
                "organization_id": id_param(self.data.get("organization"))}
