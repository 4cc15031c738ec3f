"""Forms of the grade-assessment pages. They only parse; every rule is the services'. Marks are read from the page's
inputs by `marks_from_post` (one input per indicator), since the indicators are the framework's, not the form's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core import fields
from shanlian.orgs.models import Organization, Station

from . import scoring
from .forms import RegionChoiceField
from .models import FrameworkKind, RaterKind, Scoring, result_label, results_of

TEXT = {"class": "form-control"}
SELECT = {"class": "form-select"}
COMMENT_MAX = 500


def marks_from_post(leaves: list[scoring.Leaf], data: Any) -> dict[int, dict[str, str]]:
    """The marks typed on the page: `m_<indicator id>` (a level, yes/no, or points), `c_<id>` a comment; blanks left out."""
    out: dict[int, dict[str, str]] = {}
    key = {Scoring.LEVELS: "level", Scoring.YES_NO: "answer"}
    for leaf in leaves:
        value = (data.get(f"m_{leaf.id}") or "").strip()
        if not value:
            continue
        mark = {key.get(leaf.scoring, "points"): value}  # type: ignore[call-overload]
        comment = (data.get(f"c_{leaf.id}") or "").strip()
        if comment:
            mark["comment"] = comment[: COMMENT_MAX + 1]
        out[leaf.id] = mark
    return out


class CallForm(forms.Form):
    region = RegionChoiceField(label=_("Region"), queryset=None, widget=forms.Select(attrs=SELECT))
    kind = forms.ChoiceField(label=_("Kind"), choices=FrameworkKind.choices, widget=forms.Select(attrs=SELECT))
    year = fields.IntegerField(label=_("Year"), min_value=2000, max_value=2100, widget=forms.NumberInput(attrs=TEXT))
    title = fields.TextField(label=_("Title"), max_length=128, widget=forms.TextInput(attrs=TEXT))
    opens_on = fields.DateField(widget=forms.DateInput(attrs={**TEXT, "type": "date"}), label=_("Applications open"))
    closes_on = fields.DateField(widget=forms.DateInput(attrs={**TEXT, "type": "date"}), label=_("Self-assessment due"))
    review_until = fields.DateField(widget=forms.DateInput(attrs={**TEXT, "type": "date"}), label=_("Expert review until"))
    reviewers = fields.IntegerField(label=_("Experts per assessment"), min_value=1, max_value=7, initial=2,
                                    widget=forms.NumberInput(attrs=TEXT))
    notice_days = fields.IntegerField(label=_("Days of public notice"), min_value=7, max_value=30, initial=7,
                                      widget=forms.NumberInput(attrs=TEXT))
    batch = fields.IntegerField(label=_("Batch (brand calls)"), min_value=1, max_value=99, required=False,
                                widget=forms.NumberInput(attrs=TEXT))
    pass_mark = fields.NumberField(label=_("Least score to be named (brand calls)"), required=False, min_value="0.01", max_value=1000,
                                   widget=forms.TextInput(attrs=TEXT))

    def __init__(self, *args: Any, regions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions  # type: ignore[attr-defined]
        if not self.is_bound:
            self.fields["year"].initial = timezone.localdate().year


class ApplyForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("Organization"), queryset=Organization.objects.none(), empty_label=None,
                                          widget=forms.Select(attrs=SELECT))

    def __init__(self, *args: Any, organizations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]


class StationApplyForm(forms.Form):
    station = forms.ModelChoiceField(label=_("Station"), queryset=Station.objects.none(), empty_label=None,
                                     widget=forms.Select(attrs=SELECT))

    def __init__(self, *args: Any, stations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = stations  # type: ignore[attr-defined]


class ExpertsForm(forms.Form):
    experts = forms.MultipleChoiceField(label=_("Experts"), widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))

    def __init__(self, *args: Any, pool: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["experts"].choices = [(e.user_id, e.name) for e in pool]  # type: ignore[attr-defined]
        if not self.is_bound:
            self.fields["experts"].initial = [e.user_id for e in pool if not e.away]

    def users(self) -> list[Any]:
        ids = [int(v) for v in self.cleaned_data["experts"]]
        return list(get_user_model().objects.filter(pk__in=ids).order_by("pk"))


class RaterForm(forms.Form):
    """Name a site inspector (an expert of the pool); in a station call also the supervisor (an expert) and the
    purchaser's officer (a street officer of the station's street)."""

    role = forms.ChoiceField(label=_("As"), widget=forms.Select(attrs=SELECT))
    user = forms.TypedChoiceField(label=_("Who"), coerce=int, widget=forms.Select(attrs=SELECT))

    def __init__(self, *args: Any, roles: list[str], pool: list[Any], officers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r, RaterKind(r).label) for r in roles]  # type: ignore[attr-defined]
        experts = [(e.user_id, e.name) for e in pool if not e.away]
        officers_ = [(u.pk, f"{u.first_name or u.username}（{_('street officer')}）") for u in officers]
        self.fields["user"].choices = experts + officers_  # type: ignore[attr-defined]


class DecisionForm(forms.Form):
    grade = forms.ChoiceField(label=_("Grade"), required=False, widget=forms.Select(attrs=SELECT))
    note = fields.TextField(label=_("Committee's note"), max_length=500, required=False,
                            widget=forms.Textarea(attrs={**TEXT, "rows": 2}))

    def __init__(self, *args: Any, kind: str = FrameworkKind.GRADE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        station = kind == FrameworkKind.STATION
        self.fields["grade"].label = _("Result") if station else _("Grade")
        self.fields["grade"].choices = [("", _("Not passed") if station else _("No grade")),  # type: ignore[attr-defined]
                                        *[(g, result_label(kind, g)) for g in reversed(results_of(kind))]]


class BrandDecisionForm(forms.Form):
    named = forms.BooleanField(label=_("Name it a brand organization"), required=False)
    note = fields.TextField(label=_("Committee's note"), max_length=500, required=False,
                            widget=forms.Textarea(attrs={**TEXT, "rows": 2}))


class ObjectionForm(forms.Form):
    name = fields.TextField(label=_("Your name"), max_length=32, widget=forms.TextInput(attrs=TEXT))
    contact = fields.TextField(label=_("Phone"), max_length=20, widget=forms.TextInput(attrs={**TEXT, "inputmode": "tel"}))
    text = fields.TextField(label=_("Objection"), max_length=2000, widget=forms.Textarea(attrs={**TEXT, "rows": 4}))


class AnswerForm(forms.Form):
    answer = fields.TextField(label=_("The committee's answer"), max_length=2000, widget=forms.Textarea(attrs={**TEXT, "rows": 2}))
    upheld = forms.TypedChoiceField(label=_("Upheld?"), coerce=lambda v: v == "yes", widget=forms.Select(attrs=SELECT),
                                    choices=[("no", _("Not upheld")), ("yes", _("Upheld: decide again"))])


class RecuseForm(forms.Form):
    reason = fields.TextField(label=_("Why you step back"), max_length=200, widget=forms.TextInput(attrs=TEXT))


class ReviewForm(forms.Form):
    comment = fields.TextField(label=_("Overall comment"), max_length=2000, required=False,
                               widget=forms.Textarea(attrs={**TEXT, "rows": 3}))


class EvidenceForm(forms.Form):
    indicator = forms.IntegerField(widget=forms.HiddenInput)
    file = forms.FileField(label=_("File"), widget=forms.ClearableFileInput(attrs={**TEXT, "accept": ".pdf,.jpg,.jpeg,.png,.xlsx,.docx"}))
