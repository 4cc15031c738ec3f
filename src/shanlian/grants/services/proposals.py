"""Proposals (项目征集) and feasibility screening (初审): a community group drafts, edits and submits its proposal with
an exact budget and dated milestones; the round's staff return it for changes or screen it, feasible at an accepted
price or not feasible with the reason."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log
from shanlian.core.errors import Conflict, field_error, lazy_format
from shanlian.core.inputs import Checks, amount_in, date_window, decimal_in, id_param, int_in, model_text, text_in
from shanlian.core.money import CENT, Money
from shanlian.core.transitions import transition
from shanlian.core.uploads import sha256_of, stored_name, upload_in
from shanlian.orgs.models import Organization

from .. import phases
from ..access import require_applicant_for, require_round_staff
from ..models import (
    BudgetLine,
    GrantRound,
    LineCategory,
    Milestone,
    Need,
    PhaseKind,
    Proposal,
    ProposalAttachment,
    ProposalRevision,
    ProposalStatus,
    RoundStatus,
)

# Bounds on what a proposal holds (the columns bound the rest).
SUMMARY_MAX = 2000
OUTCOMES_MAX = 2000
MAX_BENEFICIARIES = 1_000_000
MAX_LINES = 30
MAX_QUANTITY = Decimal(100_000)
MAX_MILESTONES = 12
MAX_NEEDS = 20
MAX_YEARS = 2
MAX_ATTACHMENTS = 10
LINE_KEYS = frozenset({"category", "item", "quantity", "unit", "unit_price", "amount"})
MILESTONE_KEYS = frozenset({"title", "due_on"})
EDITABLE = (ProposalStatus.DRAFT, ProposalStatus.RETURNED)


def _open_in_any(round: GrantRound, kinds: Iterable[str]) -> None:
    """Open if any of the phases is open now; else the first one's refusal (which says when it is open)."""
    first: Conflict | None = None
    for kind in kinds:
        try:
            phases.require_open(round, kind)
            return
        except Conflict as exc:
            first = first or exc
    assert first is not None
    raise first


def _edit_window(round: GrantRound, status: str) -> None:
    """Drafts are written while proposals are called for; a returned proposal may also be mended during screening."""
    if status == ProposalStatus.RETURNED:
        _open_in_any(round, (PhaseKind.PROPOSALS, PhaseKind.SCREENING))
    else:
        phases.require_open(round, PhaseKind.PROPOSALS)


# --- what the applicant types -----------------------------------------------------------------------------------

