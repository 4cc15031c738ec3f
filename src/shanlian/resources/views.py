"""The resource hub's pages: needs, offers, partners, matching, a match's deliveries, and what partners gave. Thin:
each parses, calls one service or selector, renders."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from shanlian.core.errors import DomainError, NotFound, PermissionDenied
from shanlian.core.inputs import id_param
from shanlian.core.pages import flash_error, paginate, submit
from shanlian.people.selectors import actor_scope

from . import access, services
from . import selectors as sel
from .forms import DeliveryForm, FilterForm, NeedForm, OfferForm, PartnerForm
from .matching import reason
from .models import Match, NeedStatus, OfferStatus
from .quantities import quantity_text


def _tabs(request: HttpRequest, tab: str) -> dict[str, Any]:
    scope = actor_scope(request.user)
    return {"tab": tab, "may_match": access.may_match(scope)}


@never_cache
@login_required
def needs(request: HttpRequest) -> HttpResponse:
    form = FilterForm(request.GET or None)
    page = paginate(request, sel.needs_visible(request.user, **form.values()))
    may_add = sel.stations_received_by(request.user).exists() or sel.organizations_managed(request.user).exists()
    return render(request, "resources/needs.html", {**_tabs(request, "needs"), "form": form, "page_obj": page,
                                                    "may_add": may_add})


@never_cache
@login_required
def need_new(request: HttpRequest) -> HttpResponse:
    owners = [*sel.stations_received_by(request.user), *sel.organizations_managed(request.user)]
    if not owners:
        raise PermissionDenied("not_receiver", _("Only stations' staff and organizations' managers register needs."))
    form = NeedForm(request.POST or None, owners=owners, categories=sel.categories(), divisions=sel.division_choices(request.user))
    status = 200
    if request.method == "POST":
        def write(d: dict[str, Any]) -> Any:
            owner = d["owner"]
            station = owner if hasattr(owner, "street_id") else None
            return services.need_register(
                actor=request.user, category=d["category"], title=d["title"], quantity=d["quantity"], division=d["division"],
                needed_by=d["needed_by"], station=station, organization=None if station else owner,
                description=d["description"], latitude=d["latitude"], longitude=d["longitude"])
        done = submit(form, write, renamed={"station": "owner"})
        if done.value is not None:
            messages.success(request, _("Need registered."))
            return redirect("resources:need", resource_need_id=done.value.pk)
        status = done.status
    return render(request, "resources/form.html", {**_tabs(request, "needs"), "form": form, "title": _("Register a need"),
                                                   "back": "resources:needs"}, status=status)


@never_cache
@login_required
def need(request: HttpRequest, resource_need_id: int) -> HttpResponse:
    found = sel.need_get(request.user, resource_need_id)
    scope = actor_scope(request.user)
    if request.method == "POST":
        if request.POST.get("action") == "close":
            _try(request, lambda: services.need_close(actor=request.user, need=found), _("Need closed."))
        return redirect("resources:need", resource_need_id=found.pk)
    matches = list(sel.matches_visible(request.user, need_id=found.pk))
    return render(request, "resources/need.html", {
        **_tabs(request, "needs"), "n": found, "owner": sel.owner_name(found), "rows": _match_rows(matches),
        "may_close": found.status == NeedStatus.OPEN and (access.may_receive(scope, found) or access.oversees_need(scope, found)),
        "left": quantity_text(found.remaining, found.kind, found.category.unit),
        "quantity": quantity_text(found.quantity, found.kind, found.category.unit)})


def _match_rows(matches: list[Match]) -> list[dict[str, Any]]:
    return [{"m": m, "state": sel.match_state(m), "committed": quantity_text(m.committed, m.offer.kind, m.offer.category.unit),
             "delivered": quantity_text(m.delivered, m.offer.kind, m.offer.category.unit)} for m in matches]


def _try(request: HttpRequest, write: Any, done: str) -> bool:
    try:
        write()
    except DomainError as exc:
        flash_error(request, exc)
        return False
    messages.success(request, done)
    return True


@never_cache
@login_required
def offers(request: HttpRequest) -> HttpResponse:
    form = FilterForm(request.GET or None)
    page = paginate(request, sel.offers_visible(request.user, **form.values()))
    rows = [{"o": o, "quantity": quantity_text(o.quantity, o.kind, o.category.unit),
             "left": quantity_text(o.remaining, o.kind, o.category.unit)} for o in page.object_list]
    return render(request, "resources/offers.html", {**_tabs(request, "offers"), "form": form, "page_obj": page, "rows": rows,
                                                     "may_add": bool(sel.partners_managed(request.user)),
                                                     "may_partner": bool(sel.division_choices(request.user, limit=1))})


@never_cache
@login_required
def offer_new(request: HttpRequest) -> HttpResponse:
    partners = sel.partners_managed(request.user)
    if not partners:
        raise PermissionDenied("not_partner_manager", _("Register a partner first, or ask your area's staff to."))
    form = OfferForm(request.POST or None, partners=partners, categories=sel.categories(), divisions=sel.division_choices(request.user),
                     initial={"partner": id_param(request.GET.get("partner"))})
    status = 200
    if request.method == "POST":
        done = submit(form, lambda d: services.offer_register(
            actor=request.user, partner=d["partner"], category=d["category"], title=d["title"], quantity=d["quantity"],
            division=d["division"], available_from=d["available_from"], available_until=d["available_until"],
            description=d["description"], latitude=d["latitude"], longitude=d["longitude"], reach_km=d["reach_km"]))
        if done.value is not None:
            messages.success(request, _("Offer registered."))
            return redirect("resources:offer", resource_offer_id=done.value.pk)
        status = done.status
    return render(request, "resources/form.html", {**_tabs(request, "offers"), "form": form, "title": _("Register an offer"),
                                                   "back": "resources:offers"}, status=status)


@never_cache
@login_required
def offer(request: HttpRequest, resource_offer_id: int) -> HttpResponse:
    found = sel.offer_get(request.user, resource_offer_id)
    scope = actor_scope(request.user)
    if request.method == "POST":
        if request.POST.get("action") == "withdraw":
            _try(request, lambda: services.offer_withdraw(actor=request.user, offer=found), _("Offer withdrawn."))
        return redirect("resources:offer", resource_offer_id=found.pk)
    matches = list(sel.matches_visible(request.user, offer_id=found.pk))
    return render(request, "resources/offer.html", {
        **_tabs(request, "offers"), "o": found, "rows": _match_rows(matches),
        "may_withdraw": found.status == OfferStatus.OPEN and access.may_manage_partner(scope, found.partner),
        "left": quantity_text(found.remaining, found.kind, found.category.unit),
        "quantity": quantity_text(found.quantity, found.kind, found.category.unit)})


@never_cache
@login_required
def partner_new(request: HttpRequest) -> HttpResponse:
    divisions = sel.division_choices(request.user)
    scope = actor_scope(request.user)
    divisions = [d for d in divisions if access.may_register_partner_in(scope, d)]
    if not divisions:
        raise PermissionDenied("not_partner_manager", _("Area officers and stations' staff register partners in their area."))
    form = PartnerForm(request.POST or None, divisions=divisions)
    status = 200
    if request.method == "POST":
        done = submit(form, lambda d: services.partner_register(actor=request.user, name=d["name"], kind=d["kind"],
                                                                division=d["division"], contact=d["contact"]))
        if done.value is not None:
            messages.success(request, _("Partner registered: now register its offers."))
            return redirect(f"{_url('resources:offer_new')}?partner={done.value.pk}")
        status = done.status
    return render(request, "resources/form.html", {**_tabs(request, "offers"), "form": form, "title": _("Register a partner"),
                                                   "back": "resources:offers"}, status=status)


def _url(name: str, **kwargs: Any) -> str:
    from django.urls import reverse

    return reverse(name, kwargs=kwargs or None)


@never_cache
@login_required
def matching(request: HttpRequest) -> HttpResponse:
    """GET: the areas, and with ?area= the proposed matches for it; POST: commit the ticked ones."""
    scope = actor_scope(request.user)
    sel.hub_scope(request.user)
    if not access.may_match(scope):
        raise PermissionDenied("not_matcher", _("Only district and street officers run matching."))
    areas = [d for d in sel.divisions_in_area(request.user, down_to="street") if scope.covers_path(d.path, scope.area_paths)]
    area = _area(request, areas)
    if request.method == "POST" and area is not None:
        picks = _picks(request.POST.getlist("pick"))
        try:
            made = services.matches_commit(actor=request.user, choices=picks)
        except DomainError as exc:
            flash_error(request, exc)
            return redirect(f"{_url('resources:matching')}?area={area.pk}")
        messages.success(request, _("%(n)s matches committed.") % {"n": len(made)})
        return redirect(f"{_url('resources:matching')}?area={area.pk}")
    proposed = sel.proposal_for_area(request.user, area) if area is not None else None
    rows = []
    if proposed is not None:
        for o, n, q, fit in proposed.rows():
            rows.append({"o": o, "n": n, "pick": f"{o.pk}:{n.pk}:{q}", "quantity": quantity_text(q, o.kind, o.category.unit),
                         "reason": reason(fit, category=o.category.name, offer_area=o.division.name, need_area=n.division.name,
                                          needed_by=n.needed_by), "owner": sel.owner_name(n)})
    return render(request, "resources/matching.html", {
        **_tabs(request, "matching"), "areas": areas, "area": area, "rows": rows, "proposed": proposed,
        "open_needs": len(proposed.needs) if proposed else 0, "open_offers": len(proposed.offers) if proposed else 0})


def _area(request: HttpRequest, areas: list[Any]) -> Any:
    wanted = id_param(request.GET.get("area") or request.POST.get("area"))
    if wanted is None:
        return None
    for d in areas:
        if d.pk == wanted:
            return d
    raise NotFound()


def _picks(raw: list[str]) -> list[tuple[int, int, int]]:
    out = []
    for item in raw[: services.BATCH_MAX + 1]:
        parts = [id_param(p) for p in item.split(":")]
        if len(parts) == 3 and all(p is not None for p in parts):
            out.append((parts[0], parts[1], parts[2]))
    return out  # type: ignore[return-value]


@never_cache
@login_required
def match(request: HttpRequest, resource_match_id: int) -> HttpResponse:
    found = sel.match_get(request.user, resource_match_id)
    scope = actor_scope(request.user)
    form = DeliveryForm(request.POST if request.POST.get("action") == "deliver" else None)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "deliver":
            done = submit(form, lambda d: services.delivery_record(actor=request.user, match=found, quantity=d["quantity"],
                                                                   delivered_on=d["delivered_on"], note=d["note"]))
            if done.value is not None:
                messages.success(request, _("Delivery recorded: the receiver confirms it."))
                return redirect("resources:match", resource_match_id=found.pk)
            status = done.status
        elif action == "confirm":
            delivery = found.deliveries.filter(pk=id_param(request.POST.get("delivery")) or 0).first()
            if delivery is None:
                raise NotFound()
            _try(request, lambda: services.delivery_confirm(actor=request.user, delivery=delivery), _("Delivery confirmed. Thank you!"))
            return redirect("resources:match", resource_match_id=found.pk)
        elif action == "cancel":
            _try(request, lambda: services.match_cancel(actor=request.user, match=found), _("Match cancelled."))
            return redirect("resources:match", resource_match_id=found.pk)
        else:
            status = 400
    unit = found.offer.category.unit
    deliveries = [{"d": d, "quantity": quantity_text(d.quantity, found.offer.kind, unit)} for d in sel.deliveries_of(found)]
    may_deliver = not found.cancelled and found.outstanding > 0 and (
        access.may_manage_partner(scope, found.offer.partner) or access.may_receive(scope, found.need)
        or access.oversees_need(scope, found.need))
    return render(request, "resources/match.html", {
        **_tabs(request, "needs"), "m": found, "state": sel.match_state(found), "deliveries": deliveries, "form": form,
        "may_deliver": may_deliver, "may_confirm": access.may_receive(scope, found.need),
        "may_cancel": not found.cancelled and found.outstanding > 0 and access.oversees_need(scope, found.need),
        "owner": sel.owner_name(found.need),
        "q": {k: quantity_text(getattr(found, k), found.offer.kind, unit) for k in ("committed", "delivered", "outstanding", "confirmed")},
    }, status=status)


@never_cache
@login_required
def gifts(request: HttpRequest) -> HttpResponse:
    years = sel.gift_years()
    year = id_param(request.GET.get("year"))
    year = year if year in years else timezone.localdate().year
    given = sel.partner_gifts(request.user, year)
    rows = [{"g": g, "delivered": quantity_text(g.delivered, g.category.kind, g.category.unit),
             "confirmed": quantity_text(g.confirmed, g.category.kind, g.category.unit)} for g in given]
    return render(request, "resources/gifts.html", {**_tabs(request, "gifts"), "rows": rows, "years": years, "year": year,
                                                    "partners": len({g.partner.pk for g in given})})


