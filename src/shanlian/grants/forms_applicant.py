"""The applicant's proposal form: plain fields for the proposal, and budget lines and milestones as rows with indexed
names (`line-3-unit_price`, `milestone-2-due_on`). Nothing is decided here: what was typed goes to proposal_save as it
is, and the service's errors (`lines.3.unit_price`) come back next to the right field of the right row."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from shanlian.core.errors import DomainError
from shanlian.core.money import CENT, Money

from .models import LineCategory, Proposal
from .services.proposals import MAX_LINES, MAX_MILESTONES, MAX_NEEDS, OUTCOMES_MAX, SUMMARY_MAX

LINE_FIELDS = ("category", "item", "quantity", "unit", "unit_price")
MILESTONE_FIELDS = ("title", "due_on")
SPARE_ROWS = 2  # empty rows offered below the filled ones (the page works without JavaScript)
_ROW = re.compile(r"^(line|milestone)-([0-9]{1,3})-([a-z_]{1,12})$")


def _text(label: Any, *, textarea: bool = False, maxlength: int | None = None, **attrs: Any) -> forms.CharField:
    widget_attrs = {"class": "form-control", **attrs}
    if maxlength:
        widget_attrs["maxlength"] = maxlength
    widget = forms.Textarea(attrs={"rows": 4, **widget_attrs}) if textarea else forms.TextInput(attrs=widget_attrs)
    return forms.CharField(label=label, required=False, widget=widget)


def _max(name: str) -> int:
    field = Proposal._meta.get_field(name)
    return getattr(field, "max_length", None) or 200


class ProposalForm(forms.Form):
    """The proposal's own fields, all passed to the service as typed (its checks are the rules)."""

    applicant = forms.TypedChoiceField(label=_("Proposing organization"), coerce=int, required=False,
                                       widget=forms.Select(attrs={"class": "form-select"}))
    title = _text(_("Project title"), maxlength=_max("title"))
    summary = _text(_("Summary"), textarea=True, maxlength=SUMMARY_MAX)
    beneficiaries = _text(_("Beneficiaries"), maxlength=_max("beneficiaries"))
    beneficiary_count = _text(_("Number of beneficiaries"), inputmode="numeric", maxlength=8)
    outcomes = _text(_("Expected outcomes"), textarea=True, maxlength=OUTCOMES_MAX)
    co_funding = _text(_("Co-funding (yuan)"), inputmode="decimal", maxlength=16, placeholder="0.00")
    co_funding_source = _text(_("Co-funding from"), maxlength=_max("co_funding_source"))
    starts_on = _text(_("Starts on"), type="date")
    ends_on = _text(_("Ends on"), type="date")
    needs = forms.MultipleChoiceField(label=_("Needs the project answers"), required=False,
                                      widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))
    attachments = forms.Field(label=_("Attachments"), required=False)  # the files are read from request.FILES

    def __init__(self, *args: Any, organizations: list[Any], needs: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["applicant"]).choices = [(o.pk, o.name) for o in organizations]
        cast(forms.ChoiceField, self.fields["needs"]).choices = [(str(n.pk), n.text[:80]) for n in needs]
        self.fields["beneficiary_count"].widget.attrs["required"] = True
        for name in ("title", "summary", "beneficiaries", "outcomes", "starts_on", "ends_on"):
            self.fields[name].widget.attrs["required"] = True


@dataclass
class Row:
    n: int
    values: dict[str, str]
    errors: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # field ("" for the row) → (code, message)

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    @property
    def money(self) -> Money | None:
        """quantity × unit price, for showing (the service computes it exactly on save), if it is an amount."""
        try:
            product = Decimal(self.get("quantity").replace(",", "")) * Decimal(self.get("unit_price").replace(",", ""))
        except (InvalidOperation, ValueError):
            return None
        if not product.is_finite() or product <= 0 or product > Decimal(10) ** 12 or product != product.quantize(CENT):
            return None
        return Money(product)

    @property
    def amount(self) -> str:
        money = self.money
        return "" if money is None else str(money)

    @property
    def row_errors(self) -> list[tuple[str, str]]:
        return [e for name, errs in self.errors.items() for e in errs if name not in LINE_FIELDS + MILESTONE_FIELDS]


