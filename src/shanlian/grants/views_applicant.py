"""The applicant's pages: the proposals of the organizations one manages across rounds, the proposal form (draft,
edit, submit), one proposal with its revisions, and withdrawing it.

The rules are the services' (proposal_save, proposal_submit, proposal_withdraw): a page passes on what was typed and
shows the refusals where they belong, with their 4xx status. Another organization's proposal is not found (404).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shanlian.core.errors import DomainError
from shanlian.core.pages import add_domain_error

from . import phases
from . import selectors_people as people
from .forms_applicant import (
    CATEGORY_CHOICES,
    ProposalForm,
    Row,
    WithdrawForm,
    initial_of,
    lines_total,
    needs_from_post,
    place_errors,
    rows_from_post,
    rows_from_proposal,
)
from .models import GrantRound, PhaseKind, Proposal, ProposalStatus
from .selectors_proposals import my_proposals
from .selectors_results import reason_text
from .services import proposal_save, proposal_submit, proposal_withdraw
from .services.proposals import EDITABLE, MAX_ATTACHMENTS

WITHDRAWABLE = (*EDITABLE, ProposalStatus.SUBMITTED)


def _organizations(request: HttpRequest) -> list[Any]:
    return people.applicant_organizations_or_refuse(request.user)


@login_required
def applicant_home(request: HttpRequest) -> HttpResponse:
    orgs = _organizations(request)
    rows = list(people.proposals_with_results(my_proposals(request.user)))
    for p in rows:
        result = getattr(p, "result", None) if p.status in (ProposalStatus.FUNDED, ProposalStatus.NOT_FUNDED) else None
        p.result_text = reason_text(result.reason_code, result.reason_params) if result is not None else ""  # type: ignore[attr-defined]
        p.result_row = result  # type: ignore[attr-defined]
    return render(request, "grants/applicant/home.html", {
        "orgs": orgs, "proposals": rows, "open_rounds": people.rounds_open_for_proposals(),
    })


def _form_page(request: HttpRequest, *, round: GrantRound, orgs: list[Any], proposal: Proposal | None) -> HttpResponse:
    needs = list(people.round_needs_for_proposal(round))
    status = 200
    if request.method == "POST":
        form = ProposalForm(request.POST, organizations=orgs, needs=needs)
        lines, milestones = rows_from_post(request.POST, "line"), rows_from_post(request.POST, "milestone")
        if form.is_valid():
            data = form.cleaned_data
            applicant = proposal.applicant if proposal is not None else next(
                (o for o in orgs if o.pk == data.get("applicant")), orgs[0] if len(orgs) == 1 else None)
            if applicant is None:
                form.add_error("applicant", _("Choose the organization that proposes."))
                status = 400
            else:
                try:
                    saved = proposal_save(
                        actor=request.user, round=round, applicant=applicant, proposal=proposal, title=data["title"],
                        summary=data["summary"], beneficiaries=data["beneficiaries"],
                        beneficiary_count=data["beneficiary_count"], outcomes=data["outcomes"],
                        co_funding=data["co_funding"] or "0", co_funding_source=data["co_funding_source"],
                        starts_on=data["starts_on"], ends_on=data["ends_on"], lines=lines.as_input(),
                        milestones=milestones.as_input(), needs=needs_from_post(request.POST),
                        attachments=request.FILES.getlist("attachments")[:MAX_ATTACHMENTS + 1])
                except DomainError as exc:
                    place_errors(form, lines, milestones, exc)
                    status = exc.status
                else:
                    if request.POST.get("action") != "submit":
                        messages.success(request, _("Saved as a draft. Submit it when it is ready."))
                        return redirect("grants:proposal", proposal_id=saved.pk)
                    try:
                        proposal_submit(actor=request.user, proposal=saved)
                    except DomainError as exc:
                        messages.warning(request, _("Saved as a draft, but not submitted: %(reason)s") % {"reason": exc.message})
                    else:
                        messages.success(request, _("Submitted. The round's staff screen it next."))
                    return redirect("grants:proposal", proposal_id=saved.pk)
        else:
            status = 400
    else:
        form = ProposalForm(initial=initial_of(proposal) if proposal is not None else {"applicant": orgs[0].pk},
                            organizations=orgs, needs=needs)
        lines, milestones = rows_from_proposal(proposal, "line"), rows_from_proposal(proposal, "milestone")
    return render(request, "grants/applicant/proposal_form.html", {
        "round": round, "proposal": proposal, "form": form, "lines": lines, "milestones": milestones,
        "categories": CATEGORY_CHOICES, "orgs": orgs, "needs": needs, "max_attachments": MAX_ATTACHMENTS,
        "proposals_phase": phases.phase_of(round, PhaseKind.PROPOSALS), "total": lines_total(lines),
        "blank_line": Row(n="__n__", values={"category": "other"}), "blank_milestone": Row(n="__n__", values={}),  # type: ignore[arg-type]
    }, status=status)


@login_required
def proposal_new(request: HttpRequest, round_id: int) -> HttpResponse:
    orgs = _organizations(request)
    round = people.round_for_applicant(round_id)
    phases.require_open(round, PhaseKind.PROPOSALS)  # refused with when proposals are called for (409)
    return _form_page(request, round=round, orgs=orgs, proposal=None)


@login_required
def proposal_edit(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = people.my_proposal(request.user, proposal_id)
    if proposal.status not in EDITABLE:
        messages.info(request, _("Only a draft or a proposal returned for changes can be edited."))
        return redirect("grants:proposal", proposal_id=proposal.pk)
    orgs = [proposal.applicant]
    return _form_page(request, round=proposal.round, orgs=orgs, proposal=proposal)


def _detail(request: HttpRequest, proposal: Proposal, *, error: DomainError | None = None, status: int = 200,
            withdraw: WithdrawForm | None = None) -> HttpResponse:
    result = getattr(proposal, "result", None) if proposal.status in (ProposalStatus.FUNDED, ProposalStatus.NOT_FUNDED) else None
    if error is not None:
        messages.error(request, str(error.message), extra_tags=error.code)
    return render(request, "grants/applicant/proposal.html", {
        "p": proposal, "round": proposal.round, "lines": list(proposal.lines.all()), "milestones": list(proposal.milestones.all()),
        "needs": list(proposal.needs.all()), "revisions": list(proposal.revisions.all().order_by("-number")),
        "attachments": list(proposal.attachments.all()), "editable": proposal.status in EDITABLE,
        "withdrawable": proposal.status in WITHDRAWABLE, "withdraw": withdraw or WithdrawForm(),
        "result": result, "result_text": reason_text(result.reason_code, result.reason_params) if result is not None else "",
        "now": timezone.now(),
    }, status=status)


@login_required
def proposal_view(request: HttpRequest, proposal_id: int) -> HttpResponse:
    return _detail(request, people.my_proposal(request.user, proposal_id))


@login_required
@require_POST
def proposal_submit_view(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = people.my_proposal(request.user, proposal_id)
    try:
        proposal_submit(actor=request.user, proposal=proposal)
    except DomainError as exc:
        return _detail(request, people.my_proposal(request.user, proposal_id), error=exc, status=exc.status)
    messages.success(request, _("Submitted. The round's staff screen it next."))
    return redirect("grants:proposal", proposal_id=proposal.pk)


@login_required
@require_POST
def proposal_withdraw_view(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = people.my_proposal(request.user, proposal_id)
    form = WithdrawForm(request.POST)
    form.is_valid()
    try:
        proposal_withdraw(actor=request.user, proposal=proposal, reason=form.cleaned_data.get("reason", ""))
    except DomainError as exc:
        add_domain_error(form, exc)
        return _detail(request, people.my_proposal(request.user, proposal_id), withdraw=form, status=exc.status,
                       error=exc if not form.errors.get("reason") else None)
    messages.success(request, _("The proposal is withdrawn."))
    return redirect("grants:proposal", proposal_id=proposal.pk)
