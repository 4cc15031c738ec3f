"""The public wish wall (no login, mobile first): open wishes de-identified at community level, filters, counts and the
leaderboard of fulfilled wishes; a wish's public page; and, signed in, the claim page and the claimant's own claims with
the station's messages. Nothing here reads the beneficiary or the case."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shanlian.core.errors import DomainError, PermissionDenied
from shanlian.core.pages import flash_error, paginate, submit

from . import access, services
from . import selectors as sel
from .forms import ClaimForm, ReplyForm, WallFilterForm
from .models import WishStatus


def wall(request: HttpRequest) -> HttpResponse:
    districts, streets = sel.wall_places()
    form = WallFilterForm(request.GET or None, districts=districts, streets=streets)
    values = form.values()
    now = timezone.now()
    page = paginate(request, sel.wall(now=now, **values))
    rows = [sel.public_wish(w, now) for w in page.object_list]
    return render(request, "wishes/wall.html", {
        "form": form, "page_obj": page, "rows": rows, "counts": sel.wall_counts(now), "state": values.get("state", "open"),
        "leaders": sel.leaderboard(district_id=values.get("district_id"))})


def wish_public(request: HttpRequest, wish_id: int) -> HttpResponse:
    found = sel.wish_public_get(wish_id)
    return render(request, "wishes/public_wish.html", {"p": sel.public_wish(found), "open": found.status == WishStatus.OPEN})


@never_cache
@login_required
def claim(request: HttpRequest, wish_id: int) -> HttpResponse:
    found = sel.wish_public_get(wish_id)
    if not access.may_claim(sel.scope_of(request.user), found.station_id):
        raise PermissionDenied("own_station", _("A station's own staff do not claim its wishes: they confirm them."))
    form = ClaimForm(request.POST or None)
    status = 200
    if request.method == "POST":
        done = submit(form, lambda d: services.wish_claim(
            actor=request.user, wish=found, kind=d["kind"], party_branch=d["party_branch"], party_members=d["party_members"],
            company_name=d["company_name"], credit_code=d["credit_code"], contact=d["contact"]))
        if done.value is not None:
            messages.success(request, _("Thank you! The wish is yours for %(days)s days: the station will tell you where and when to "
                                        "hand it over.") % {"days": (done.value.expires_at - done.value.claimed_at).days})
            return redirect("wishes:mine")
        status = done.status
        found = sel.wish_public_get(wish_id)
    return render(request, "wishes/claim.html", {"p": sel.public_wish(found), "form": form, "open": found.status == WishStatus.OPEN},
                  status=status)


@never_cache
@login_required
def mine(request: HttpRequest) -> HttpResponse:
    page = paginate(request, sel.my_claims(request.user))
    now = timezone.now()
    rows = [(c, sel.public_wish(c.wish, now)) for c in page.object_list]
    return render(request, "wishes/mine.html", {"page_obj": page, "rows": rows, "reply_form": ReplyForm()})


@never_cache
@login_required
@require_POST
def claim_withdraw(request: HttpRequest, wish_claim_id: int) -> HttpResponse:
    found = sel.claim_get(request.user, wish_claim_id)
    try:
        services.claim_withdraw(actor=request.user, claim=found)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash_error(request, exc)
        return redirect("wishes:mine")
    messages.success(request, _("Claim withdrawn: the wish is back on the wall."))
    return redirect("wishes:mine")


@never_cache
@login_required
@require_POST
def claim_reply(request: HttpRequest, wish_claim_id: int) -> HttpResponse:
    found = sel.claim_get(request.user, wish_claim_id)
    form = ReplyForm(request.POST)
    done = submit(form, lambda d: services.message_reply(actor=request.user, claim=found, text=d["text"]))
    if done.value is None:
        if done.refusal is not None and done.refusal.status == 404:
            raise done.refusal
        for errors in form.errors.values():
            messages.error(request, str(errors[0]))
        return redirect("wishes:mine")
    messages.success(request, _("Reply sent to the station."))
    return redirect("wishes:mine")
