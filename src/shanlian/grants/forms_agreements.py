"""Forms of the agreement pages. They only parse what a person types: shares, amounts, milestones, dates and texts
reach the agreements services as typed, and the services' refusals come back onto the form with their codes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shanlian.charity.models import Purpose
from shanlian.core import fields
from shanlian.core.money import Money

from .models import Agreement, BudgetChange, Evidence, LineCategory, Milestone
from .services.agreements import MAX_TRANCHES

TEXT = {"class": "form-control"}
SELECT = {"class": "form-select"}
AMOUNT = {**TEXT, "inputmode": "decimal", "autocomplete": "off", "placeholder": "0.00"}
WHOLE = {**TEXT, "inputmode": "numeric", "autocomplete": "off"}
MAX_REPORTING_DATES = 12
SHOWN_REPORTING_DATES = 4  # the rest behind "more dates"


def milestone_label(m: Milestone) -> str:
    return f"{m.n}. {m.title}（{m.due_on:%Y-%m-%d}）"


class DraftForm(forms.Form):
    """The tranche schedule (rows of a share or an amount, and the milestone releasing it) and the reporting
    dates. Empty rows are left out."""

    mode = forms.ChoiceField(label=_("Tranches given as"), choices=[("percent", _("Shares of the award (%)")),
                                                                   ("amount", _("Amounts (yuan)"))],
                             initial="percent", widget=forms.RadioSelect(attrs={"class": "form-check-input"}))

    def __init__(self, *args: Any, milestones: list[Milestone], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("None: an advance (first tranche only)"))] + [(str(m.n), milestone_label(m)) for m in milestones]
        for i in range(1, MAX_TRANCHES + 1):
            self.fields[f"value_{i}"] = forms.CharField(label=_("Tranche %(n)s") % {"n": i}, max_length=24, required=False,
                                                        widget=forms.TextInput(attrs={**AMOUNT, "placeholder": ""}))
            self.fields[f"milestone_{i}"] = forms.TypedChoiceField(
                label=_("Released by"), choices=choices, coerce=int, empty_value=None, required=False,
                widget=forms.Select(attrs=SELECT))
        for i in range(1, MAX_REPORTING_DATES + 1):
            self.fields[f"report_{i}"] = fields.DateField(label=_("Report %(n)s") % {"n": i}, required=False,
                                                          widget=forms.DateInput(attrs={**TEXT, "type": "date"}))

    def rows(self) -> list[tuple[Any, Any]]:
        """The bound fields of each tranche row (value, milestone), for the template."""
        return [(self[f"value_{i}"], self[f"milestone_{i}"]) for i in range(1, MAX_TRANCHES + 1)]

    def shown_dates(self) -> list[Any]:
        return [self[f"report_{i}"] for i in range(1, SHOWN_REPORTING_DATES + 1)]

    def more_dates(self) -> list[Any]:
        return [self[f"report_{i}"] for i in range(SHOWN_REPORTING_DATES + 1, MAX_REPORTING_DATES + 1)]

    def more_dates_used(self) -> bool:
        return any(bound.value() for bound in self.more_dates())

    def tranches(self) -> list[dict[str, Any]]:
        """The rows as the service takes them: {"percent" or "amount": as typed, "milestone": n or None}."""
        key = "percent" if self.cleaned_data.get("mode") == "percent" else "amount"
        out: list[dict[str, Any]] = []
        for i in range(1, MAX_TRANCHES + 1):
            value, milestone = (self.cleaned_data.get(f"value_{i}") or "").strip(), self.cleaned_data.get(f"milestone_{i}")
            if value or milestone is not None:
                out.append({key: value, "milestone": milestone})
        return out

    def reporting_dates(self) -> list[dt.date]:
        return [d for i in range(1, MAX_REPORTING_DATES + 1) if (d := self.cleaned_data.get(f"report_{i}")) is not None]


def draft_initial(agreement: Agreement | None, milestones: list[Milestone]) -> dict[str, Any]:
    """What the draft form starts with: the draft as it stands, or a suggestion (40% advance, 40% at the first
    milestone, 20% at the last; 50/50 with one milestone)."""
    initial: dict[str, Any] = {}
    if agreement is not None:
        initial["mode"] = "amount"
        for t in agreement.tranches.select_related("milestone").order_by("n"):
            initial[f"value_{t.n}"] = f"{t.amount.amount:.2f}"
            initial[f"milestone_{t.n}"] = t.milestone.n if t.milestone is not None else ""
        for i, day in enumerate(agreement.reporting_dates or [], start=1):
            initial[f"report_{i}"] = day
        return initial
    initial["mode"] = "percent"
    if len(milestones) >= 2:
        plan = [(40, None), (40, milestones[0].n), (20, milestones[-1].n)]
    elif milestones:
        plan = [(50, None), (50, milestones[0].n)]
    else:
        plan = [(100, None)]
    for i, (share, n) in enumerate(plan, start=1):
        initial[f"value_{i}"], initial[f"milestone_{i}"] = str(share), n if n is not None else ""
    return initial


class EvidenceForm(forms.Form):
    milestone = forms.TypedChoiceField(label=_("Milestone"), choices=(), coerce=int, widget=forms.Select(attrs=SELECT))
    text = fields.TextField(label=_("What was done"), max_length=2000, multiline=True,
                            widget=forms.Textarea(attrs={**TEXT, "rows": 4}),
                            help_text=_("What the milestone achieved, for whom, and where the records are kept."))
    person_times = fields.IntegerField(label=_("Person-times served (人次)"), min_value=0, max_value=1_000_000, initial=0,
                                       widget=forms.NumberInput(attrs=WHOLE))
    sessions = fields.IntegerField(label=_("Sessions (场次)"), min_value=0, max_value=100_000, initial=0,
                                   widget=forms.NumberInput(attrs=WHOLE))

    def __init__(self, *args: Any, milestones: list[Milestone], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["milestone"].choices = [(m.n, milestone_label(m)) for m in milestones]  # type: ignore[attr-defined]


class DecideForm(forms.Form):
    accept = forms.TypedChoiceField(choices=[("1", _("Accept")), ("0", _("Not accepted"))], coerce=lambda v: v == "1",
                                    widget=forms.HiddenInput)
    note = fields.TextField(label=_("Note (required when not accepted)"), required=False,
                            max_length=Evidence._meta.get_field("note").max_length,
                            widget=forms.TextInput(attrs={**TEXT, "autocomplete": "off"}))


class SignForm(forms.Form):
    """The fund's signature may name the project's service area in the registry (else the proposal's needs say)."""

    area = forms.ChoiceField(label=_("Service area"), required=False, widget=forms.Select(attrs=SELECT),
                             choices=[("", _("As the needs it answers say"))] + list(Purpose.choices))


class CloseForm(forms.Form):
    """The final report, and what was spent on each line of the budget as it stands (`current_lines`)."""

    final_report = fields.TextField(label=_("Final report"), max_length=5000, multiline=True,
                                    widget=forms.Textarea(attrs={**TEXT, "rows": 5}),
                                    help_text=_("What the project did and achieved, and what it did not, and why."))

    def __init__(self, *args: Any, lines: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line_numbers = [int(line["n"]) for line in lines]
        for line in lines:
            self.fields[f"actual_{line['n']}"] = fields.AmountField(
                label=f"{line['n']}. {line['item']}", positive=False, required=False, widget=forms.TextInput(attrs=AMOUNT),
                help_text=_("Budget: %(amount)s") % {"amount": Money(line["amount"])})

    def line_fields(self) -> list[Any]:
        return [self[f"actual_{n}"] for n in self.line_numbers]

    def actuals(self) -> dict[int, Any]:
        return {n: value for n in self.line_numbers if (value := self.cleaned_data.get(f"actual_{n}")) is not None}


NEW_LINES = 3


class BudgetChangeForm(forms.Form):
    """New amounts for the budget's lines (prefilled with the amounts now), up to three new lines, and the reason."""

    reason = fields.TextField(label=_("Why the budget changes"), max_length=BudgetChange._meta.get_field("reason").max_length,
                              widget=forms.Textarea(attrs={**TEXT, "rows": 3}))

    def __init__(self, *args: Any, lines: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[f"amount_{line['n']}"] = forms.CharField(
                label=f"{line['n']}. {line['item']}", max_length=24, initial=f"{Decimal(line['amount']):.2f}",
                widget=forms.TextInput(attrs=AMOUNT), help_text=_("Now: %(amount)s") % {"amount": Money(line["amount"])})
        for i in range(1, NEW_LINES + 1):
            self.fields[f"new_category_{i}"] = forms.ChoiceField(
                label=_("Category"), required=False, choices=[("", "—")] + list(LineCategory.choices), widget=forms.Select(attrs=SELECT))
            self.fields[f"new_item_{i}"] = forms.CharField(label=_("Item"), max_length=100, required=False,
                                                           widget=forms.TextInput(attrs=TEXT))
            self.fields[f"new_amount_{i}"] = forms.CharField(label=_("Amount (yuan)"), max_length=24, required=False,
                                                             widget=forms.TextInput(attrs=AMOUNT))

    def line_fields(self) -> list[Any]:
        return [self[f"amount_{line['n']}"] for line in self.lines]

    def new_rows(self) -> list[tuple[Any, Any, Any]]:
        return [(self[f"new_category_{i}"], self[f"new_item_{i}"], self[f"new_amount_{i}"]) for i in range(1, NEW_LINES + 1)]

    def amounts(self) -> dict[int, str]:
        """The lines' amounts as typed (the service keeps those unchanged as they are)."""
        return {int(line["n"]): self.cleaned_data[f"amount_{line['n']}"].strip() for line in self.lines}

    def new_lines(self) -> list[Mapping[str, Any]]:
        out: list[Mapping[str, Any]] = []
        for i in range(1, NEW_LINES + 1):
            row = {"category": self.cleaned_data.get(f"new_category_{i}") or "", "item": self.cleaned_data.get(f"new_item_{i}") or "",
                   "amount": (self.cleaned_data.get(f"new_amount_{i}") or "").strip()}
            if any(row.values()):
                out.append({**row, "category": row["category"] or None})
        return out


class BudgetDecideForm(forms.Form):
    approve = forms.TypedChoiceField(choices=[("1", _("Approve")), ("0", _("Not approved"))], coerce=lambda v: v == "1",
                                     widget=forms.HiddenInput)
    note = fields.TextField(label=_("Note (required when not approved)"), required=False,
                            max_length=BudgetChange._meta.get_field("note").max_length,
                            widget=forms.TextInput(attrs={**TEXT, "autocomplete": "off"}))