def _date_in(value: Any, *, field: str) -> date:
    """A day: a date, or its ISO form as a form or JSON sends it."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, date) or isinstance(value, datetime):
        raise field_error(field, "invalid_date", _("Enter a date, e.g. 2027-03-01."))
    return date_window(value, field=field, latest=date(9999, 12, 31))


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _period_in(checks: Checks, starts_on: Any, ends_on: Any) -> tuple[date | None, date | None]:
    start = checks(_date_in, starts_on, field="starts_on")
    if start is not None:
        start = checks(date_window, start, field="starts_on")
    end = checks(_date_in, ends_on, field="ends_on")
    if start is None or end is None:
        return None, None
    if end < start:
        checks.failed.append(field_error("ends_on", "period_reversed", _("The project cannot end before it starts.")))
        return None, None
    if end > _years_after(start, MAX_YEARS):
        checks.failed.append(field_error("ends_on", "period_too_long", lazy_format(
            _("A project runs at most %(years)s years."), {"years": MAX_YEARS})))
        return None, None
    return start, end


def _items(raw: Any, *, field: str, most: int, none_code: str, none_message: Any, keys: frozenset[str]) -> list[Mapping[str, Any]]:
    """A list of small dicts (budget lines, milestones): at least one, at most `most`, with known keys only."""
    if isinstance(raw, str | bytes | Mapping) or not isinstance(raw, Iterable):
        raise field_error(field, "invalid_list", _("Expected a list."))
    items = list(raw)
    if not items:
        raise field_error(field, none_code, none_message)
    if len(items) > most:
        raise field_error(field, f"too_many_{field}", lazy_format(_("At most %(max)s rows (this has %(n)s)."),
                                                                   {"max": most, "n": len(items)}))
    for n, item in enumerate(items, start=1):
        if not isinstance(item, Mapping) or not set(item) <= keys:
            raise field_error(f"{field}.{n}", f"invalid_{field[:-1]}", lazy_format(
                _("Row %(n)s is not understood: it needs %(keys)s."), {"n": n, "keys": ", ".join(sorted(keys))}))
    return items


def _lines_in(checks: Checks, raw: Any) -> list[BudgetLine] | None:
    """Budget lines, each amount exactly quantity × unit price (a product finer than the fen is refused)."""
    items = checks(_items, raw, field="lines", most=MAX_LINES, none_code="lines_required",
                   none_message=_("A budget needs at least one line."), keys=LINE_KEYS)
    if items is None:
        return None
    lines: list[BudgetLine] = []
    ok = True
    for n, line in enumerate(items, start=1):
        at = f"lines.{n}"
        category = line.get("category")
        if category not in LineCategory.values:
            checks.failed.append(field_error(f"{at}.category", "invalid_line_category", _("Choose one of the listed categories.")))
        item = checks(model_text, BudgetLine, "item", line.get("item"), field=f"{at}.item", required=True)
        quantity = checks(decimal_in, line.get("quantity"), field=f"{at}.quantity", places=2, minimum="0.01", maximum=MAX_QUANTITY)
        unit = checks(model_text, BudgetLine, "unit", line.get("unit"), field=f"{at}.unit", required=True)
        price = checks(amount_in, line.get("unit_price"), field=f"{at}.unit_price")
        if None in (item, quantity, unit, price) or category not in LineCategory.values:
            ok = False
            continue
        product = quantity * price.amount
        exact = product == product.quantize(CENT)
        if exact and "amount" in line:  # a total typed beside the line must be the product too
            stated = checks(amount_in, line["amount"], field=f"{at}.amount")
            if stated is None:
                ok = False
                continue
            exact = stated.amount == product
        if not exact:
            checks.failed.append(field_error(f"{at}.amount", "line_not_exact", lazy_format(
                _("The budget lines do not add up: line %(n)s, %(quantity)s × ¥%(price)s, is not exact to the fen."),
                {"n": n, "quantity": f"{quantity:f}", "price": f"{price.amount:f}"})))
            ok = False
            continue
        lines.append(BudgetLine(n=n, category=category, item=item, quantity=quantity, unit=unit, unit_price=price,
                                amount=Money(product)))
    return lines if ok else None


def _milestones_in(checks: Checks, raw: Any, start: date | None, end: date | None) -> list[Milestone] | None:
    """Milestones in the project's period, in order of their dates."""
    items = checks(_items, raw, field="milestones", most=MAX_MILESTONES, none_code="milestones_required",
                   none_message=_("Name at least one milestone."), keys=MILESTONE_KEYS)
    if items is None:
        return None
    out: list[Milestone] = []
    ok = True
    for n, row in enumerate(items, start=1):
        title = checks(model_text, Milestone, "title", row.get("title"), field=f"milestones.{n}.title", required=True)
        due = checks(_date_in, row.get("due_on"), field=f"milestones.{n}.due_on")
        if title is None or due is None:
            ok = False
            continue
        if start is not None and end is not None and not start <= due <= end:
            checks.failed.append(field_error(f"milestones.{n}.due_on", "milestone_outside_period",
                                             _("A milestone falls within the project's period.")))
            ok = False
        elif out and due < out[-1].due_on:
            checks.failed.append(field_error(f"milestones.{n}.due_on", "milestones_out_of_order",
                                             _("List the milestones in the order of their dates.")))
            ok = False
        out.append(Milestone(n=n, title=title, due_on=due))
    return out if ok else None


