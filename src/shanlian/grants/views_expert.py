"""The experts' pages: their review assignments, and one review: the proposal as the reviewer may see it (no
applicant in a blind review), the rubric with its levels, a score per criterion with the weighted total, the comment;
stepping back (recusal) or declaring a tie. What a reviewer sees is selectors_review.proposal_for_reviewer's rule
(another's assignment is a logged 404); every write is one service."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shanlian.core.errors import DomainError, NotFound
from shanlian.core.inputs import id_param
from shanlian.core.pages import add_domain_error

from . import phases, services
from .access import require_expert
from .forms_staff import RecuseForm, ReviewForm, TieForm
from .models import Assignment, AssignmentStatus, LineCategory, PhaseKind
from .selectors_review import ReviewerView, assignments_for, proposal_for_reviewer, share_of


def _assignment(request: HttpRequest, assignment_id: int) -> tuple[Assignment, ReviewerView]:
    require_expert(request.user)
    found = Assignment.objects.select_related("proposal__round", "proposal__applicant").filter(pk=assignment_id).first()
    if found is None:
        raise NotFound("assignment_not_found", _("No such review assignment."))
    return found, proposal_for_reviewer(request.user, found)


def weighted(view: ReviewerView, scores: dict[int, int]) -> Decimal | None:
    """The weighted total (0..1) of the scores given so far, as the board counts a review; None before any."""
    if not scores:
        return None
    weights = {c.id: (c.weight, c.max_score) for c in view.criteria}
    return share_of({cid: v for cid, v in scores.items() if cid in weights}, weights)


def _typed_scores(form: ReviewForm) -> dict[int, int]:
    """The scores a refused form holds that are whole numbers within their criterion (for the total shown again)."""
    out = {}
    for c in form.criteria:
        raw = form.data.get(form.add_prefix(f"score_{c.id}"), "")
        value = id_param(raw) if raw != "0" else 0
        if value is not None and 0 <= value <= c.max_score:
            out[c.id] = value
    return out


def _page(request: HttpRequest, assignment: Assignment, view: ReviewerView, forms_: dict[str, Any] | None = None,
          status: int = 200) -> HttpResponse:
    forms_ = forms_ or {}
    form = forms_.get("review") or ReviewForm(criteria=view.criteria, initial={
        **{f"score_{cid}": v for cid, v in view.own_scores.items()}, "comment": view.own_comment})
    scores = _typed_scores(form) if form.is_bound else view.own_scores
    total = weighted(view, scores)
    round = assignment.proposal.round
    review_phase = phases.phase_of(round, PhaseKind.REVIEW)
    categories = dict(LineCategory.choices)
    context = {
        "a": assignment, "view": view, "form": form, "total": total,
        "total_pct": "—" if total is None else f"{total * 100:.1f}%",
        "recuse_form": forms_.get("recuse") or RecuseForm(prefix="recuse"),
        "tie_form": forms_.get("tie") or TieForm(prefix="tie"),
        "open": phases.is_open(round, PhaseKind.REVIEW), "review_phase": review_phase,
        "pending": view.status == AssignmentStatus.ASSIGNED,
        "lines": [{**line, "category_label": categories.get(line["category"], line["category"])} for line in view.lines],
        "others": [{"p": p, "share": f"{p.share * 100:.1f}%"} for p in view.others],
        "criteria_names": {c.id: c.name for c in view.criteria},
    }
    return render(request, "grants/expert/review.html", context, status=status)


@never_cache
@login_required
def expert_reviews(request: HttpRequest) -> HttpResponse:
    require_expert(request.user)
    return render(request, "grants/expert/review_list.html", {"assignments": assignments_for(request.user)})


@never_cache
@login_required
def expert_review(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment, view = _assignment(request, assignment_id)
    if request.method != "POST":
        return _page(request, assignment, view)
    form = ReviewForm(request.POST, criteria=view.criteria)
    status = 400
    if form.is_valid():
        try:
            services.review_submit(actor=request.user, assignment=assignment, scores=form.scores(),
                                   comment=form.cleaned_data["comment"])
        except DomainError as exc:
            exc.fields = {(f"score_{k.split('.', 1)[1]}" if k.startswith("scores.") else k): v for k, v in exc.fields.items()}
            add_domain_error(form, exc)
            status = exc.status
        else:
            messages.success(request, _("Review submitted. The other reviewers' scores are shown as they come in."))
            return redirect("grants:expert_review", assignment_id=assignment.pk)
    return _page(request, assignment, view, {"review": form}, status=status)


@never_cache
@login_required
@require_POST
def expert_recuse(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment, view = _assignment(request, assignment_id)
    form = RecuseForm(request.POST, prefix="recuse")
    status = 400
    if form.is_valid():
        try:
            services.review_recuse(actor=request.user, assignment=assignment, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            add_domain_error(form, exc)
            status = exc.status
        else:
            messages.success(request, _("You stepped back from this review; the round's staff will assign another reviewer."))
            return redirect("grants:expert_reviews")
    return _page(request, assignment, view, {"recuse": form}, status=status)


@never_cache
@login_required
@require_POST
def expert_tie(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment, view = _assignment(request, assignment_id)
    form = TieForm(request.POST, prefix="tie")
    status = 400
    if form.is_valid():
        try:
            services.tie_declare(actor=request.user, round=assignment.proposal.round,
                                 organization=assignment.proposal.applicant, note=form.cleaned_data["note"])
        except DomainError as exc:
            add_domain_error(form, exc)
            status = exc.status
        else:
            messages.success(request, _("Tie declared: you are recused from this applicant's proposals in the round."))
            return redirect("grants:expert_reviews")
    return _page(request, assignment, view, {"tie": form}, status=status)
