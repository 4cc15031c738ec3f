"""Pages of grant agreements, for both sides: the round's staff draft an agreement for a funded proposal, accept or
reject the evidence of its milestones, ask for its tranches (a payout a second person at the custodian approves on
the charity payout pages) and close it; the applicant's managers sign it and show their milestones done; the fund's
custodian (or the area's administrators) signs it into force.

Every read goes through selectors_agreements (an agreement the reader is on neither side of is a 404), every write
through one agreements service, whose refusal comes back onto the page with its code and status, nothing written."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shanlian.charity.selectors.staff import staff_may_open
from shanlian.core.errors import Conflict, DomainError, PermissionDenied
from shanlian.core.pages import add_domain_error, paginate, submit
from shanlian.people.selectors import actor_scope

from . import selectors_agreements as sel
from .forms_agreements import (
    BudgetChangeForm,
    BudgetDecideForm,
    CloseForm,
    DecideForm,
    DraftForm,
    EvidenceForm,
    SignForm,
    draft_initial,
)
from .models import AgreementStatus, PhaseKind, ProposalStatus
from .phases import require_open
from .services.agreements import agreement_close, agreement_draft, agreement_sign, evidence_decide, evidence_submit, tranche_request
from .services.budget import budget_change_decide, budget_change_request, budget_change_withdraw

# -- the list -------------------------------------------------------------------------------------------------


@never_cache
@login_required
def agreement_list(request: HttpRequest) -> HttpResponse:
    scope = actor_scope(request.user)
    status = request.GET.get("status", "")
    status = status if status in AgreementStatus.values else ""
    page = paginate(request, sel.agreements_list(scope=scope, status=status))
    rows = [(a, sel.money_by_state(a)) for a in page.object_list]
    context = {"page_obj": page, "rows": rows, "status": status, "statuses": AgreementStatus.choices,
               "to_draft": sel.proposals_to_agree(scope=scope)}
    return render(request, "grants/agreements/list.html", context)


# -- drafting -------------------------------------------------------------------------------------------------


@never_cache
@login_required
def agreement_new(request: HttpRequest, proposal_id: int) -> HttpResponse:
    """The staff's draft (again, while no one has signed) of a funded proposal's agreement."""
    scope = actor_scope(request.user)
    proposal = sel.proposal_for_agreement(scope=scope, proposal_id=proposal_id)
    agreement = sel.agreement_of(proposal)
    if agreement is not None and agreement.status != AgreementStatus.DRAFT:
        messages.info(request, _("This agreement has been signed; it can no longer be drafted again."))
        return redirect("grants:agreement", agreement_id=agreement.pk)
    result = getattr(proposal, "result", None)
    if proposal.status != ProposalStatus.FUNDED or result is None or not result.funded:
        raise Conflict("not_funded", _("Only a funded proposal gets an agreement."))
    try:
        require_open(proposal.round, PhaseKind.AGREEMENTS)
        phase_problem = None
    except DomainError as exc:
        phase_problem = exc
    milestones = list(proposal.milestones.all())
    form = DraftForm(request.POST or None, milestones=milestones, initial=draft_initial(agreement, milestones))
    status = 200
    if request.method == "POST":
        done = submit(form, lambda d: agreement_draft(actor=request.user, proposal=proposal, tranches=form.tranches(),
                                                      reporting_dates=form.reporting_dates()))
        if (drafted := done.value) is not None:
            messages.success(request, _("Agreement drafted: the applicant signs it first, then the fund."))
            return redirect("grants:agreement", agreement_id=drafted.pk)
        status = done.status
    context = {"proposal": proposal, "result": result, "agreement": agreement, "form": form, "phase_problem": phase_problem,
               "milestones": milestones}
    return render(request, "grants/agreements/new.html", context, status=status)


# -- one agreement --------------------------------------------------------------------------------------------


def _page(request: HttpRequest, agreement_id: int, *, bound: dict[str, Any] | None = None,
          refusal: DomainError | None = None, status: int = 200) -> HttpResponse:
    """The agreement's page as this reader sees it, read afresh (after a refusal: as it stands, nothing written),
    with the forms of the action that failed still holding what was typed."""
    scope = actor_scope(request.user)
    agreement, sides = sel.agreement_get(scope=scope, actor=request.user, agreement_id=agreement_id)
    view = sel.agreement_view(agreement=agreement, sides=sides, user_id=scope.user_id or 0)
    bound = bound or {}
    milestones = [row.milestone for row in view.milestones if row.open_for_evidence]
    refused_pk, refused_form = bound.get("decide") or (None, None)
    for row in view.milestones:
        for e in row.evidence:
            if e.pk in view.decidable:  # its form, still holding what was typed when it was refused
                form = refused_form if refused_pk == e.pk else DecideForm(prefix=f"decide-{e.pk}")
                setattr(e, "decide_form", form)  # noqa: B010
    refused_pk, refused_form = bound.get("budget_decide") or (None, None)
    for change in view.changes:
        if change.may_decide:
            setattr(change, "decide_form", refused_form if refused_pk == change.change.pk  # noqa: B010
                    else BudgetDecideForm(prefix=f"change-{change.change.pk}"))
    action, target = bound.get("action", ""), bound.get("target")
    # A refusal shows where its form is, else (no form of it on the page for this reader) at the top.
    placed = ((action == "decide" and target in view.decidable) or (action == "evidence" and "evidence" in view.actions)
              or (action == "close" and "close" in view.actions) or (action == "sign" and "sign_fund" in view.actions)
              or (action == "budget_decide" and any(c.may_decide and c.change.pk == target for c in view.changes)))
    context = {
        "a": agreement, "view": view, "sides": sides, "proposal": agreement.proposal, "round": agreement.proposal.round,
        "fund": agreement.proposal.round.fund, "charity_staff": staff_may_open(scope),
        "evidence_form": bound.get("evidence") or EvidenceForm(milestones=milestones),
        "close_form": bound.get("close") or CloseForm(lines=sel.budget_now(agreement)),
        "sign_form": bound.get("sign_form") or SignForm(),
        "refusal": None if placed else refusal, "refused_action": action, "refused_target": target,
    }
    return render(request, "grants/agreements/detail.html", context, status=status)


@never_cache
@login_required
def agreement_detail(request: HttpRequest, agreement_id: int) -> HttpResponse:
    return _page(request, agreement_id)


@never_cache
@login_required
@require_POST
def agreement_sign_view(request: HttpRequest, agreement_id: int) -> HttpResponse:
    scope = actor_scope(request.user)
    agreement, _sides = sel.agreement_get(scope=scope, actor=request.user, agreement_id=agreement_id)
    form = SignForm(request.POST)
    done = submit(form, lambda d: agreement_sign(actor=request.user, agreement=agreement, area=d["area"] or None))
    if (signed := done.value) is None:
        return _page(request, agreement_id, bound={"action": "sign", "sign_form": form}, refusal=done.refusal, status=done.status)
    if signed.status == AgreementStatus.SIGNED_APPLICANT:
        messages.success(request, _("Signed for the applicant. The fund signs next."))
    else:
        messages.success(request, _("Signed for the fund: the agreement is in force and the award is the project's money."))
    return redirect("grants:agreement", agreement_id=agreement_id)


@never_cache
@login_required
@require_POST
def evidence_new(request: HttpRequest, agreement_id: int) -> HttpResponse:
    scope = actor_scope(request.user)
    agreement, _sides = sel.agreement_get(scope=scope, actor=request.user, agreement_id=agreement_id)
    form = EvidenceForm(request.POST, milestones=list(agreement.proposal.milestones.all()))
    done = submit(form, lambda d: evidence_submit(actor=request.user, agreement=agreement, milestone=d["milestone"], text=d["text"],
                                                  person_times=d["person_times"], sessions=d["sessions"]))
    if not done.ok:
        return _page(request, agreement_id, bound={"evidence": form, "action": "evidence"}, refusal=done.refusal,
                     status=done.status)
    messages.success(request, _("Evidence sent: the round's staff will review it."))
    return redirect("grants:agreement", agreement_id=agreement_id)


@never_cache
@login_required
@require_POST
def evidence_decide_view(request: HttpRequest, evidence_id: int) -> HttpResponse:
    scope = actor_scope(request.user)
    evidence, sides = sel.evidence_get(scope=scope, actor=request.user, evidence_id=evidence_id)
    agreement_id = evidence.agreement_id
    form = DecideForm(request.POST, prefix=f"decide-{evidence.pk}")
    bound = {"decide": (evidence.pk, form), "action": "decide", "target": evidence.pk}
    if not sides.staff:  # the applicant sees the evidence but does not decide it: refused before the form is read
        refusal = PermissionDenied("not_round_staff", _("Only the staff running this round may do this."))
        return _page(request, agreement_id, refusal=refusal, status=refusal.status)
    if not form.is_valid():
        if "accept" in form.errors:
            form.add_error(None, ValidationError(_("Choose whether to accept the evidence."), code="decision_required"))
        return _page(request, agreement_id, bound=bound, status=400)
    accept = form.cleaned_data["accept"]
    try:
        evidence_decide(actor=request.user, evidence=evidence, accept=accept, note=form.cleaned_data["note"])
    except DomainError as exc:
        add_domain_error(form, exc)
        return _page(request, agreement_id, bound=bound, refusal=exc, status=exc.status)
    messages.success(request, _("Evidence accepted: its tranche may be asked for.") if accept else _("Evidence not accepted; "
                     "the applicant sees why and may send it again."))
    return redirect("grants:agreement", agreement_id=agreement_id)


@never_cache
@login_required
@require_POST
def tranche_request_view(request: HttpRequest, tranche_id: int) -> HttpResponse:
    scope = actor_scope(request.user)
    tranche, sides = sel.tranche_get(scope=scope, actor=request.user, tranche_id=tranche_id)
    agreement_id = tranche.agreement_id
    bound = {"action": "tranche", "target": tranche.pk}
    try:
        if not sides.staff:
            raise PermissionDenied("not_round_staff", _("Only the staff running this round may do this."))
        tranche = tranche_request(actor=request.user, tranche=tranche)
    except DomainError as exc:
        return _page(request, agreement_id, bound=bound, refusal=exc, status=exc.status)
    messages.success(request, _("Payout requested for tranche %(n)s (%(amount)s). A finance officer of the custodian who "
                                "did not ask for it approves it on the payout's page.") % {"n": tranche.n, "amount": tranche.amount})
    return redirect("grants:agreement", agreement_id=agreement_id)


@never_cache
@login_required
@require_POST
def agreement_close_view(request: HttpRequest, agreement_id: int) -> HttpResponse:
    scope = actor_scope(request.user)
    agreement, _sides = sel.agreement_get(scope=scope, actor=request.user, agreement_id=agreement_id)
    form = CloseForm(request.POST, lines=sel.budget_now(agreement))
    done = submit(form, lambda d: agreement_close(actor=request.user, agreement=agreement, final_report=d["final_report"],
                                                  actuals=form.actuals()))
    if not done.ok:
        return _page(request, agreement_id, bound={"close": form, "action": "close"}, refusal=done.refusal, status=done.status)
    messages.success(request, _("Agreement closed. What the project did not spend is back in the fund."))
    return redirect("grants:agreement", agreement_id=agreement_id)


# -- budget changes -------------------------------------------------------------------------------------------


@never_cache
@login_required
def budget_change_new(request: HttpRequest, agreement_id: int) -> HttpResponse:
    """The applicant asks to move money between the budget's lines (or to new ones), the whole still the award."""
    scope = actor_scope(request.user)
    agreement, sides = sel.agreement_get(scope=scope, actor=request.user, agreement_id=agreement_id)
    if not sides.applicant:
        raise PermissionDenied("not_applicant", _("Only a manager of the organization may propose or change its proposals."))
    form = BudgetChangeForm(request.POST or None, lines=sel.budget_now(agreement))
    status = 200
    if request.method == "POST":
        done = submit(form, lambda d: budget_change_request(actor=request.user, agreement=agreement, amounts=form.amounts(),
                                                            new_lines=form.new_lines(), reason=d["reason"]))
        if done.ok:
            messages.success(request, _("Budget change sent: a round administrator decides on it."))
            return redirect("grants:agreement", agreement_id=agreement.pk)
        status = done.status
    context = {"a": agreement, "proposal": agreement.proposal, "form": form}
    return render(request, "grants/agreements/budget_change.html", context, status=status)