def _needs_in(round: GrantRound, needs: Any) -> list[int]:
    """The needs a proposal answers, of its own round; a merged need counts as the need it joined."""
    if isinstance(needs, str | bytes | Mapping) or not isinstance(needs, Iterable):
        raise field_error("needs", "invalid_list", _("Expected a list."))
    ids: set[int] = set()
    for item in needs:
        pk = item.pk if isinstance(item, Need) else item if isinstance(item, int) and not isinstance(item, bool) else id_param(item)
        if pk is None:
            raise field_error("needs", "invalid_need", _("Choose needs from the round's list."))
        ids.add(pk)
    if len(ids) > MAX_NEEDS:
        raise field_error("needs", "too_many_needs", lazy_format(_("A proposal answers at most %(max)s needs."), {"max": MAX_NEEDS}))
    found = dict(Need.objects.filter(round=round, pk__in=ids).values_list("pk", "merged_into_id"))
    if len(found) != len(ids):
        raise field_error("needs", "need_not_in_round", _("Choose needs from this round's list."))
    return sorted({merged or pk for pk, merged in found.items()})


def _attachments_in(attachments: Any, already: int) -> list[UploadedFile]:
    uploads = list(attachments or [])
    if already + len(uploads) > MAX_ATTACHMENTS:
        raise field_error("attachments", "too_many_attachments", lazy_format(
            _("A proposal has at most %(max)s attachments."), {"max": MAX_ATTACHMENTS}))
    return [upload_in(upload) for upload in uploads]


def _attach(proposal: Proposal, uploads: list[UploadedFile], actor: Any) -> None:
    limit = ProposalAttachment._meta.get_field("name").max_length or 200
    for upload in uploads:
        ProposalAttachment.objects.create(proposal=proposal, file=upload, name=stored_name(upload.name, limit),
                                          sha256=sha256_of(upload), uploaded_by=actor)


# --- the applicant's writes -------------------------------------------------------------------------------------

@transaction.atomic
def proposal_save(
    *, actor: Any, round: GrantRound, applicant: Organization, title: str, summary: str, beneficiaries: str,
    beneficiary_count: Any, outcomes: str, lines: list[dict[str, Any]], milestones: list[dict[str, Any]],
    starts_on: date | str, ends_on: date | str, co_funding: Any = "0", co_funding_source: str = "",
    needs: Iterable[Any] = (), attachments: list[UploadedFile] | None = None, proposal: Proposal | None = None,
) -> Proposal:
    """A new draft (`proposal=None`), numbered in its round, or a draft or returned proposal changed: everything
    checked at once and written whole (lines and milestones replaced), or nothing."""
    require_applicant_for(actor, applicant.pk)
    if proposal is None:
        locked_round = GrantRound.objects.select_for_update().get(pk=round.pk)  # numbers are handed out one at a time
        phases.require_open(locked_round, PhaseKind.PROPOSALS)
        target: Proposal | None = None
    else:
        if proposal.round_id != round.pk:
            raise field_error("round", "proposal_other_round", _("This proposal belongs to another round."))
        if proposal.applicant_id != applicant.pk:
            raise field_error("applicant", "applicant_changed", _("A proposal's applicant cannot be changed."))
        target = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if target.status not in EDITABLE:
            raise Conflict("not_editable", _("Only a draft or a proposal returned for changes can be edited."))
        _edit_window(round, target.status)
    checks = Checks()
    fields: dict[str, Any] = {
        "title": checks(model_text, Proposal, "title", title, required=True),
        "summary": checks(text_in, summary, field="summary", max_length=SUMMARY_MAX, required=True, multiline=True),
        "beneficiaries": checks(model_text, Proposal, "beneficiaries", beneficiaries, required=True),
        "beneficiary_count": checks(int_in, beneficiary_count, field="beneficiary_count", minimum=1, maximum=MAX_BENEFICIARIES),
        "outcomes": checks(text_in, outcomes, field="outcomes", max_length=OUTCOMES_MAX, required=True, multiline=True),
        "co_funding": checks(amount_in, co_funding, field="co_funding", positive=False),
        "co_funding_source": checks(model_text, Proposal, "co_funding_source", co_funding_source),
    }
    start, end = _period_in(checks, starts_on, ends_on)
    budget = _lines_in(checks, lines)
    plan = _milestones_in(checks, milestones, start, end)
    if budget is not None:
        requested = sum((line.amount for line in budget), Money(0))
        if not round.min_grant <= requested <= round.max_grant:
            checks.failed.append(field_error("lines", "request_out_of_range", lazy_format(
                _("A grant in this round is from %(min)s to %(max)s; the budget asks for %(requested)s."),
                {"min": round.min_grant, "max": round.max_grant, "requested": requested})))
        fields["requested"] = requested
    if fields["co_funding"] and not fields["co_funding_source"]:
        checks.failed.append(field_error("co_funding_source", "co_funding_source_required", _("Say where the co-funding comes from.")))
    need_ids = checks(_needs_in, round, needs)
    uploads = checks(_attachments_in, attachments, target.attachments.count() if target is not None else 0)
    checks.done()
    assert budget is not None and plan is not None and start is not None and end is not None
    fields.update(starts_on=start, ends_on=end)
    if target is None:
        number = (Proposal.objects.filter(round=round).aggregate(last=Max("number"))["last"] or 0) + 1
        target = Proposal(round=round, number=number, applicant=applicant, submitted_by=actor, **fields)
        target.full_clean(validate_constraints=False)
        target.save()
        action = "grants.proposal.create"
    else:
        for name, value in fields.items():
            setattr(target, name, value)
        target.full_clean(validate_constraints=False)
        target.save(update_fields=[*fields, "updated_at"])
        BudgetLine.objects.filter(proposal=target).delete()
        Milestone.objects.filter(proposal=target).delete()
        action = "grants.proposal.update"
    for line in budget:
        line.proposal = target
    for milestone in plan:
        milestone.proposal = target
    BudgetLine.objects.bulk_create(budget)
    Milestone.objects.bulk_create(plan)
    target.needs.set(need_ids)
    _attach(target, uploads, actor)
    audit_log(actor=actor, action=action, obj=target, after={
        "number": target.number, "requested": str(fields["requested"].amount), "lines": len(budget),
        "milestones": len(plan), "needs": need_ids, "attachments": len(uploads)})
    return target


