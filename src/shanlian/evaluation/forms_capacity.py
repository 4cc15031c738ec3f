"""Forms of the capacity and competency pages. They only parse: every rule is the service's, whose refusals come back
onto the form (`core.pages.submit`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core import fields
from shanlian.core.errors import lazy_format

from .models import ActionStatus, DiagnosisStatus, Dimension, Question, QuestionnaireKind, RespondentRole
from .selectors_capacity import LEVEL_NAMES, LEVELS

TEXT = {"class": "form-control"}
SELECT = {"class": "form-select"}
DATE = {"class": "form-control", "type": "date"}
ISO = "%Y-%m-%d"  # what a date input shows
SMALL = {"class": "form-control form-control-sm"}
SMALL_SELECT = {"class": "form-select form-select-sm"}
NOTE = {**TEXT, "rows": 2}
QUESTIONNAIRE_TEXT_MAX = 60_000
RESPONDENT_LINES_MAX = 40


def questionnaire_label(q: Any) -> str:
    return f"{q.title} · v{q.version}（{q.region.name}）"


class QuestionnaireChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return questionnaire_label(obj)


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}（{obj.get_level_display()}）"


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.real_name}（{obj.division.name}）"


class OrganizationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.real_name


# --- questionnaires and advice ----------------------------------------------------------------------------------------

def questionnaire_text(view: Any) -> str:
    """A questionnaire as the form's text: a dimension a line (# code name), then its items (text | level 1 | … | 4)."""
    lines: list[str] = []
    for dimension, questions in view.dimensions:
        lines.append(f"# {dimension.code} {dimension.name}")
        lines.extend(" | ".join([q.text, *[str(t) for t in (q.descriptors or [])]]) for q in questions)
        lines.append("")
    return "\n".join(lines).strip() + "\n"


def parse_questionnaire(text: str) -> list[dict[str, Any]]:
    """The text back into dimensions for the service (which checks counts and lengths)."""
    dims: list[dict[str, Any]] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            head = line.lstrip("#").strip().split(None, 1)
            dims.append({"code": head[0] if head else "", "name": head[1] if len(head) > 1 else "", "questions": []})
            continue
        if not dims:
            raise ValidationError(lazy_format(_("Line %(n)s: an item comes under a dimension (a line starting with #)."), {"n": n}),
                                  code="item_outside_dimension")
        parts = [p.strip() for p in line.split("|")]
        dims[-1]["questions"].append({"text": parts[0], "descriptors": parts[1:]})
    return dims


