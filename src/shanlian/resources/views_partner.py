"""The partner pages ("我的资源") for a partner's own staff, and the members page of a partner for those who manage it.
Thin: each parses, calls one service or selector of the hub, renders."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from shanlian.core.errors import field_error
from shanlian.core.inputs import id_param
from shanlian.core.pages import submit
from shanlian.people.selectors import actor_scope

from . import access, services
from . import selectors as sel
from . import selectors_partner as mine
from .forms import DeliveryForm, MemberForm, OfferEditForm, OfferForm
from .models import Match, OfferStatus
from .quantities import quantity_text, quantity_value
from .views import _try


def _need_rows(matches: list[Match]) -> list[dict[str, Any]]:
    rows = []
    for m in matches:
        title, _about = access.need_shown_to_partner(m.need)
        unit = m.offer.category.unit
        rows.append({"m": m, "need_title": title, "receiver": sel.owner_name(m.need), "state": sel.match_state(m),
                     "committed": quantity_text(m.committed, m.offer.kind, unit),
                     "delivered": quantity_text(m.delivered, m.offer.kind, unit)})
    return rows


def _gift_rows(given: list[Any]) -> list[dict[str, Any]]:
    return [{"g": g, "delivered": quantity_text(g.delivered, g.category.kind, g.category.unit),
             "confirmed": quantity_text(g.confirmed, g.category.kind, g.category.unit)} for g in given]


@never_cache
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The partner's page: its offers, the matches made on them, what it gave in a year."""
    partner = mine.my_partner(request.user, id_param(request.GET.get("partner")))
    years = mine.my_gift_years(partner)
    year = id_param(request.GET.get("year"))
    year = year if year in years else years[0]
    offers = [{"o": o, "quantity": quantity_text(o.quantity, o.kind, o.category.unit),
               "left": quantity_text(o.remaining, o.kind, o.category.unit)} for o in mine.my_offers(request.user, partner)[:100]]
    matches = _need_rows(list(mine.my_matches(request.user, partner)[:100]))
    return render(request, "resources/partner_home.html", {
        "partner": partner, "partners": mine.my_partners(request.user), "offers": offers, "matches": matches,
        "gifts": _gift_rows(mine.my_gifts(request.user, partner, year)), "years": years, "year": year})


@never_cache
@login_required
def offer_new(request: HttpRequest) -> HttpResponse:
    partner = mine.my_partner(request.user, id_param(request.GET.get("partner") or request.POST.get("partner")))
    form = OfferForm(request.POST or None, partners=[partner], categories=sel.categories(),
                     divisions=mine.member_divisions(partner), initial={"partner": str(partner.pk), "division": str(partner.division_id)})
    status = 200
    if request.method == "POST":
        done = submit(form, lambda d: services.offer_register(
            actor=request.user, partner=partner, category=d["category"], title=d["title"], quantity=d["quantity"],
            division=d["division"], available_from=d["available_from"], available_until=d["available_until"],
            description=d["description"], latitude=d["latitude"], longitude=d["longitude"], reach_km=d["reach_km"]))
        if done.value is not None:
            messages.success(request, _("Offer registered."))
            return redirect("resources:mine_offer", resource_offer_id=done.value.pk)
        status = done.status
    return render(request, "resources/partner_form.html", {"form": form, "partner": partner, "title": _("Register an offer")},
                  status=status)