@dataclass
class RowSet:
    """Budget lines or milestones: the filled rows in order (numbered from 1, as the service numbers them), spare
    empty rows after them, and the errors about the set as a whole."""

    kind: str  # "line" | "milestone"
    rows: list[Row]
    most: int
    errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def fields(self) -> tuple[str, ...]:
        return LINE_FIELDS if self.kind == "line" else MILESTONE_FIELDS

    @property
    def shown(self) -> list[Row]:
        spare = max(0, min(SPARE_ROWS, self.most - len(self.rows)))
        blank = [Row(n=len(self.rows) + i + 1, values={"category": "other"} if self.kind == "line" else {}) for i in range(spare)]
        return self.rows + blank

    def as_input(self) -> list[dict[str, str]]:
        return [{k: r.get(k) for k in self.fields} for r in self.rows]


def lines_total(lines: RowSet) -> Money:
    """The sum of the lines whose amount can be shown (what the page shows before the service checks them)."""
    total = Money(0)
    for row in lines.rows:
        if row.money is not None:
            total += row.money
    return total


def rows_from_post(data: QueryDict, kind: str) -> RowSet:
    """The filled rows of one kind, in the order of their indexes (gaps left by removed rows closed)."""
    found: dict[int, dict[str, str]] = {}
    names = LINE_FIELDS if kind == "line" else MILESTONE_FIELDS
    for key in list(data.keys())[:2000]:
        m = _ROW.match(key)
        if m and m.group(1) == kind and m.group(3) in names:
            found.setdefault(int(m.group(2)), {})[m.group(3)] = (data.get(key) or "").strip()
    filled = [v for _i, v in sorted(found.items()) if any(v.get(k) for k in names if k != "category")]
    most = MAX_LINES if kind == "line" else MAX_MILESTONES
    return RowSet(kind=kind, rows=[Row(n=i, values=v) for i, v in enumerate(filled, start=1)], most=most)


def rows_from_proposal(proposal: Proposal | None, kind: str) -> RowSet:
    most = MAX_LINES if kind == "line" else MAX_MILESTONES
    if proposal is None:
        return RowSet(kind=kind, rows=[], most=most)
    if kind == "line":
        rows = [Row(n=i, values={"category": ln.category, "item": ln.item, "quantity": f"{ln.quantity.normalize():f}",
                                 "unit": ln.unit, "unit_price": f"{ln.unit_price.amount:f}"})
                for i, ln in enumerate(proposal.lines.all(), start=1)]
    else:
        rows = [Row(n=i, values={"title": m.title, "due_on": m.due_on.isoformat()})
                for i, m in enumerate(proposal.milestones.all(), start=1)]
    return RowSet(kind=kind, rows=rows, most=most)


def initial_of(proposal: Proposal) -> dict[str, Any]:
    return {"applicant": proposal.applicant_id, "title": proposal.title, "summary": proposal.summary,
            "beneficiaries": proposal.beneficiaries, "beneficiary_count": proposal.beneficiary_count,
            "outcomes": proposal.outcomes, "co_funding": f"{proposal.co_funding.amount:f}" if proposal.co_funding else "",
            "co_funding_source": proposal.co_funding_source, "starts_on": proposal.starts_on.isoformat(),
            "ends_on": proposal.ends_on.isoformat(), "needs": [str(n.pk) for n in proposal.needs.all()]}


def needs_from_post(data: QueryDict) -> list[str]:
    return data.getlist("needs")[:MAX_NEEDS * 5]  # more than the most is refused by the service, with its code


def place_errors(form: forms.Form, lines: RowSet, milestones: RowSet, exc: DomainError) -> None:
    """The service's errors where they belong: `title` on its field, `lines.3.unit_price` on the third line's unit
    price, `lines` over the lines; the message at the top when nothing took it."""
    placed = False
    for name, errors in exc.fields.items():
        head, _sep, rest = name.partition(".")
        sets = {"lines": lines, "milestones": milestones}
        if head in sets:
            target = sets[head]
            if not rest:
                target.errors.extend((c, str(m)) for c, m in errors)
                placed = True
                continue
            number, _sep, column = rest.partition(".")
            row = next((r for r in target.rows if str(r.n) == number), None)
            if row is not None:
                row.errors.setdefault(column, []).extend((c, str(m)) for c, m in errors)
                placed = True
                continue
        if name in form.fields:
            for code, message in errors:
                form.add_error(name, ValidationError(str(message), code=code))
            placed = True
    if not placed:
        form.add_error(None, ValidationError(str(exc.message), code=exc.code))


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Why do you withdraw it?"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2, "class": "form-control", "maxlength": 500}))


CATEGORY_CHOICES = LineCategory.choices
