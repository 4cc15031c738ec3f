"""The staff's pages of a micro-venture round before the award: the rounds they run and a new one; a round's
dashboard in tabs (phases, needs, proposals and screening, expert review, the vote, the allocation). Every read goes
through a selector scoped to the rounds the actor runs (another round is a logged 404), every write through one
service, whose refusal comes back onto the page with its code and a 4xx while nothing is written."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shanlian.charity.models import CommunityFund
from shanlian.core.errors import DomainError, PermissionDenied, field_error
from shanlian.core.inputs import id_param
from shanlian.core.money import Money
from shanlian.core.pages import add_domain_error, flash_error, submit

from . import phases, services
from . import selectors_staff as sel
from .forms_staff import (
    AssignForm,
    ExtendForm,
    MergeForm,
    PaperForm,
    PayerForm,
    ReasonForm,
    ReturnForm,
    RoundForm,
    RubricForm,
    ScreenForm,
)
from .models import (
    PHASE_ORDER,
    BallotKind,
    Criterion,
    GrantRound,
    Need,
    PhaseExtension,
    PhaseKind,
    Proposal,
    ProposalStatus,
    Result,
    RoundKind,
    RoundStatus,
)
from .selectors_results import reason_text, round_funds
from .selectors_review import review_board, spread_flag
from .selectors_vote import ON_BALLOT, turnout

TABS = ("overview", "needs", "proposals", "review", "vote", "allocation")


def pct(value: Decimal | None) -> str:
    """0.1234 → "12.3%" (None: "—")."""
    return "—" if value is None else f"{value * 100:.1f}%"


# --- the list and a new round ----------------------------------------------------------------------------------------

@never_cache
@login_required
def staff_rounds(request: HttpRequest) -> HttpResponse:
    rows = sel.rounds_run_by(request.user)
    may_create = sel.funds_for_new_round(request.user).exists()
    return render(request, "grants/staff/round_list.html", {"rows": rows, "may_create": may_create})


@never_cache
@login_required
def staff_round_create(request: HttpRequest) -> HttpResponse:
    sel.require_staff_pages(request.user)
    funds = sel.funds_for_new_round(request.user)
    if not funds.exists():
        raise PermissionDenied("not_round_admin", _("Only the fund's custodian or the area's administrators may set up rounds."))
    form = RoundForm(request.POST or None, funds=funds)

    def create(data: dict[str, Any]) -> GrantRound:
        common = {"actor": request.user, "fund": data["fund"], "title": data["title"], "year": data["year"],
                  "budget": data["budget"], "phases": form.phases(), "area": data["area"], "min_grant": data["min_grant"],
                  "max_grant": data["max_grant"], "reviewers_per_proposal": data["reviewers_per_proposal"],
                  "blind_review": data["blind_review"], "description": data["description"], "shares": form.shares()}
        if data["kind"] == RoundKind.DESIGN_CONTEST:  # the vote, the rule and the ballot are the contest's own
            return services.contest_create(**common)
        return services.round_create(
            **common, rule=data["rule"], expert_weight=data["expert_weight"] or "0", ballot_kind=data["ballot_kind"],
            min_choices=data["min_choices"] if data["min_choices"] is not None else 1,
            max_choices=data["max_choices"] if data["max_choices"] is not None else 5, points=data["points"] or 0,
            knapsack=data["knapsack"])

    status = 200
    if request.method == "POST":
        # a contest refuses a vote: said by its box; the funds' shares, under their rows
        done = submit(form, create, renamed={"phases": "has_vote", "shares": "share_amount_1"})
        if (created := done.value) is not None:
            messages.success(request, _("Round set up as a draft. Check it, then open it: its budget is then reserved in its funds."))
            return redirect("grants:staff_round", round_id=created.pk)
        status = done.status
    return render(request, "grants/staff/round_form.html", {"form": form}, status=status)


# --- the round's tabs --------------------------------------------------------------------------------------------------

def _overview(request: HttpRequest, round: GrantRound, forms_: dict[str, Any]) -> dict[str, Any]:
    now = timezone.now()
    rows = []
    extensions: dict[int, list[PhaseExtension]] = {}
    for e in PhaseExtension.objects.filter(phase__round=round).select_related("extended_by").order_by("id"):
        extensions.setdefault(e.phase_id, []).append(e)
    current = phases.current(round)
    for p in sorted(round.phases.all(), key=lambda p: PHASE_ORDER.index(p.kind)):
        state = "open" if round.status == RoundStatus.OPEN and p.opens_at <= now < p.closes_at else (
            "over" if p.closes_at <= now else "to_come")
        rows.append({"phase": p, "state": state, "current": current is not None and current.pk == p.pk,
                     "extensions": extensions.get(p.pk, [])})
    kinds = [(p.kind, p.get_kind_display()) for p in round.phases.all() if p.closes_at > now]
    counts = sel.status_counts(round)
    return {
        "phase_rows": rows, "current": current,
        "extend_form": forms_.get("extend") or ExtendForm(kinds=kinds, prefix="extend"),
        "may_extend": round.status != RoundStatus.CLOSED and bool(kinds),
        "counts": [(ProposalStatus(k).label, counts.get(k, 0)) for k in ProposalStatus.values if counts.get(k)],
        "needs_count": Need.objects.filter(round=round, merged_into__isnull=True).count(),
        "funds": round_funds(round),
    }


def _needs(request: HttpRequest, round: GrantRound, forms_: dict[str, Any]) -> dict[str, Any]:
    needs = sel.needs_for_staff(round)
    live = [n for n in needs if n.merged_into_id is None]
    errors: dict[int, Any] = forms_.get("merge", {})
    return {"needs": needs, "live_needs": live, "merge_errors": errors,
            "merge_open": phases.is_open(round, PhaseKind.NEEDS)}


def _proposals(request: HttpRequest, round: GrantRound, forms_: dict[str, Any]) -> dict[str, Any]:
    return {"proposals": sel.proposals_for_staff(round), "screening_open": phases.is_open(round, PhaseKind.SCREENING)}


def _review(request: HttpRequest, round: GrantRound, forms_: dict[str, Any]) -> dict[str, Any]:
    criteria = list(Criterion.objects.filter(round=round).order_by("n"))
    pool = sel.expert_pool(round)
    board = review_board(round)
    review = phases.phase_of(round, PhaseKind.REVIEW)
    assign = forms_.get("assign") or AssignForm(pool=pool, prefix="assign")
    return {
        "criteria": criteria,
        "rubric_form": forms_.get("rubric") or RubricForm(criteria=criteria, prefix="rubric"),
        "rubric_locked": review is not None and review.opens_at <= timezone.now(),
        "pool": pool,
        "assign_form": assign, "expert_rows": list(zip(assign["experts"], pool, strict=False)),
        "assignments": sel.round_assignments(round),
        "ties": sel.round_ties(round),
        "board": [{"row": r, "mean_share": pct(r.mean_share), "reviews": [(x, pct(x.share)) for x in r.reviews]} for r in board],
        "spread_flag": pct(spread_flag()),
    }


def _ballot(round: GrantRound) -> list[tuple[int, str]]:
    return [(pid, f"{number:02d} {title}") for pid, number, title in Proposal.objects.filter(round=round, status__in=ON_BALLOT)
            .order_by("number").values_list("pk", "number", "title")]


def _vote(request: HttpRequest, round: GrantRound, forms_: dict[str, Any]) -> dict[str, Any]:
    has_vote = phases.phase_of(round, PhaseKind.VOTE) is not None
    if not has_vote:
        return {"has_vote": False}
    seen = turnout(round)
    cumulative = round.ballot_kind == BallotKind.CUMULATIVE
    return {
        "has_vote": True, "turnout": seen, "turnout_share": pct(seen.share),
        "communities": [{"c": c, "share": pct(c.share)} for c in seen.communities],
        "paper_form": forms_.get("paper") or PaperForm(ballot=_ballot(round), cumulative=cumulative, prefix="paper"),
        "papers": sel.paper_keyings(round), "cumulative": cumulative,
        "keying_open": phases.is_open(round, PhaseKind.VOTE) or (phases.has_closed(round, PhaseKind.VOTE)
                                                                 and round.status == RoundStatus.OPEN
                                                                 and not round.results.exists()),
    }


def _allocation(request: HttpRequest, round: GrantRound, forms_: dict[str, Any]) -> dict[str, Any]:
    results = list(Result.objects.filter(round=round).select_related("proposal__applicant", "proposal__agreement", "overridden_by",
                                                                     "fund").order_by("rank"))
    errors: dict[int, Any] = forms_.get("override", {})
    payer_errors: dict[int, Any] = forms_.get("payer", {})
    funds = round_funds(round)
    rows = [{"r": r, "reason": reason_text(r.reason_code, r.reason_params),
             "form": errors.get(r.pk) or ReasonForm(prefix=f"override-{r.pk}"),
             "payer_form": payer_errors.get(r.pk) or PayerForm(funds=funds, prefix=f"payer-{r.pk}", initial={"fund": r.fund_id}),
             "payer_fixed": getattr(getattr(r.proposal, "agreement", None), "project_id", None) is not None}
            for r in results]
    awarded = sum((r.amount.amount for r in results if r.funded), Decimal(0))
    return {
        "results": rows, "awarded": Money(awarded), "left": round.budget - Money(awarded), "funds": funds,
        "is_admin": sel.is_round_admin(request.user, round.fund),
        "allocation_open": phases.is_open(round, PhaseKind.ALLOCATION),
        "override_open": phases.is_open(round, PhaseKind.ALLOCATION) or phases.is_open(round, PhaseKind.AGREEMENTS),
        "feasible": Proposal.objects.filter(round=round, status=ProposalStatus.FEASIBLE).count(),
    }


BUILDERS = {"overview": _overview, "needs": _needs, "proposals": _proposals, "review": _review, "vote": _vote,
            "allocation": _allocation}


def _tab(request: HttpRequest, round: GrantRound, tab: str, forms_: dict[str, Any] | None = None,
         status: int = 200) -> HttpResponse:
    context = {"round": round, "tab": tab, "is_admin": sel.is_round_admin(request.user, round.fund),
               "current": phases.current(round)}
    context.update(BUILDERS[tab](request, round, forms_ or {}))
    return render(request, f"grants/staff/round_{tab}.html", context, status=status)


def _view(tab: str) -> Any:
    @never_cache
    @login_required
    def view(request: HttpRequest, round_id: int) -> HttpResponse:
        return _tab(request, sel.round_for_staff(request.user, round_id), tab)

    view.__name__ = view.__qualname__ = f"staff_round_{tab}"
    return view


staff_round = _view("overview")
staff_round_needs = _view("needs")
staff_round_proposals = _view("proposals")
staff_round_review = _view("review")
staff_round_vote = _view("vote")
staff_round_allocation = _view("allocation")


def _done(request: HttpRequest, message: Any, name: str, **kwargs: Any) -> HttpResponse:
    messages.success(request, message)
    return redirect(f"grants:{name}", **kwargs)


# --- overview: open, close, extend ---------------------------------------------------------------------------------

@never_cache
@login_required
@require_POST
def staff_round_open(request: HttpRequest, round_id: int) -> HttpResponse:
    round = sel.round_for_staff(request.user, round_id)
    try:
        services.round_open(actor=request.user, round=round)
    except DomainError as exc:
        flash_error(request, exc)
        return _tab(request, round, "overview", status=exc.status)
    return _done(request, _("The round is open: its budget is reserved in its funds, and its phases run by their dates."),
                 "staff_round", round_id=round.pk)


@never_cache
@login_required
@require_POST
def staff_round_close(request: HttpRequest, round_id: int) -> HttpResponse:
    round = sel.round_for_staff(request.user, round_id)
    try:
        services.round_close(actor=request.user, round=round)
    except DomainError as exc:
        flash_error(request, exc)
        return _tab(request, round, "overview", status=exc.status)
    return _done(request, _("The round is closed; whatever was still reserved went back to the funds."), "staff_round", round_id=round.pk)


@never_cache
@login_required
@require_POST
def staff_phase_extend(request: HttpRequest, round_id: int) -> HttpResponse:
    round = sel.round_for_staff(request.user, round_id)
    kinds = [(p.kind, p.get_kind_display()) for p in round.phases.all()]
    form = ExtendForm(request.POST, kinds=kinds, prefix="extend")
    done = submit(form, lambda d: services.phase_extend(actor=request.user, round=round, kind=d["kind"],
                                                         closes_at=d["closes_at"], reason=d["reason"]))
    if (phase := done.value) is not None:
        return _done(request, _("%(phase)s now closes on %(closes)s.") % {
            "phase": phase.get_kind_display(), "closes": timezone.localtime(phase.closes_at).strftime("%Y-%m-%d %H:%M")},
            "staff_round", round_id=round.pk)
    return _tab(request, round, "overview", {"extend": form}, status=done.status)


# --- needs ------------------------------------------------------------------------------------------------------------

@never_cache
@login_required
@require_POST
def staff_need_merge(request: HttpRequest, round_id: int) -> HttpResponse:
    round = sel.round_for_staff(request.user, round_id)
    form = MergeForm(request.POST)
    form.is_valid()
    need_id = id_param(form.cleaned_data.get("need", ""))
    need = Need.objects.filter(round=round, pk=need_id).first() if need_id else None
    into_id = id_param(form.cleaned_data.get("into", ""))
    into = Need.objects.filter(round=round, pk=into_id).first() if into_id else None
    try:
        if need is None:
            raise field_error("need", "need_not_in_round", _("Choose needs from this round's list."))
        if into is None:
            raise field_error("into", "need_not_in_round", _("Choose needs from this round's list."))
        survivor = services.need_merge(actor=request.user, need=need, into=into)
    except DomainError as exc:
        exc.fields = {"into" if k == "need" else k: v for k, v in exc.fields.items()}  # the form's one choice
        add_domain_error(form, exc)
        return _tab(request, round, "needs", {"merge": {need.pk if need else 0: form}}, status=exc.status)
    return _done(request, _("Merged: the need now has %(n)s supporters.") % {"n": survivor.supporters},
                 "staff_round_needs", round_id=round.pk)


# --- proposals: one proposal, screening, return ------------------------------------------------------------------------

def _proposal_page(request: HttpRequest, proposal: Proposal, forms_: dict[str, Any] | None = None,
                   status: int = 200) -> HttpResponse:
    forms_ = forms_ or {}
    round = proposal.round
    context = {
        "round": round, "proposal": proposal, "tab": "proposals", "current": phases.current(round),
        "is_admin": sel.is_round_admin(request.user, round.fund),
        "screen_form": forms_.get("screen") or ScreenForm(prefix="screen", initial={
            "accepted_price": f"{proposal.requested.amount:.2f}"}),
        "return_form": forms_.get("return") or ReturnForm(prefix="return"),
        "may_screen": proposal.status == ProposalStatus.SUBMITTED and phases.is_open(round, PhaseKind.SCREENING),
        "may_return": proposal.status == ProposalStatus.SUBMITTED and (
            phases.is_open(round, PhaseKind.PROPOSALS) or phases.is_open(round, PhaseKind.SCREENING)),
        "screening": phases.phase_of(round, PhaseKind.SCREENING),
    }
    return render(request, "grants/staff/proposal_detail.html", context, status=status)


@never_cache
@login_required
def staff_proposal(request: HttpRequest, proposal_id: int) -> HttpResponse:
    return _proposal_page(request, sel.proposal_for_staff(request.user, proposal_id))


@never_cache
@login_required
@require_POST
def staff_proposal_screen(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = sel.proposal_for_staff(request.user, proposal_id)
    form = ScreenForm(request.POST, prefix="screen")
    done = submit(form, lambda d: services.proposal_screen(
        actor=request.user, proposal=proposal, feasible=d["feasible"] == "yes",
        accepted_price=(d["accepted_price"] or None) if d["feasible"] == "yes" else None, note=d["note"]))
    if (screened := done.value) is not None:
        message = (_("Feasible at %(price)s.") % {"price": screened.accepted_price} if screened.status == ProposalStatus.FEASIBLE
                   else _("Marked not feasible; the applicant and the public see the reason."))
        return _done(request, message, "staff_proposal", proposal_id=proposal.pk)
    return _proposal_page(request, proposal, {"screen": form}, status=done.status)


@never_cache
@login_required
@require_POST
def staff_proposal_return(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = sel.proposal_for_staff(request.user, proposal_id)
    form = ReturnForm(request.POST, prefix="return")
    done = submit(form, lambda d: services.proposal_return(actor=request.user, proposal=proposal, note=d["note"]))
    if done.ok:
        return _done(request, _("Returned to the applicant for changes."), "staff_proposal", proposal_id=proposal.pk)
    return _proposal_page(request, proposal, {"return": form}, status=done.status)


# --- expert review: the rubric, the assignment ---------------------------------------------------------------------------

@never_cache
@login_required
@require_POST
def staff_rubric_set(request: HttpRequest, round_id: int) -> HttpResponse:
    round = sel.round_for_staff(request.user, round_id)
    form = RubricForm(request.POST, prefix="rubric")
    done = submit(form, lambda d: services.criteria_set(actor=request.user, round=round, criteria=form.criteria()),
                  renamed=form.field_for)
    if (made := done.value) is not None:
        return _done(request, _("Rubric saved: %(n)s criteria.") % {"n": len(made)}, "staff_round_review", round_id=round.pk)
    return _tab(request, round, "review", {"rubric": form}, status=done.status)


@never_cache
@login_required
@require_POST
def staff_reviews_assign(request: HttpRequest, round_id: int) -> HttpResponse:
    round = sel.round_for_staff(request.user, round_id)
    pool = sel.expert_pool(round)
    form = AssignForm(request.POST, pool=pool, prefix="assign")

    def assign(data: dict[str, Any]) -> Any:
        ids = [int(v) for v in data["experts"]]
        experts = list(get_user_model().objects.filter(pk__in=ids).order_by("pk"))
        return services.reviews_assign(actor=request.user, round=round, experts=experts)

    done = submit(form, assign)
    if (made := done.value) is not None:
        return _done(request, _("Reviewers assigned: %(n)s reviews in this round.") % {"n": len(made)},
                     "staff_round_review", round_id=round.pk)
    return _tab(request, round, "review", {"assign": form}, status=done.status)


# --- the vote: paper ballots -----------------------------------------------------------------------------------------

@never_cache
@login_required
@require_POST
def staff_paper_key(request: HttpRequest, round_id: int) -> HttpResponse:
    round = sel.round_for_staff(request.user, round_id)
    if phases.phase_of(round, PhaseKind.VOTE) is None:
        raise field_error("round", "phase_missing", _("This round has no vote."))
    form = PaperForm(request.POST, ballot=_ballot(round), cumulative=round.ballot_kind == BallotKind.CUMULATIVE, prefix="paper")
    done = submit(form, lambda d: services.paper_ballot_key(
        actor=request.user, round=round, paper_number=d["paper_number"], voter=sel.voter_by_identifier(round, d["voter"]),
        choices=form.choices()), renamed={"choices": "choices" if not form.cumulative else "paper_number"})
    if (keying := done.value) is not None:
        text = {"pending": _("Paper ballot %(number)s keyed once; someone else keys it a second time."),
                "counted": _("Paper ballot %(number)s: both keyings agree; it is counted."),
                "mismatch": _("Paper ballot %(number)s: the keyings differ; check the paper and key it again.")}[keying.status]
        if keying.status == "mismatch":
            messages.warning(request, text % {"number": keying.paper_number})
            return redirect("grants:staff_round_vote", round_id=round.pk)
        return _done(request, text % {"number": keying.paper_number}, "staff_round_vote", round_id=round.pk)
    return _tab(request, round, "vote", {"paper": form}, status=done.status)


# --- allocation and override -----------------------------------------------------------------------------------------

@never_cache
@login_required
@require_POST
def staff_allocation_run(request: HttpRequest, round_id: int) -> HttpResponse:
    round = sel.round_for_staff(request.user, round_id)
    try:
        results = services.allocation_run(actor=request.user, round=round)
    except DomainError as exc:
        flash_error(request, exc)
        return _tab(request, round, "allocation", status=exc.status)
    funded = sum(1 for r in results if r.funded)
    return _done(request, _("Allocated: %(funded)s of %(n)s proposals funded.") % {"funded": funded, "n": len(results)},
                 "staff_round_allocation", round_id=round.pk)


@never_cache
@login_required
@require_POST
def staff_contest_register(request: HttpRequest, round_id: int) -> HttpResponse:
    """A design contest's winners into the project registry (again: the same projects, nothing new)."""
    round = sel.round_for_staff(request.user, round_id)
    try:
        projects = services.contest_winners_register(actor=request.user, round=round)
    except DomainError as exc:
        flash_error(request, exc)
        return _tab(request, round, "allocation", status=exc.status)
    return _done(request, _("%(n)s winning projects are in the project registry.") % {"n": len(projects)},
                 "staff_round_allocation", round_id=round.pk)


