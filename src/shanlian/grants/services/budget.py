"""Changes to an agreement's budget (预算调整): the applicant asks for new amounts on its lines (and perhaps new
lines), the whole still adding up to the award exactly; a round admin other than the requester approves or not.
One request waits at a time (the database holds it too). The lines of the latest approved change are the budget
the agreement's spending is compared with and closed against (`current_lines`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log
from shanlian.core.errors import Conflict, PermissionDenied, field_error, lazy_format
from shanlian.core.inputs import Checks, amount_in, id_param, model_text
from shanlian.core.money import Money
from shanlian.core.transitions import transition

from ..access import require_applicant_for, require_round_admin
from ..models import Agreement, AgreementStatus, BudgetChange, BudgetChangeStatus, BudgetLine, LineCategory

MAX_LINES = 30  # as a proposal's budget
NEW_LINE_KEYS = frozenset({"category", "item", "amount", "unit"})


def _line(line: BudgetLine) -> dict[str, Any]:
    return {"n": line.n, "category": line.category, "item": line.item, "quantity": f"{line.quantity:f}", "unit": line.unit,
            "unit_price": str(line.unit_price.amount), "amount": str(line.amount.amount)}


def current_lines(agreement: Agreement) -> list[dict[str, Any]]:
    """The agreement's budget as it stands: the latest approved change's lines, else the proposal's. Each line a dict
    (amounts as yuan strings; a line whose amount was changed has no quantity or unit price any more)."""
    latest = (BudgetChange.objects.filter(agreement=agreement, status=BudgetChangeStatus.APPROVED)
              .order_by("-number").values_list("lines", flat=True).first())
    if latest is not None:
        return list(latest)
    return [_line(line) for line in BudgetLine.objects.filter(proposal_id=agreement.proposal_id).order_by("n")]


def _total(lines: Iterable[Mapping[str, Any]]) -> Money:
    return Money(sum((Decimal(row["amount"]) for row in lines), Decimal(0)))


def _amounts_in(checks: Checks, amounts: Any, known: dict[int, dict[str, Any]]) -> dict[int, Money]:
    if amounts is None:
        return {}
    if not isinstance(amounts, Mapping):
        checks.failed.append(field_error("amounts", "invalid_amounts", _("Give the new amount of each line by its number.")))
        return {}
    out: dict[int, Money] = {}
    for key, value in amounts.items():
        n = key if isinstance(key, int) and not isinstance(key, bool) else id_param(key)
        if n is None or n not in known:
            checks.failed.append(field_error("amounts", "unknown_line", lazy_format(
                _("The budget has no line %(n)s."), {"n": str(key)[:10]})))
            continue
        money = checks(amount_in, value, field=f"amounts.{n}", positive=False)
        if money is not None:
            out[n] = money
    return out


def _new_lines_in(checks: Checks, raw: Any, first_n: int) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if isinstance(raw, str | bytes | Mapping) or not isinstance(raw, Iterable):
        checks.failed.append(field_error("new_lines", "invalid_list", _("Expected a list.")))
        return []
    rows = list(raw)
    out: list[dict[str, Any]] = []
    for i, row in enumerate(rows, start=1):
        at = f"new_lines.{i}"
        if not isinstance(row, Mapping) or not set(row) <= NEW_LINE_KEYS:
            checks.failed.append(field_error(at, "invalid_line", lazy_format(
                _("Row %(n)s is not understood: it needs %(keys)s."), {"n": i, "keys": "category, item, amount"})))
            continue
        category = row.get("category")
        if category not in LineCategory.values:
            checks.failed.append(field_error(f"{at}.category", "invalid_line_category", _("Choose one of the listed categories.")))
        item = checks(model_text, BudgetLine, "item", row.get("item"), field=f"{at}.item", required=True)
        unit = checks(model_text, BudgetLine, "unit", row.get("unit", ""), field=f"{at}.unit")
        money = checks(amount_in, row.get("amount"), field=f"{at}.amount")
        if None in (item, unit, money) or category not in LineCategory.values:
            continue
        out.append({"n": first_n + len(out), "category": category, "item": item, "quantity": None, "unit": unit or "",
                    "unit_price": None, "amount": str(money.amount)})
    return out


@transaction.atomic
def budget_change_request(*, actor: Any, agreement: Agreement, amounts: Mapping[Any, Any] | None = None,
                          new_lines: list[Mapping[str, Any]] | None = None, reason: str) -> BudgetChange:
    """Ask to change the budget: `amounts` gives a line's new amount by its number (zero: nothing more is spent on
    it; lines not named keep theirs), `new_lines` adds lines ({"category", "item", "amount"}). The new budget adds up
    to the award exactly (money moves between lines; the award itself does not change). While the agreement is not
    closed; one request waits at a time."""
    proposal = agreement.proposal
    require_applicant_for(actor, proposal.applicant_id)
    locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if locked.status == AgreementStatus.CLOSED:
        raise Conflict("agreement_closed", _("The agreement is closed; its budget no longer changes."))
    if BudgetChange.objects.filter(agreement=locked, status=BudgetChangeStatus.PENDING).exists():
        raise Conflict("budget_change_pending", _("A budget change is already waiting for a decision."))
    before = current_lines(locked)
    known = {int(row["n"]): row for row in before}
    checks = Checks()
    text = checks(model_text, BudgetChange, "reason", reason, required=True)
    changed = _amounts_in(checks, amounts, known)
    added = _new_lines_in(checks, new_lines, max(known, default=0) + 1)
    checks.done()
    lines: list[dict[str, Any]] = []
    for n, row in sorted(known.items()):
        money = changed.get(n)
        if money is None or money.amount == Decimal(row["amount"]):
            lines.append(dict(row))
        else:
            lines.append({**row, "quantity": None, "unit_price": None, "amount": str(money.amount)})
    lines += added
    if len(lines) > MAX_LINES:
        raise field_error("new_lines", "too_many_lines", lazy_format(_("A budget has at most %(max)s lines."), {"max": MAX_LINES}))
    if lines == before:
        raise field_error("amounts", "no_change", _("The new budget is the same as the budget now."))
    total = _total(lines)
    if total != locked.amount:
        raise field_error("amounts", "budget_not_award", lazy_format(
            _("The new budget adds up to %(total)s; it must add up to the award, %(award)s."), {"total": total, "award": locked.amount}))
    number = (BudgetChange.objects.filter(agreement=locked).aggregate(last=Max("number"))["last"] or 0) + 1
    try:
        with transaction.atomic():
            change = BudgetChange.objects.create(agreement=locked, number=number, lines=lines, lines_before=before, reason=text,
                                                 requested_by=actor)
    except IntegrityError:  # a twin request got in first
        raise Conflict("budget_change_pending", _("A budget change is already waiting for a decision.")) from None
    audit_log(actor=actor, action="grants.budget_change.request", obj=change, after={
        "agreement": locked.pk, "number": number, "lines": {str(r["n"]): r["amount"] for r in lines}, "reason": text})
    return change


@transaction.atomic
def budget_change_decide(*, actor: Any, change: BudgetChange, approve: bool, note: str = "") -> BudgetChange:
    """A round admin (the fund's custodian or the area's administrators), never the requester, approves the change
    (its lines become the budget) or says why not."""
    agreement = change.agreement
    require_round_admin(actor, agreement.proposal.round.fund)
    if not isinstance(approve, bool):
        raise field_error("approve", "invalid_choice", _("Say whether the change is approved."))
    note = model_text(BudgetChange, "note", note, required=not approve)
    locked_agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    locked = BudgetChange.objects.select_for_update().get(pk=change.pk)
    if locked.requested_by_id == actor.pk:
        raise PermissionDenied("four_eyes", _("Whoever asked for the change cannot decide on it."))
    to = BudgetChangeStatus.APPROVED if approve else BudgetChangeStatus.REJECTED
    if locked.status == BudgetChangeStatus.PENDING and approve:
        if locked_agreement.status == AgreementStatus.CLOSED:
            raise Conflict("agreement_closed", _("The agreement is closed; its budget no longer changes."))
        if _total(locked.lines) != locked_agreement.amount:
            raise Conflict("budget_not_award", _("The requested budget no longer adds up to the award."))
    return transition(locked, to=to, allowed_from=[BudgetChangeStatus.PENDING], actor=actor, action=f"grants.budget_change.{to}",
                      changes=lambda c: {"decided_by": actor, "decided_at": timezone.now(), "note": note}, audit={"note": note})


@transaction.atomic
def budget_change_withdraw(*, actor: Any, change: BudgetChange) -> BudgetChange:
    """The applicant takes back a request still waiting (so another may be made)."""
    require_applicant_for(actor, change.agreement.proposal.applicant_id)
    return transition(change, to=BudgetChangeStatus.WITHDRAWN, allowed_from=[BudgetChangeStatus.PENDING], actor=actor,
                      action="grants.budget_change.withdraw")
