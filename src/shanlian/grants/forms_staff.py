"""Forms of the staff's and experts' pages of a round. They only parse (amounts and numbers stay text where the
service has its own parser, so its codes reach the page); every rule is the services'."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core import fields
from shanlian.places.models import Division

from .models import PHASE_ORDER, BallotKind, Criterion, PhaseKind, RoundKind, Rule
from .services.reviews import COMMENT_MAX, CRITERIA_MAX, LEVEL_TEXT_MAX, LEVELS_MAX

TEXT = {"class": "form-control"}
SELECT = {"class": "form-select"}
CHECK = {"class": "form-check-input"}
AMOUNT = {**TEXT, "inputmode": "decimal", "autocomplete": "off", "placeholder": "0.00"}
NUMBER = {**TEXT, "inputmode": "numeric", "autocomplete": "off"}
MOMENT = {**TEXT, "type": "datetime-local"}
MOMENT_FORMAT = "%Y-%m-%dT%H:%M"
MOMENT_FORMATS = [MOMENT_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"]
# Days each phase runs by default on the form for a new round.
DEFAULT_DAYS = {PhaseKind.NEEDS: 30, PhaseKind.PROPOSALS: 30, PhaseKind.SCREENING: 14, PhaseKind.REVIEW: 14,
                PhaseKind.VOTE: 14, PhaseKind.ALLOCATION: 7, PhaseKind.AGREEMENTS: 30, PhaseKind.EXECUTION: 180,
                PhaseKind.REPORTS: 30}


def _moment() -> fields.DateTimeField:
    return fields.DateTimeField(widget=forms.DateTimeInput(attrs=MOMENT, format=MOMENT_FORMAT), input_formats=MOMENT_FORMATS)


def default_phases(start: dt.datetime | None = None) -> dict[str, tuple[dt.datetime, dt.datetime]]:
    """Phases one after another from tomorrow 09:00 (Asia/Shanghai), each its usual length."""
    begin = start or timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    out, at = {}, begin
    for kind in PHASE_ORDER:
        end = at + dt.timedelta(days=DEFAULT_DAYS[PhaseKind(kind)])
        out[kind] = (at, end)
        at = end
    return out


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}（{obj.get_level_display()}）"


class FundChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}（{obj.division.name}）"


class RoundForm(forms.Form):
    fund = FundChoiceField(label=_("Fund"), queryset=None, widget=forms.Select(attrs=SELECT))
    title = fields.TextField(label=_("Title"), max_length=128, widget=forms.TextInput(attrs=TEXT))
    kind = forms.ChoiceField(label=_("Kind"), choices=RoundKind.choices, initial=RoundKind.MICRO_VENTURE, required=False,
                             widget=forms.Select(attrs=SELECT),
                             help_text=_("A design contest has no resident vote: the experts' score alone decides, and the "
                                         "winners join the project registry."))
    year = fields.IntegerField(label=_("Year"), min_value=2000, max_value=2100, widget=forms.NumberInput(attrs=NUMBER))
    description = fields.TextField(label=_("Description"), required=False, max_length=4000, multiline=True,
                                   widget=forms.Textarea(attrs={**TEXT, "rows": 3}))
    area = AreaChoiceField(label=_("Voting area"), queryset=Division.objects.none(), required=False,
                           empty_label=_("The fund's own street or community"), widget=forms.Select(attrs=SELECT))
    budget = fields.AmountField(label=_("Budget (yuan)"), widget=forms.TextInput(attrs=AMOUNT),
                                help_text=_("The whole budget; other funds of the street may give part of it (below)."))
    min_grant = fields.AmountField(label=_("Smallest grant (yuan)"), required=False, widget=forms.TextInput(attrs=AMOUNT),
                                   help_text=_("Empty: the default for community rounds."))
    max_grant = fields.AmountField(label=_("Largest grant (yuan)"), required=False, widget=forms.TextInput(attrs=AMOUNT))
    has_vote = forms.BooleanField(label=_("Residents vote"), required=False, initial=True, widget=forms.CheckboxInput(attrs=CHECK))
    rule = forms.ChoiceField(label=_("Allocation rule"), choices=Rule.choices, initial=Rule.MES_ADD1_GREEDY,
                             widget=forms.Select(attrs=SELECT))
    expert_weight = forms.CharField(label=_("Weight of the expert score (0 to 1)"), max_length=10, required=False, initial="0",
                                    widget=forms.TextInput(attrs={**NUMBER, "inputmode": "decimal"}),
                                    help_text=_("The combined rule only; 1 when there is no vote."))
    ballot_kind = forms.ChoiceField(label=_("Ballot"), choices=BallotKind.choices, initial=BallotKind.APPROVAL,
                                    widget=forms.Select(attrs=SELECT))
    min_choices = fields.IntegerField(label=_("Fewest projects on a ballot"), min_value=0, max_value=1000, initial=1,
                                      widget=forms.NumberInput(attrs=NUMBER))
    max_choices = fields.IntegerField(label=_("Most projects on a ballot"), min_value=0, max_value=1000, initial=5,
                                      widget=forms.NumberInput(attrs=NUMBER))
    points = fields.IntegerField(label=_("Points per ballot (cumulative)"), min_value=0, max_value=100_000, initial=0,
                                 widget=forms.NumberInput(attrs=NUMBER))
    knapsack = forms.BooleanField(label=_("A ballot's projects cost at most the budget"), required=False,
                                  widget=forms.CheckboxInput(attrs=CHECK))
    reviewers_per_proposal = fields.IntegerField(label=_("Reviewers per proposal"), min_value=0, max_value=1000, required=False,
                                                 widget=forms.NumberInput(attrs=NUMBER))
    blind_review = forms.BooleanField(label=_("Blind review (reviewers do not see the applicant)"), required=False,
                                      widget=forms.CheckboxInput(attrs=CHECK))

    def __init__(self, *args: Any, funds: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("fund", *(f"share_fund_{n}" for n in range(1, SHARE_ROWS + 1))):
            self.fields[name].queryset = funds  # type: ignore[attr-defined]
        within = Q(pk__in=[])
        for path in {f.division.path for f in funds[:200]}:
            within |= Q(path__startswith=path)
        self.fields["area"].queryset = Division.objects.filter(within, level__in=("street", "community")).order_by("code")  # type: ignore[attr-defined]
        if not self.is_bound:
            only = list(funds[:2])
            if len(only) == 1:
                self.fields["fund"].initial = only[0].pk
            self.fields["year"].initial = timezone.localdate().year
            for kind, (opens, closes) in default_phases().items():
                self.fields[f"{kind}_opens"].initial = timezone.localtime(opens).strftime(MOMENT_FORMAT)
                self.fields[f"{kind}_closes"].initial = timezone.localtime(closes).strftime(MOMENT_FORMAT)

    def phases(self) -> dict[str, tuple[dt.datetime, dt.datetime]]:
        data = self.cleaned_data
        out = {}
        for kind in PHASE_ORDER:
            if kind == PhaseKind.VOTE and not data.get("has_vote"):
                continue
            opens, closes = data.get(f"{kind}_opens"), data.get(f"{kind}_closes")
            if opens is not None and closes is not None:
                out[kind] = (opens, closes)
        return out

    def phase_rows(self) -> list[tuple[Any, Any, Any]]:
        return [(PhaseKind(k).label, self[f"{k}_opens"], self[f"{k}_closes"]) for k in PHASE_ORDER]

    def share_rows(self) -> list[tuple[Any, Any]]:
        return [(self[f"share_fund_{n}"], self[f"share_amount_{n}"]) for n in range(1, SHARE_ROWS + 1)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for n in range(1, SHARE_ROWS + 1):
            fund, amount = data.get(f"share_fund_{n}"), data.get(f"share_amount_{n}")
            if (fund is None) != (amount is None) and f"share_amount_{n}" not in self.errors:
                self.add_error(f"share_amount_{n}", forms.ValidationError(
                    _("Give both the fund and its part of the budget, or neither."), code="share_incomplete"))
        return data

    def shares(self) -> list[tuple[Any, Any]]:
        """The other funds' parts of the budget, as the service takes them."""
        data = self.cleaned_data
        return [(data[f"share_fund_{n}"], data[f"share_amount_{n}"]) for n in range(1, SHARE_ROWS + 1)
                if data.get(f"share_fund_{n}") is not None]


