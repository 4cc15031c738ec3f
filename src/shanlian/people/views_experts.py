"""The expert pool's pages: the administrators' list of experts (fields, ceilings, time away, ties), and one
expert's entry (their own, or anyone's for an administrator): the profile and the standing ties to organizations."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from shanlian.core.errors import NotFound, PermissionDenied
from shanlian.core.pages import submit
from shanlian.core.scoping import Role

from .forms_experts import ProfileForm, TieForm
from .models import RoleGrant
from .permissions import may_keep_pool
from .selectors import actor_scope
from .selectors_experts import expert_pool, expert_profile, expert_ties
from .services_experts import expert_profile_save, expert_tie_declare


@never_cache
@login_required
def pool(request: HttpRequest) -> HttpResponse:
    if not may_keep_pool(actor_scope(request.user)):
        raise PermissionDenied("not_pool_keeper", _("Only administrators keep the expert pool."))
    return render(request, "people/experts.html", {"pool": expert_pool(on=timezone.localdate())})


def _expert(request: HttpRequest, user_id: int | None) -> Any:
    """The expert whose entry this is: the actor's own, or (administrators) anyone's in the pool."""
    user: Any
    if user_id is None or user_id == request.user.pk:
        user = request.user
    else:
        if not may_keep_pool(actor_scope(request.user)):
            raise NotFound()
        user = get_user_model().objects.filter(pk=user_id).first()
    if user is None or not RoleGrant.objects.filter(user=user, role=Role.EXPERT, revoked_at__isnull=True).exists():
        raise NotFound()
    return user


@never_cache
@login_required
def entry(request: HttpRequest, user_id: int | None = None) -> HttpResponse:
    expert = _expert(request, user_id)
    profile = expert_profile(user_id=expert.pk)
    initial = {} if profile is None else {"expertise": profile.fields, "title": profile.title, "employer": profile.employer,
                                          "max_load": profile.max_load, "away_from": profile.away_from,
                                          "away_until": profile.away_until}
    which = request.POST.get("form") if request.method == "POST" else None  # each form says which it is
    form = ProfileForm(request.POST if which == "profile" else None, initial=initial, prefix="profile")
    tie_form = TieForm(request.POST if which == "tie" else None, prefix="tie")
    status = 200
    if which in ("profile", "tie"):
        done: Any
        if which == "profile":
            done = submit(form, lambda d: expert_profile_save(actor=request.user, user=expert, fields=d.pop("expertise"), **d),
                          renamed={"fields": "expertise"})
        else:
            done = submit(tie_form, lambda d: expert_tie_declare(actor=request.user, user=expert, **d))
        if done.value is not None:
            messages.success(request, _("Saved."))
            return redirect(request.path)
        status = done.status
    return render(request, "people/expert.html", {
        "expert": expert, "form": form, "tie_form": tie_form, "ties": expert_ties(user_id=expert.pk),
        "own": expert.pk == request.user.pk}, status=status)