@never_cache
@login_required
@require_POST
def budget_change_decide_view(request: HttpRequest, change_id: int) -> HttpResponse:
    scope = actor_scope(request.user)
    change, _sides = sel.budget_change_get(scope=scope, actor=request.user, change_id=change_id)
    agreement_id = change.agreement_id
    form = BudgetDecideForm(request.POST, prefix=f"change-{change.pk}")
    bound = {"budget_decide": (change.pk, form), "action": "budget_decide", "target": change.pk}
    if not form.is_valid():
        if "approve" in form.errors:
            form.add_error(None, ValidationError(_("Choose whether to approve the change."), code="decision_required"))
        return _page(request, agreement_id, bound=bound, status=400)
    approve = form.cleaned_data["approve"]
    try:
        budget_change_decide(actor=request.user, change=change, approve=approve, note=form.cleaned_data["note"])
    except DomainError as exc:
        add_domain_error(form, exc)
        return _page(request, agreement_id, bound=bound, refusal=exc, status=exc.status)
    messages.success(request, _("Budget change approved: its lines are the budget now.") if approve
                     else _("Budget change not approved; the applicant sees why."))
    return redirect("grants:agreement", agreement_id=agreement_id)


@never_cache
@login_required
@require_POST
def budget_change_withdraw_view(request: HttpRequest, change_id: int) -> HttpResponse:
    scope = actor_scope(request.user)
    change, _sides = sel.budget_change_get(scope=scope, actor=request.user, change_id=change_id)
    try:
        budget_change_withdraw(actor=request.user, change=change)
    except DomainError as exc:
        return _page(request, change.agreement_id, bound={"action": "budget_withdraw", "target": change.pk}, refusal=exc,
                     status=exc.status)
    messages.success(request, _("Budget change withdrawn."))
    return redirect("grants:agreement", agreement_id=change.agreement_id)