@never_cache
@login_required
def offer(request: HttpRequest, resource_offer_id: int) -> HttpResponse:
    """One offer of the partner: its matches; edit it (naming the version read) or withdraw it."""
    found = mine.my_offer_get(request.user, resource_offer_id)
    action = request.POST.get("action") if request.method == "POST" else None
    form = OfferEditForm(request.POST if action == "edit" else None, divisions=mine.member_divisions(found.partner),
                         initial=OfferEditForm.initial_of(found, quantity_value(found.quantity, found.kind)))
    status = 200
    if action == "withdraw":
        _try(request, lambda: services.offer_withdraw(actor=request.user, offer=found), _("Offer withdrawn."))
        return redirect("resources:mine_offer", resource_offer_id=found.pk)
    if action == "edit":
        done = submit(form, lambda d: services.offer_update(
            actor=request.user, offer=found, version=d["version"], title=d["title"], quantity=d["quantity"],
            division=d["division"], available_from=d["available_from"], available_until=d["available_until"],
            description=d["description"], latitude=d["latitude"], longitude=d["longitude"], reach_km=d["reach_km"]))
        if done.value is not None:
            messages.success(request, _("Offer saved."))
            return redirect("resources:mine_offer", resource_offer_id=found.pk)
        status = done.status
    elif action is not None:
        status = 400
    return render(request, "resources/partner_offer.html", {
        "o": found, "partner": found.partner, "form": form, "open": found.status == OfferStatus.OPEN,
        "rows": _need_rows(list(mine.my_matches(request.user, found.partner, offer_id=found.pk))),
        "quantity": quantity_text(found.quantity, found.kind, found.category.unit),
        "committed": quantity_text(found.committed, found.kind, found.category.unit),
        "left": quantity_text(found.remaining, found.kind, found.category.unit)}, status=status)


@never_cache
@login_required
def match(request: HttpRequest, resource_match_id: int) -> HttpResponse:
    """A match of one of the partner's offers: what is committed, delivered, confirmed; record a delivery."""
    found = mine.my_match_get(request.user, resource_match_id)
    form = DeliveryForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if request.POST.get("action") != "deliver":
            status = 400
        else:
            done = submit(form, lambda d: services.delivery_record(actor=request.user, match=found, quantity=d["quantity"],
                                                                   delivered_on=d["delivered_on"], note=d["note"]))
            if done.value is not None:
                messages.success(request, _("Delivery recorded: the receiver confirms it."))
                return redirect("resources:mine_match", resource_match_id=found.pk)
            status = done.status
    unit = found.offer.category.unit
    title, about = access.need_shown_to_partner(found.need)
    return render(request, "resources/partner_match.html", {
        "m": found, "partner": found.offer.partner, "need_title": title, "need_about": about, "state": sel.match_state(found),
        "receiver": sel.owner_name(found.need), "form": form, "may_deliver": not found.cancelled and found.outstanding > 0,
        "deliveries": [{"d": d, "quantity": quantity_text(d.quantity, found.offer.kind, unit)} for d in sel.deliveries_of(found)],
        "q": {k: quantity_text(getattr(found, k), found.offer.kind, unit) for k in ("committed", "delivered", "outstanding", "confirmed")},
    }, status=status)


# -- a partner's members, for those who manage it ----------------------------------------------------------------

@never_cache
@login_required
def members(request: HttpRequest, resource_partner_id: int) -> HttpResponse:
    partner = mine.partner_managed_get(request.user, resource_partner_id)
    may_manage = access.may_manage_partner(actor_scope(request.user), partner)
    action = request.POST.get("action") if request.method == "POST" else None
    form = MemberForm(request.POST if action == "add" else None)
    status = 200
    if action == "add":
        def write(d: dict[str, Any]) -> Any:
            mine.partner_to_manage(request.user, partner.pk)
            person = mine.person_by_login(d["username"])
            if person is None:
                raise field_error("username", "login_not_found", _("No one signs in under this name."))
            return services.partner_member_add(actor=request.user, partner=partner, person=person, title=d["title"])
        done = submit(form, write)
        if done.value is not None:
            messages.success(request, _("Member added: they now see the partner's page."))
            return redirect("resources:partner_members", resource_partner_id=partner.pk)
        status = done.status
    elif action == "end":
        member = mine.member_get(request.user, partner, id_param(request.POST.get("member")) or 0)
        _try(request, lambda: services.partner_member_end(actor=request.user, member=member), _("Membership ended."))
        return redirect("resources:partner_members", resource_partner_id=partner.pk)
    elif action is not None:
        status = 400
    return render(request, "resources/partner_members.html", {
        "tab": "offers", "may_match": access.may_match(actor_scope(request.user)), "partner": partner,
        "members": mine.members_of(request.user, partner), "form": form, "may_manage": may_manage,
        "offers_url": f"{reverse('resources:offers')}?q={partner.name}"}, status=status)
