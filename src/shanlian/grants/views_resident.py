"""The resident's pages of micro-venture rounds, phone first: the rounds of their area and what they may do in each now,
naming and supporting needs, and the ballot.

Every rule is the services' (need_submit, need_support, ballot_cast) and the access module's: a page only asks and
shows. A refusal is a clear message with its 4xx status (403 not a resident or not of the area, 409 outside the phase,
400 a ballot that breaks the round's limits), never a 500; the code is in the markup's `data-error-code`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shanlian.core.errors import DomainError, ValidationFailed
from shanlian.core.money import Money
from shanlian.core.pages import add_domain_error, paginate

from . import phases
from . import selectors_people as people
from .access import require_resident
from .forms_resident import NeedForm, ballot_choices_in
from .models import BallotKind, GrantRound, PhaseKind
from .selectors_proposals import needs_public
from .selectors_vote import ballot_of
from .services import ballot_cast, need_submit, need_support


def public_round_url(round_id: int) -> str:
    """The round's public page (grants_public:round), or its address when that page is not mounted."""
    try:
        return reverse("grants_public:round", kwargs={"round_id": round_id})
    except NoReverseMatch:
        return f"/public/grants/rounds/{round_id}/"


def _round(request: HttpRequest, round_id: int) -> GrantRound:
    """The round, if the signed-in user takes part in it as a resident of its area (else refused: 404, 403)."""
    round = people.round_for_resident(round_id)
    require_resident(request.user, round)
    return round


@login_required
def resident_home(request: HttpRequest) -> HttpResponse:
    person = people.resident_person(request.user)
    rows = people.rounds_for_resident(person, request.user)
    for row in rows:
        row.public_url = public_round_url(row.round.pk)
    return render(request, "grants/resident/home.html", {"person": person, "rows": rows, "now": timezone.now()})


@login_required
def resident_round(request: HttpRequest, round_id: int) -> HttpResponse:
    """One round for a resident: its needs, most supported first, with a support button while needs are collected."""
    round = _round(request, round_id)
    page = paginate(request, needs_public(round))
    needs = list(page.object_list)
    mine = people.supported_need_ids(request.user, [n.pk for n in needs])
    return render(request, "grants/resident/round.html", {
        "round": round, "page": page, "needs": needs, "mine": mine, "ballot": ballot_of(request.user, round),
        "needs_open": phases.is_open(round, PhaseKind.NEEDS), "vote_open": phases.is_open(round, PhaseKind.VOTE),
        "phase": phases.current(round), "phases": list(round.phases.all()), "now": timezone.now(),
        "public_url": public_round_url(round.pk),
    })


@login_required
def need_new(request: HttpRequest, round_id: int) -> HttpResponse:
    round = _round(request, round_id)
    person = people.resident_person(request.user)
    phases.require_open(round, PhaseKind.NEEDS)  # refused with when needs are collected (409)
    form = NeedForm(request.POST or None, communities=people.communities_of(round), initial={"community": person.division_id})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            community = people.communities_of(round).filter(pk=data["community"]).first() if data.get("community") else None
            try:
                need_submit(actor=request.user, round=round, text=data["text"], category=data["category"] or "",
                            community=community or person.division)
            except DomainError as exc:
                add_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Thank you: your need is on the round's list, where neighbours can support it."))
                return redirect("grants:resident_round", round_id=round.pk)
        else:
            status = 400
    return render(request, "grants/resident/need_form.html", {"round": round, "form": form}, status=status)


@login_required
@require_POST
def need_support_view(request: HttpRequest, round_id: int, need_id: int) -> HttpResponse:
    round = _round(request, round_id)
    need = people.need_of_round(round, need_id)
    already = need.pk in people.supported_need_ids(request.user, [need.pk])
    need_support(actor=request.user, need=need)  # a refusal is the error page, with its status
    if already:
        messages.info(request, _("You already support this need; each resident supports a need once."))
    else:
        messages.success(request, _("Thank you for your support."))
    target = reverse("grants:resident_round", kwargs={"round_id": round.pk})
    page = request.POST.get("page", "")
    return redirect(f"{target}?page={page}#need-{need.pk}" if page.isdigit() and len(page) < 6 else f"{target}#need-{need.pk}")


@login_required
def vote(request: HttpRequest, round_id: int) -> HttpResponse:
    """The ballot: the projects as cards, ticked (approval) or given points (cumulative), checked by the service on
    submit; then the resident's ballot, to change until the vote closes."""
    round = _round(request, round_id)
    mine = ballot_of(request.user, round)
    on_ballot = people.ballot_proposals(round)
    error: DomainError | None = None
    status = 200
    chosen: dict[int, Any] = dict(mine.choices)
    if request.method == "POST":
        picked = ballot_choices_in(round, request.POST, on_ballot)
        try:
            ballot_cast(actor=request.user, round=round, choices=picked)
        except DomainError as exc:
            error, status = exc, exc.status
            chosen = dict.fromkeys(picked, 1) if isinstance(picked, list) else dict(picked)
        else:
            messages.success(request, _("Your ballot is in. Thank you for voting!") if mine.ballot is None
                             else _("Your ballot is changed."))
            return redirect("grants:vote", round_id=round.pk)
    elif mine.ballot is None:
        phases.require_open(round, PhaseKind.VOTE)  # no ballot, and the vote not open: when it is (409)
    editing = mine.may_change and (mine.ballot is None or error is not None or request.GET.get("change") == "1")
    cards: list[dict[str, Any]] = [{"p": p, "cost": p.cost, "cost_fen": p.cost.fen, "chosen": p.pk in chosen,
              "points": chosen.get(p.pk, 0) if isinstance(chosen.get(p.pk, 0), int) else chosen.get(p.pk)} for p in on_ballot]
    on = [c for c in cards if c["chosen"]]
    used = sum(c["points"] for c in on if isinstance(c["points"], int)) if round.ballot_kind == BallotKind.CUMULATIVE else 0
    counts = {"chosen": len(on), "cost": sum((c["cost"] for c in on), Money(0)), "points_left": round.points - used}
    chosen_cards = [c for c in cards if c["p"].pk in mine.choices]
    for c in chosen_cards:
        c["my_points"] = mine.choices[c["p"].pk]
    return render(request, "grants/resident/vote.html", {
        "round": round, "mine": mine, "cards": cards, "editing": editing, "error": error,
        "error_message": _error_text(error), "error_code": _error_code(error), "chosen_cards": chosen_cards, "counts": counts,
        "cumulative": round.ballot_kind == BallotKind.CUMULATIVE, "vote_phase": phases.phase_of(round, PhaseKind.VOTE),
        "budget_fen": round.budget.fen,
    }, status=status)


def _error_code(error: DomainError | None) -> str:
    if error is None:
        return ""
    return next((c for errs in error.fields.values() for c, _m in errs), error.code)


def _error_text(error: DomainError | None) -> str:
    if error is None:
        return ""
    if isinstance(error, ValidationFailed) and error.fields:
        return "; ".join(str(m) for errs in error.fields.values() for _c, m in errs)
    return str(error.message)
