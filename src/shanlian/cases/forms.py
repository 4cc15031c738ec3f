"""Forms of the beneficiaries' pages: they parse and bound what is typed on a phone; every rule is the service's, whose
refusals come back onto the form with their codes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core import fields

from .models import SENSITIVE, AllowanceKind, GivenBy, LivingSituation, Purpose, Recipient, Relation, RequestKind
from .services import NAME_MAX, NOTE_MAX, TEXT_MAX

TEXT = {"class": "form-control"}
AREA = {"class": "form-control", "rows": 3}
SELECT = {"class": "form-select"}
DATE = {**TEXT, "type": "date"}
NUMBER = {**TEXT, "inputmode": "decimal"}
CHECKS = {"class": "list-unstyled"}


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


def _date(label: Any, required: bool = True) -> fields.DateField:
    return fields.DateField(label=label, required=required, widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))


def _sensitive(name: str) -> fields.TextField:
    s = next(x for x in SENSITIVE if x.name == name)
    widget = forms.TextInput(attrs=TEXT) if name == "address" else forms.Textarea(attrs=AREA)
    return fields.TextField(label=s.label, required=False, max_length=TEXT_MAX[name], multiline=name != "address",
                            help_text=s.why, widget=widget)


class FilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=32, widget=forms.TextInput(attrs={**TEXT, "type": "search"}))
    category = forms.ChoiceField(label=_("Category"), required=False, widget=forms.Select(attrs=SELECT))

    def __init__(self, *args: Any, categories: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All")), *((c.code, c.label) for c in categories)]  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        if not self.is_bound or not self.is_valid():
            return {}
        return {"query": self.cleaned_data["q"].strip(), "category": self.cleaned_data["category"]}


class _Record(forms.Form):
    categories = ObjectsField(label=_("Categories"), widget=forms.CheckboxSelectMultiple(attrs=CHECKS))
    living_situation = forms.ChoiceField(label=_("Living situation"), choices=LivingSituation.choices,
                                         widget=forms.Select(attrs=SELECT))
    address = _sensitive("address")
    health = _sensitive("health")
    disability = _sensitive("disability")
    finances = _sensitive("finances")
    child_situation = _sensitive("child_situation")


class BeneficiaryForm(_Record):
    person = ObjectChoiceField(label=_("Person"), help_text=_("Register the person under People first if they are not listed."),
                               widget=forms.Select(attrs=SELECT))
    station = ObjectChoiceField(label=_("Station"), widget=forms.Select(attrs=SELECT))
    birth_date = _date(_("Date of birth (only if the person has no resident ID)"), required=False)
    guardian = ObjectChoiceField(label=_("Guardian (required for a child under 14)"), required=False, widget=forms.Select(attrs=SELECT))
    guardian_relation = forms.ChoiceField(label=_("Guardian's relation"), required=False, choices=[("", "—"), *Relation.choices],
                                          widget=forms.Select(attrs=SELECT))
    field_order = ["person", "station", "categories", "living_situation", "birth_date", "address", "health", "disability",
                   "finances", "child_situation", "guardian", "guardian_relation"]

    def __init__(self, *args: Any, people: Any, stations: Any, categories: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        label = lambda p: f"{p.real_name} · {p.division.name}"  # noqa: E731
        self.fields["person"].offer(people, label)  # type: ignore[attr-defined]
        self.fields["guardian"].offer(people, label)  # type: ignore[attr-defined]
        self.fields["station"].offer(stations)  # type: ignore[attr-defined]
        self.fields["categories"].offer(categories, lambda c: c.label)  # type: ignore[attr-defined]


class EditForm(_Record):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)

    def __init__(self, *args: Any, categories: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["categories"].offer(categories, lambda c: c.label)  # type: ignore[attr-defined]


class RevealForm(forms.Form):
    field = forms.CharField(max_length=40, widget=forms.HiddenInput)
    reason = fields.TextField(label=_("Why do you need to see it?"), max_length=200, widget=forms.TextInput(attrs=TEXT))


class GuardianForm(forms.Form):
    person = ObjectChoiceField(label=_("Guardian"), widget=forms.Select(attrs=SELECT))
    relation = forms.ChoiceField(label=_("Relation"), choices=Relation.choices, widget=forms.Select(attrs=SELECT))
    since = _date(_("Guardian since"))

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].offer(people, lambda p: f"{p.real_name} · {p.division.name}")  # type: ignore[attr-defined]
        if not self.is_bound:
            self.fields["since"].initial = timezone.localdate()


class HouseholdForm(forms.Form):
    name = fields.TextField(label=_("Name"), max_length=NAME_MAX, widget=forms.TextInput(attrs=TEXT))
    relation = forms.ChoiceField(label=_("Relation"), choices=Relation.choices, widget=forms.Select(attrs=SELECT))
    lives_together = forms.BooleanField(label=_("Lives together"), required=False, initial=True,
                                        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))


class AllowanceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AllowanceKind.choices, widget=forms.Select(attrs=SELECT))
    monthly_amount = forms.CharField(label=_("Monthly amount (yuan)"), max_length=40, widget=forms.TextInput(attrs=NUMBER))
    starts_on = _date(_("From"))
    ends_on = _date(_("To"), required=False)


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices, widget=forms.Select(attrs=SELECT))
    recipients = forms.MultipleChoiceField(label=_("Recipients"), choices=[c for c in Recipient.choices
                                                                          if c[0] not in (Recipient.SUBJECT, Recipient.ORGANIZATION)],
                                           widget=forms.CheckboxSelectMultiple(attrs=CHECKS))
    given_on = _date(_("Given on"))
    expires_on = _date(_("Expires on (empty: the longest allowed)"), required=False)
    given_by = forms.ChoiceField(label=_("Given by"), choices=GivenBy.choices, widget=forms.Select(attrs=SELECT))
    guardian = ObjectChoiceField(label=_("Guardian who gave it"), required=False, widget=forms.Select(attrs=SELECT))

    def __init__(self, *args: Any, guardians: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["guardian"].offer(guardians)  # type: ignore[attr-defined]
        if not self.is_bound:
            self.fields["given_on"].initial = timezone.localdate()


class WithdrawForm(forms.Form):
    withdrawn_on = _date(_("Withdrawn on"))
    withdrawn_by = forms.ChoiceField(label=_("Withdrawn by"), choices=GivenBy.choices, widget=forms.Select(attrs=SELECT))
    guardian = ObjectChoiceField(label=_("Guardian who withdrew it"), required=False, widget=forms.Select(attrs=SELECT))

    def __init__(self, *args: Any, guardians: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["guardian"].offer(guardians)  # type: ignore[attr-defined]
        if not self.is_bound:
            self.fields["withdrawn_on"].initial = timezone.localdate()


class RequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=RequestKind.choices, widget=forms.Select(attrs=SELECT))
    received_on = _date(_("Received on"))
    requested_by = forms.ChoiceField(label=_("Requested by"), choices=GivenBy.choices, widget=forms.Select(attrs=SELECT))
    guardian = ObjectChoiceField(label=_("Guardian who asked"), required=False, widget=forms.Select(attrs=SELECT))
    details = fields.TextField(label=_("What is asked"), required=False, max_length=NOTE_MAX, multiline=True,
                               widget=forms.Textarea(attrs=AREA))

    def __init__(self, *args: Any, guardians: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["guardian"].offer(guardians)  # type: ignore[attr-defined]
        if not self.is_bound:
            self.fields["received_on"].initial = timezone.localdate()


class AnswerForm(forms.Form):
    note = fields.TextField(label=_("Answer"), required=False, max_length=NOTE_MAX, multiline=True, widget=forms.Textarea(attrs=AREA))
    refuse = forms.BooleanField(label=_("Refuse the request (say why above)"), required=False,
                                widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