def snapshot(proposal: Proposal) -> dict[str, Any]:
    """A proposal as submitted, in JSON (amounts and quantities as strings, so nothing is rounded on the way)."""
    return {
        "number": proposal.number, "applicant": proposal.applicant_id, "title": proposal.title, "summary": proposal.summary,
        "beneficiaries": proposal.beneficiaries, "beneficiary_count": proposal.beneficiary_count, "outcomes": proposal.outcomes,
        "requested": str(proposal.requested.amount), "co_funding": str(proposal.co_funding.amount),
        "co_funding_source": proposal.co_funding_source, "starts_on": proposal.starts_on.isoformat(),
        "ends_on": proposal.ends_on.isoformat(), "needs": sorted(n.pk for n in proposal.needs.all()),
        "lines": [{"n": line.n, "category": line.category, "item": line.item, "quantity": f"{line.quantity:f}", "unit": line.unit,
                   "unit_price": str(line.unit_price.amount), "amount": str(line.amount.amount)}
                  for line in proposal.lines.order_by("n")],
        "milestones": [{"n": m.n, "title": m.title, "due_on": m.due_on.isoformat()} for m in proposal.milestones.order_by("n")],
        "attachments": [{"name": a.name, "sha256": a.sha256} for a in proposal.attachments.order_by("id")],
    }


@transaction.atomic
def proposal_submit(*, actor: Any, proposal: Proposal) -> Proposal:
    """Submit a draft, or resubmit a returned proposal (a new revision); each submitted version is kept as it was."""
    require_applicant_for(actor, proposal.applicant_id)
    locked = Proposal.objects.select_for_update(of=("self",)).select_related("round").get(pk=proposal.pk)
    if locked.status == ProposalStatus.SUBMITTED:
        return locked
    if locked.status in EDITABLE:
        _edit_window(locked.round, locked.status)
    revision = locked.revision + 1 if locked.status == ProposalStatus.RETURNED else locked.revision
    answered = locked.note  # the return note this revision answers
    submitted = transition(locked, to=ProposalStatus.SUBMITTED, allowed_from=EDITABLE, actor=actor,
                           action="grants.proposal.submit", audit={"revision": revision},
                           changes=lambda p: {"revision": revision, "submitted_at": timezone.now(), "submitted_by": actor,
                                              "note": ""})
    ProposalRevision.objects.create(proposal=submitted, number=revision, content=snapshot(submitted), note=answered, by=actor)
    return submitted