# Rows for other funds of the street sharing the budget (a round draws on at most services.funds.MAX_FUNDS funds).
SHARE_ROWS = 3
for _n in range(1, SHARE_ROWS + 1):
    RoundForm.base_fields[f"share_fund_{_n}"] = FundChoiceField(
        label=_("Also from"), queryset=None, required=False, empty_label=_("(no other fund)"), widget=forms.Select(attrs=SELECT))
    RoundForm.base_fields[f"share_amount_{_n}"] = fields.AmountField(
        label=_("Its part (yuan)"), required=False, widget=forms.TextInput(attrs=AMOUNT))

for _kind in PHASE_ORDER:
    _required = _kind != PhaseKind.VOTE
    RoundForm.base_fields[f"{_kind}_opens"] = fields.DateTimeField(
        label=_("Opens"), required=_required, widget=forms.DateTimeInput(attrs=MOMENT, format=MOMENT_FORMAT),
        input_formats=MOMENT_FORMATS)
    RoundForm.base_fields[f"{_kind}_closes"] = fields.DateTimeField(
        label=_("Closes"), required=_required, widget=forms.DateTimeInput(attrs=MOMENT, format=MOMENT_FORMAT),
        input_formats=MOMENT_FORMATS)


class ExtendForm(forms.Form):
    kind = forms.ChoiceField(label=_("Phase"), choices=PhaseKind.choices, widget=forms.Select(attrs=SELECT))
    closes_at = fields.DateTimeField(label=_("Closes at"), widget=forms.DateTimeInput(attrs=MOMENT, format=MOMENT_FORMAT),
                                     input_formats=MOMENT_FORMATS)
    reason = fields.TextField(label=_("Reason (shown with the round)"), max_length=200, widget=forms.TextInput(attrs=TEXT))

    def __init__(self, *args: Any, kinds: list[tuple[str, Any]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kinds is not None:
            self.fields["kind"].choices = kinds  # type: ignore[attr-defined]


class MergeForm(forms.Form):
    need = forms.CharField(max_length=20, widget=forms.HiddenInput)
    into = forms.CharField(label=_("Merge into"), max_length=20, widget=forms.TextInput(attrs=TEXT))


class ScreenForm(forms.Form):
    feasible = forms.ChoiceField(label=_("Screening decision"), choices=[("yes", _("Feasible")), ("no", _("Not feasible"))],
                                 widget=forms.RadioSelect(attrs=CHECK))
    accepted_price = forms.CharField(label=_("Accepted price (yuan)"), max_length=40, required=False,
                                     widget=forms.TextInput(attrs=AMOUNT),
                                     help_text=_("Empty: what was asked. At most what was asked."))
    note = fields.TextField(label=_("Screening note (public)"), max_length=500, required=False, multiline=True,
                            widget=forms.Textarea(attrs={**TEXT, "rows": 2}),
                            help_text=_("Required when not feasible: the applicant and the public read it."))


class ReturnForm(forms.Form):
    note = fields.TextField(label=_("What to change"), max_length=500, multiline=True, required=False,
                            widget=forms.Textarea(attrs={**TEXT, "rows": 2}))


class ReasonForm(forms.Form):
    reason = fields.TextField(label=_("Reason"), max_length=300, required=False, multiline=True,
                              widget=forms.Textarea(attrs={**TEXT, "rows": 2}))


class PayerForm(forms.Form):
    """Which of the round's funds pays an award."""

    fund = forms.TypedChoiceField(label=_("Paid from"), coerce=int,
                                  widget=forms.Select(attrs={**SELECT, "class": "form-select form-select-sm"}))

    def __init__(self, *args: Any, funds: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fund"].choices = [(f.fund_id, f.name) for f in funds]  # type: ignore[attr-defined]


class AssignForm(forms.Form):
    experts = forms.MultipleChoiceField(label=_("Experts"), required=False, widget=forms.CheckboxSelectMultiple(attrs=CHECK))

    def __init__(self, *args: Any, pool: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["experts"].choices = [(str(e.user_id), e.name) for e in pool]  # type: ignore[attr-defined]
        if not self.is_bound:
            self.fields["experts"].initial = [str(e.user_id) for e in pool]


# --- the rubric --------------------------------------------------------------------------------------------------

_LEVEL = re.compile(r"^\s*([0-9０-９]{1,3})\s*[:：.、\s-]\s*(.*)$")


def levels_from_text(text: str) -> list[dict[str, Any]]:
    """Lines "0 Unclear need" / "4: Clear need" as levels; a line that does not start with a number is kept whole as
    its text with no start, so the service refuses it with its own code."""
    out: list[dict[str, Any]] = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        m = _LEVEL.match(line)
        out.append({"from": m.group(1), "text": m.group(2)} if m else {"from": None, "text": line.strip()})
    return out


def levels_as_text(levels: list[dict[str, Any]]) -> str:
    return "\n".join(f"{lv.get('from')} {lv.get('text', '')}" for lv in levels)


def default_rubric() -> list[dict[str, Any]]:
    """The criteria micro-venture rounds usually mark (a starting point the staff change)."""
    weak, adequate, strong = _("Weak"), _("Adequate"), _("Strong")
    levels = f"0 {weak}\n4 {adequate}\n8 {strong}"
    names = [(_("Need and beneficiaries"), 2), (_("Public benefit"), 1), (_("Feasibility"), 2), (_("Budget reasonableness"), 1),
             (_("Innovation"), 1), (_("Sustainability"), 1), (_("The team"), 1)]
    return [{"name": str(name), "weight": str(weight), "max_score": "10", "levels": str(levels)} for name, weight in names]


class RubricForm(forms.Form):
    """Up to CRITERIA_MAX rows; a row with no name is left out."""

    ROWS = CRITERIA_MAX

    def __init__(self, *args: Any, criteria: list[Criterion] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i in range(self.ROWS):
            self.fields[f"c{i}_name"] = fields.TextField(label=_("Criterion"), max_length=64, required=False,
                                                         widget=forms.TextInput(attrs=TEXT))
            self.fields[f"c{i}_weight"] = forms.CharField(label=_("Weight"), max_length=10, required=False,
                                                          widget=forms.TextInput(attrs={**NUMBER, "inputmode": "decimal"}))
            self.fields[f"c{i}_max_score"] = forms.CharField(label=_("Highest score"), max_length=10, required=False,
                                                             widget=forms.TextInput(attrs=NUMBER))
            self.fields[f"c{i}_levels"] = fields.TextField(
                label=_("Levels (one a line: lowest score, then what it means)"), required=False, multiline=True,
                max_length=LEVELS_MAX * (LEVEL_TEXT_MAX + 8), widget=forms.Textarea(attrs={**TEXT, "rows": 3}))
        if not self.is_bound:
            rows = ([{"name": c.name, "weight": f"{c.weight.normalize():f}", "max_score": str(c.max_score),
                      "levels": levels_as_text(c.levels)} for c in criteria] if criteria else default_rubric())
            for i, row in enumerate(rows[: self.ROWS]):
                for key, value in row.items():
                    self.fields[f"c{i}_{key}"].initial = value
        self.row_of: list[int] = []  # the service's criterion index → the form's row
        filled = [i for i in range(self.ROWS) if (self.data.get(self.add_prefix(f"c{i}_name")) if self.is_bound
                                                   else self.fields[f"c{i}_name"].initial)]
        self.shown = min(self.ROWS, (max(filled) + 2) if filled else 1)  # the rows shown open; the rest folded

    def rows(self) -> list[list[Any]]:
        return [[self[f"c{i}_{k}"] for k in ("name", "weight", "max_score", "levels")] for i in range(self.ROWS)]

    def criteria(self) -> list[dict[str, Any]]:
        out = []
        self.row_of = []
        for i in range(self.ROWS):
            name = self.cleaned_data.get(f"c{i}_name") or ""
            if not name.strip():
                continue
            self.row_of.append(i)
            out.append({"name": name, "weight": self.cleaned_data.get(f"c{i}_weight") or "",
                        "max_score": self.cleaned_data.get(f"c{i}_max_score") or "",
                        "levels": levels_from_text(self.cleaned_data.get(f"c{i}_levels") or "")})
        return out

    def field_for(self, name: str) -> str | None:
        """The service's field name ("criteria[2].levels[0].from") as this form's ("c4_levels")."""
        m = re.match(r"criteria\[(\d+)\](?:\.(name|weight|max_score|levels))?", name)
        if not m or int(m.group(1)) >= len(self.row_of):
            return None
        return f"c{self.row_of[int(m.group(1))]}_{m.group(2) or 'name'}"


# --- the vote ------------------------------------------------------------------------------------------------------

class PaperForm(forms.Form):
    paper_number = fields.TextField(label=_("Paper ballot number"), max_length=20,
                                    widget=forms.TextInput(attrs={**TEXT, "autocomplete": "off"}))
    voter = forms.CharField(label=_("Voter's resident ID or mobile number"), max_length=40,
                            widget=forms.TextInput(attrs={**TEXT, "autocomplete": "off"}))

    def __init__(self, *args: Any, ballot: list[tuple[int, str]], cumulative: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cumulative = cumulative
        self.ballot = ballot
        if cumulative:
            for pid, label in ballot:
                self.fields[f"p{pid}"] = fields.IntegerField(
                    label=label, required=False, min_value=0, max_value=100_000,
                    widget=forms.NumberInput(attrs={**NUMBER, "class": "form-control form-control-sm"}))
        else:
            self.fields["choices"] = forms.MultipleChoiceField(
                label=_("Projects ticked on the paper"), required=False, choices=[(str(pid), label) for pid, label in ballot],
                widget=forms.CheckboxSelectMultiple(attrs=CHECK))

    def choices(self) -> Any:
        if self.cumulative:
            return {pid: self.cleaned_data[f"p{pid}"] for pid, _label in self.ballot if self.cleaned_data.get(f"p{pid}")}
        return [int(v) for v in self.cleaned_data.get("choices", [])]

    def point_fields(self) -> list[Any]:
        return [self[f"p{pid}"] for pid, _label in self.ballot] if self.cumulative else []


# --- the expert's review -----------------------------------------------------------------------------------------

class ReviewForm(forms.Form):
    comment = fields.TextField(label=_("Comment"), max_length=COMMENT_MAX, required=False, multiline=True,
                               widget=forms.Textarea(attrs={**TEXT, "rows": 4}))

    def __init__(self, *args: Any, criteria: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for c in criteria:
            self.fields[f"score_{c.id}"] = forms.CharField(
                label=c.name, max_length=10, required=False,
                widget=forms.NumberInput(attrs={**NUMBER, "min": 0, "max": c.max_score, "step": 1, "data-score": "",
                                                "data-weight": f"{c.weight:f}", "data-max": c.max_score}))

    def scores(self) -> dict[int, Any]:
        return {c.id: (self.cleaned_data.get(f"score_{c.id}") or "").strip() for c in self.criteria}

    def score_fields(self) -> list[tuple[Any, Any]]:
        return [(c, self[f"score_{c.id}"]) for c in self.criteria]


class RecuseForm(forms.Form):
    reason = fields.TextField(label=_("Why you step back"), max_length=200, required=False,
                              widget=forms.TextInput(attrs=TEXT))


class TieForm(forms.Form):
    note = fields.TextField(label=_("Your tie (family, a former employer, a board seat)"), max_length=200, required=False,
                            widget=forms.TextInput(attrs=TEXT))