class QuestionnaireForm(forms.Form):
    region = RegionChoiceField(label=_("Region"), queryset=None, widget=forms.Select(attrs=SELECT))
    kind = forms.ChoiceField(label=_("Kind"), choices=QuestionnaireKind.choices, widget=forms.Select(attrs=SELECT))
    title = fields.TextField(label=_("Title"), max_length=128, widget=forms.TextInput(attrs=TEXT))
    text = fields.TextField(
        label=_("Dimensions and items"), max_length=QUESTIONNAIRE_TEXT_MAX, multiline=True,
        widget=forms.Textarea(attrs={**TEXT, "rows": 18, "class": "form-control font-monospace small"}),
        help_text=_("A dimension a line: # code name (e.g. # finance 财务与内控); under it its items, one a line: the item, "
                    "then the four level descriptors from nascent to mature, separated by |."))

    def __init__(self, *args: Any, regions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions  # type: ignore[attr-defined]

    def clean_text(self) -> list[dict[str, Any]]:
        return parse_questionnaire(self.cleaned_data["text"])


class AdviceForm(forms.Form):
    region = RegionChoiceField(label=_("Region"), queryset=None, widget=forms.Select(attrs=SELECT))
    dimension_code = forms.ChoiceField(label=_("Dimension"), widget=forms.Select(attrs=SELECT))
    below = fields.NumberField(label=_("For scores below"), places=2, min_value="1.01", max_value=LEVELS, initial="2.50",
                               widget=forms.TextInput(attrs={**TEXT, "inputmode": "decimal"}))
    text = fields.TextField(label=_("Advice"), max_length=2000, multiline=True, widget=forms.Textarea(attrs={**TEXT, "rows": 3}))

    def __init__(self, *args: Any, regions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions  # type: ignore[attr-defined]
        codes: dict[str, str] = {}
        for code, name in (Dimension.objects.filter(questionnaire__kind=QuestionnaireKind.CAPACITY)
                           .order_by("-questionnaire__version", "position").values_list("code", "name")):
            codes.setdefault(code, name)
        self.fields["dimension_code"].choices = [(c, f"{n}（{c}）") for c, n in codes.items()]  # type: ignore[attr-defined]


# --- diagnoses ------------------------------------------------------------------------------------------------------

class DiagnosisFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All")), *DiagnosisStatus.choices],
                               widget=forms.Select(attrs=SMALL_SELECT))
    q = fields.TextField(label=_("Organization"), required=False, max_length=64,
                         widget=forms.TextInput(attrs={**SMALL, "placeholder": _("Organization name")}))

    def values(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        return {"status": self.cleaned_data.get("status") or "", "query": self.cleaned_data.get("q") or ""}


def _labels(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class DiagnosisStartForm(forms.Form):
    organization = OrganizationChoiceField(label=_("Organization"), queryset=None, widget=forms.Select(attrs=SELECT))
    questionnaire = QuestionnaireChoiceField(label=_("Questionnaire"), queryset=None, widget=forms.Select(attrs=SELECT))
    started_on = fields.DateField(label=_("Started on"), widget=forms.DateInput(attrs=DATE, format=ISO))
    board = fields.TextField(label=_("Board members"), required=False, max_length=2000, multiline=True,
                             widget=forms.Textarea(attrs={**TEXT, "rows": 3}), help_text=_("One a line: a name or a post."))
    director = fields.TextField(label=_("Director"), required=False, max_length=2000, multiline=True,
                                widget=forms.Textarea(attrs=NOTE))
    staff = fields.TextField(label=_("Staff"), required=False, max_length=2000, multiline=True,
                             widget=forms.Textarea(attrs={**TEXT, "rows": 4}))

    def __init__(self, *args: Any, organizations: Any, questionnaires: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]
        self.fields["questionnaire"].queryset = questionnaires  # type: ignore[attr-defined]
        if not self.is_bound:
            self.fields["started_on"].initial = timezone.localdate()
            first = questionnaires.first()
            if first is not None:
                self.fields["questionnaire"].initial = first.pk

    def respondents(self) -> list[tuple[str, str]]:
        data = self.cleaned_data
        return [(role, label) for role, name in ((RespondentRole.BOARD, "board"), (RespondentRole.DIRECTOR, "director"),
                                                 (RespondentRole.STAFF, "staff")) for label in _labels(data.get(name, ""))]


class RespondentForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=RespondentRole.choices, widget=forms.Select(attrs=SELECT))
    label = fields.TextField(label=_("Who"), max_length=32, widget=forms.TextInput(attrs=TEXT))


class CloseForm(forms.Form):
    summary = fields.TextField(label=_("Diagnostic summary"), required=False, max_length=4000, multiline=True,
                               widget=forms.Textarea(attrs={**TEXT, "rows": 4}))


class ActionForm(forms.Form):
    dimension_code = forms.ChoiceField(label=_("Dimension"), widget=forms.Select(attrs=SELECT))
    text = fields.TextField(label=_("Action to take"), max_length=300, widget=forms.TextInput(attrs=TEXT))
    owner = fields.TextField(label=_("Owner"), max_length=32, widget=forms.TextInput(attrs=TEXT))
    due_on = fields.DateField(label=_("Due on"), widget=forms.DateInput(attrs=DATE, format=ISO))

    def __init__(self, *args: Any, dimensions: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dimension_code"].choices = dimensions  # type: ignore[attr-defined]


class FollowUpForm(forms.Form):
    status = forms.ChoiceField(label=_("Outcome"), choices=[(ActionStatus.DONE, _("Done")), (ActionStatus.DROPPED, _("Dropped"))],
                               widget=forms.Select(attrs=SMALL_SELECT))
    follow_up = fields.TextField(label=_("Follow-up"), max_length=500, widget=forms.TextInput(attrs=SMALL))
    done_on = fields.DateField(label=_("Done on"), required=False, widget=forms.DateInput(attrs={**SMALL, "type": "date"}, format=ISO))


# --- answering -------------------------------------------------------------------------------------------------------

def level_field_name(question: Question) -> str:
    return f"q{question.pk}"


class LevelsForm(forms.Form):
    """A level 1–4 for every item of a questionnaire, each level shown with the item's own descriptor."""

    def __init__(self, *args: Any, questions: list[Question], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for q in questions:
            texts = list(q.descriptors or [])
            choices = [(str(n), f"{LEVEL_NAMES[n]}：{texts[n - 1] if n <= len(texts) else ''}") for n in range(1, LEVELS + 1)]
            self.fields[level_field_name(q)] = forms.ChoiceField(label=q.text, choices=choices, widget=forms.RadioSelect,
                                                                 error_messages={"required": _("Choose a level.")})

    def levels(self) -> dict[int, int]:
        return {q.pk: int(self.cleaned_data[level_field_name(q)]) for q in self.questions}

    def field_for(self, question: Question) -> Any:
        return self[level_field_name(question)]


def renamed_level(name: str) -> str | None:
    """The service's `levels.<id>` onto the form's `q<id>`."""
    return f"q{name.split('.', 1)[1]}" if name.startswith("levels.") else None


# --- competency --------------------------------------------------------------------------------------------------------

class ChooseForm(forms.Form):
    """Step one of assessing or logging coaching: the organization (and the questionnaire), and whom to look for."""

    organization = OrganizationChoiceField(label=_("Organization"), queryset=None, widget=forms.Select(attrs=SELECT))
    questionnaire = QuestionnaireChoiceField(label=_("Questionnaire"), queryset=None, required=False, widget=forms.Select(attrs=SELECT))
    q = fields.TextField(label=_("Find someone else in your area"), required=False, max_length=32,
                         widget=forms.TextInput(attrs={**TEXT, "placeholder": _("Name, pinyin initials or phone")}))

    def __init__(self, *args: Any, organizations: Any, questionnaires: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]
        self.fields["questionnaire"].queryset = questionnaires  # type: ignore[attr-defined]
        if questionnaires is None:
            del self.fields["questionnaire"]


class AssessForm(LevelsForm):
    person = PersonChoiceField(label=_("Staff member"), queryset=None, widget=forms.Select(attrs=SELECT))
    assessed_on = fields.DateField(label=_("Assessed on"), widget=forms.DateInput(attrs=DATE, format=ISO))
    note = fields.TextField(label=_("Note"), required=False, max_length=500, multiline=True, widget=forms.Textarea(attrs=NOTE))

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people  # type: ignore[attr-defined]
        if not self.is_bound:
            self.fields["assessed_on"].initial = timezone.localdate()


class CoachingForm(forms.Form):
    held_on = fields.DateField(label=_("Held on"), widget=forms.DateInput(attrs=DATE, format=ISO))
    topic = fields.TextField(label=_("Topic"), max_length=128, widget=forms.TextInput(attrs=TEXT))
    people = PeopleChoiceField(label=_("People coached"), queryset=None, required=False,
                               widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))
    person_times = fields.IntegerField(label=_("Person-times"), required=False, min_value=1, max_value=2000,
                                       widget=forms.NumberInput(attrs=TEXT),
                                       help_text=_("Leave empty to count one a person coached."))
    note = fields.TextField(label=_("Note"), required=False, max_length=500, multiline=True, widget=forms.Textarea(attrs=NOTE))

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = people  # type: ignore[attr-defined]
        if not self.is_bound:
            self.fields["held_on"].initial = timezone.localdate()


class CompetencyFilterForm(forms.Form):
    organization = OrganizationChoiceField(label=_("Organization"), queryset=None, required=False, empty_label=_("All organizations"),
                                          widget=forms.Select(attrs=SMALL_SELECT))
    q = fields.TextField(label=_("Name"), required=False, max_length=32,
                         widget=forms.TextInput(attrs={**SMALL, "placeholder": _("Name")}))
    year = fields.IntegerField(label=_("Year"), required=False, min_value=2000, max_value=2100,
                               widget=forms.NumberInput(attrs={**SMALL, "placeholder": _("Year")}))

    def __init__(self, *args: Any, organizations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        org = self.cleaned_data.get("organization")
        return {"organization_id": org.pk if org is not None else None, "query": self.cleaned_data.get("q") or "",
                "year": self.cleaned_data.get("year")}