@transaction.atomic
def proposal_withdraw(*, actor: Any, proposal: Proposal, reason: str = "") -> Proposal:
    """The applicant takes its proposal back before screening decides on it (the reason is kept in the audit log)."""
    require_applicant_for(actor, proposal.applicant_id)
    reason = text_in(reason, field="reason", max_length=500, multiline=True)
    if proposal.round.status == RoundStatus.CLOSED:
        raise Conflict("round_not_open", _("This round is not open."))
    return transition(proposal, to=ProposalStatus.WITHDRAWN, allowed_from=(*EDITABLE, ProposalStatus.SUBMITTED), actor=actor,
                      action="grants.proposal.withdraw", audit={"reason": reason})


# --- the round staff's writes -----------------------------------------------------------------------------------

@transaction.atomic
def proposal_return(*, actor: Any, proposal: Proposal, note: str) -> Proposal:
    """Send a submitted proposal back to its applicant with what to change."""
    round = proposal.round
    require_round_staff(actor, round)
    note = model_text(Proposal, "note", note)
    if not note:
        raise field_error("note", "note_required", _("Tell the applicant what to change."))
    _open_in_any(round, (PhaseKind.PROPOSALS, PhaseKind.SCREENING))
    return transition(proposal, to=ProposalStatus.RETURNED, allowed_from=[ProposalStatus.SUBMITTED], actor=actor,
                      action="grants.proposal.return", changes=lambda p: {"note": note}, audit={"note": note})


@transaction.atomic
def proposal_screen(*, actor: Any, proposal: Proposal, feasible: bool, accepted_price: Any = None, note: str = "") -> Proposal:
    """Feasibility screening: feasible at an accepted price (what was asked, or less, never under the round's smallest
    grant), or not feasible with the reason (shown to the applicant and the public). The same decision again: quiet."""
    round = proposal.round
    require_round_staff(actor, round)
    if not isinstance(feasible, bool):
        raise field_error("feasible", "invalid_choice", _("Say whether the proposal is feasible."))
    note = model_text(Proposal, "screening_note", note, field="note")
    phases.require_open(round, PhaseKind.SCREENING)
    locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
    price: Money | None = None
    if feasible:
        price = locked.requested if accepted_price is None else amount_in(accepted_price, field="accepted_price")
        if price > locked.requested:
            raise field_error("accepted_price", "price_over_request", lazy_format(
                _("The accepted price is at most what was asked: %(requested)s."), {"requested": locked.requested}))
        if price < round.min_grant:
            raise field_error("accepted_price", "price_below_minimum", lazy_format(
                _("The accepted price is at least the round's smallest grant: %(min)s."), {"min": round.min_grant}))
    elif not note:
        raise field_error("note", "reason_required", _("Say why the proposal is not feasible; the applicant and the public see it."))
    to = ProposalStatus.FEASIBLE if feasible else ProposalStatus.INFEASIBLE
    if locked.status in (ProposalStatus.FEASIBLE, ProposalStatus.INFEASIBLE):
        if locked.status == to and locked.accepted_price == price:
            return locked
        raise Conflict("already_screened", _("This proposal was already screened."))
    return transition(locked, to=to, allowed_from=[ProposalStatus.SUBMITTED], actor=actor,
                      action="grants.proposal.screen", audit={"accepted_price": None if price is None else str(price.amount)},
                      changes=lambda p: {"accepted_price": price, "screening_note": note, "screened_by": actor,
                                         "screened_at": timezone.now()})