@never_cache
@login_required
@require_POST
def staff_result_override(request: HttpRequest, result_id: int) -> HttpResponse:
    result = sel.result_for_staff(request.user, result_id)
    round = sel.round_for_staff(request.user, result.round_id)
    form = ReasonForm(request.POST, prefix=f"override-{result.pk}")
    done = submit(form, lambda d: services.result_override(actor=request.user, result=result, funded=not result.funded,
                                                            reason=d["reason"]))
    if done.ok:
        return _done(request, _("Result overridden; the reason is published with the results."),
                     "staff_round_allocation", round_id=round.pk)
    return _tab(request, round, "allocation", {"override": {result.pk: form}}, status=done.status)


@never_cache
@login_required
@require_POST
def staff_result_payer(request: HttpRequest, result_id: int) -> HttpResponse:
    result = sel.result_for_staff(request.user, result_id)
    round = sel.round_for_staff(request.user, result.round_id)
    form = PayerForm(request.POST, funds=round_funds(round), prefix=f"payer-{result.pk}")
    done = submit(form, lambda d: services.result_payer_set(
        actor=request.user, result=result, fund=CommunityFund.objects.select_related("division").get(pk=d["fund"])))
    if (paid := done.value) is not None:
        return _done(request, _("The award is now paid from %(fund)s; the funds' reservations follow.") % {"fund": paid.fund},
                     "staff_round_allocation", round_id=round.pk)
    return _tab(request, round, "allocation", {"payer": {result.pk: form}}, status=done.status)
