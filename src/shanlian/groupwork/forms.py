"""Forms of the group-work pages, made for a phone: they parse and bound what is typed; every rule is the service's, whose
refusals come back onto the form with their codes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shanlian.cases.models import CareArea
from shanlian.core import fields

from .models import HEADCOUNT_MAX, MINUTES_MAX, MINUTES_MIN, SESSIONS_MAX, VOLUNTEERS_MAX, GroupType, Kind, Programme, Session, Status

TEXT = {"class": "form-control"}
AREA = {"class": "form-control", "rows": 3}
SELECT = {"class": "form-select"}
DATE = {**TEXT, "type": "date"}
TIME = {**TEXT, "type": "time"}
NUMBER = {**TEXT, "inputmode": "numeric"}
CHECKS = {"class": "list-unstyled sl-checklist"}


def worker_name(user: Any) -> str:
    person = getattr(user, "person", None)
    return (person.real_name if person is not None else "") or user.get_full_name() or user.get_username()


class ObjectChoiceField(forms.ChoiceField):
    """A choice among given objects by id; cleans to the object."""

    def offer(self, objects: Any, label: Any = str) -> None:
        self.objects = {str(o.pk): o for o in objects}
        self.choices = [("", _("Choose…")), *((k, label(o)) for k, o in self.objects.items())]

    def clean(self, value: Any) -> Any:
        key = super().clean(value)
        return self.objects.get(key) if key else None


class ObjectsField(forms.MultipleChoiceField):
    def offer(self, objects: Any, label: Any = str) -> None:
        self.objects = {str(o.pk): o for o in objects}
        self.choices = [(k, label(o)) for k, o in self.objects.items()]

    def clean(self, value: Any) -> Any:
        return [self.objects[k] for k in super().clean(value)]


def _text(model: Any, name: str, label: Any, required: bool = True, area: bool = False) -> fields.TextField:
    f = model._meta.get_field(name)
    return fields.TextField(label=label, required=required, max_length=f.max_length, multiline=area,
                            widget=forms.Textarea(attrs=AREA) if area else forms.TextInput(attrs=TEXT))


def _count(label: Any, low: int, high: int, required: bool = True, help_text: Any = "") -> fields.IntegerField:
    return fields.IntegerField(label=label, required=required, min_value=low, max_value=high, help_text=help_text,
                               widget=forms.NumberInput(attrs={**NUMBER, "min": low, "max": high}))


class ProgrammeForm(forms.Form):
    station = ObjectChoiceField(label=_("Station"), widget=forms.Select(attrs=SELECT))
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices, widget=forms.RadioSelect(attrs=CHECKS))
    title = _text(Programme, "title", _("Title"))
    care_area = forms.ChoiceField(label=_("Care area"), choices=CareArea.choices, widget=forms.Select(attrs=SELECT))
    group_type = forms.ChoiceField(label=_("Group type"), required=False, choices=[("", _("— (community activity)")), *GroupType.choices],
                                   widget=forms.Select(attrs=SELECT), help_text=_("Groups only."))
    planned_sessions = _count(_("Planned sessions"), 1, SESSIONS_MAX)
    starts_on = fields.DateField(label=_("Starts on"), widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    leaders = ObjectsField(label=_("Led by"), widget=forms.CheckboxSelectMultiple(attrs=CHECKS))
    aims = _text(Programme, "aims", _("Aims and goals"), required=False, area=True)

    def __init__(self, *args: Any, stations: Any = (), staff: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["station"].offer(stations, lambda s: s.name)  # type: ignore[attr-defined]
        self.fields["leaders"].offer(staff, worker_name)  # type: ignore[attr-defined]


class SessionForm(forms.Form):
    held_on = fields.DateField(label=_("Held on"), widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    starts_at = forms.TimeField(label=_("Start time"), widget=forms.TimeInput(attrs=TIME, format="%H:%M"))
    minutes = _count(_("Minutes"), MINUTES_MIN, MINUTES_MAX)
    venue = _text(Session, "venue", _("Venue"))
    theme = _text(Session, "theme", _("Theme"))
    present = ObjectsField(label=_("Members present"), required=False, widget=forms.CheckboxSelectMultiple(attrs=CHECKS))
    headcount = _count(_("Headcount of others"), 0, HEADCOUNT_MAX, required=False,
                       help_text=_("Residents who came without enrolling (community activities)."))
    workers = ObjectsField(label=_("Social workers present"), widget=forms.CheckboxSelectMultiple(attrs=CHECKS))
    volunteers = _count(_("Volunteers who helped"), 0, VOLUNTEERS_MAX, required=False)
    timebank_activity = ObjectChoiceField(label=_("Time bank activity of the volunteers"), required=False,
                                          widget=forms.Select(attrs=SELECT), help_text=_("Optional: where their hours are recorded."))
    content = _text(Session, "content", _("Content and observations"), required=False, area=True)

    def __init__(self, *args: Any, members: Any = (), staff: Any = (), activities: Any = (), group: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["present"].offer(members, lambda m: m.person.real_name)  # type: ignore[attr-defined]
        self.fields["workers"].offer(staff, worker_name)  # type: ignore[attr-defined]
        self.fields["timebank_activity"].offer(activities, lambda a: a.title)  # type: ignore[attr-defined]
        if group:
            del self.fields["headcount"]


class EnrolForm(forms.Form):
    people = ObjectsField(label=_("Residents to enrol"), widget=forms.CheckboxSelectMultiple(attrs=CHECKS))

    def __init__(self, *args: Any, people: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["people"].offer(people, lambda p: f"{p.real_name} · {p.division.name}" + (" ★" if getattr(p, "served", 0) else ""))  # type: ignore[attr-defined]


class EndForm(forms.Form):
    summary = _text(Programme, "summary", _("Closing summary"), area=True)


class LeaveForm(forms.Form):
    left_on = fields.DateField(label=_("Left on"), required=False, widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))


class FilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All")), *Kind.choices], widget=forms.Select(attrs=SELECT))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All")), *Status.choices],
                               widget=forms.Select(attrs=SELECT))

    def values(self) -> dict[str, Any]:
        if not self.is_bound or not self.is_valid():
            return {}
        return {"kind": self.cleaned_data["kind"], "status": self.cleaned_data["status"]}
