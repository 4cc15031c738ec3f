"""Every write of the resource hub: partners and categories, offers and needs, committing matches, deliveries and the
receiver's confirmation. Quantities are conserved: an offer's and a need's `committed` are the sums of their live
matches' `committed`, and each match's committed = delivered + outstanding (the database checks the second and the
bounds; the services keep the first, under row locks, offers and needs locked in id order)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log
from shanlian.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, field_error, lazy_format
from shanlian.core.inputs import Checks, date_window, decimal_in, model_text
from shanlian.core.scoping import Scope
from shanlian.orgs.models import Organization, Station
from shanlian.people.selectors import signed_in_scope
from shanlian.places.models import Division

from . import access
from .matching import fit, reason
from .models import (
    Category,
    Delivery,
    Match,
    Need,
    NeedStatus,
    Offer,
    OfferStatus,
    Partner,
    PartnerKind,
    ResourceKind,
    SourceKind,
)
from .quantities import quantity_in
from .selectors import need_in, offer_in

MONEY_UNIT = "元"
BATCH_MAX = 2000  # matches committed in one go
MATCH_NOT_FOUND = _("An offer or a need of the list is not found, or not within your scope.")


def _scope(actor: Any) -> Scope:
    return signed_in_scope(actor)


# -- categories and partners -----------------------------------------------------------------------------------------

@transaction.atomic
def category_create(*, actor: Any, name: str, kind: str, unit: str = "") -> Category:
    scope = _scope(actor)
    if not access.may_manage_categories(scope):
        raise PermissionDenied("not_category_admin", _("Only city and district administrators keep the categories."))
    checks = Checks()
    name = checks(model_text, Category, "name", name, required=True)
    if kind not in ResourceKind.values:
        checks.failed.append(field_error("kind", "invalid_choice", _("Choose a kind of resource.")))
    unit = MONEY_UNIT if kind == ResourceKind.MONEY else checks(model_text, Category, "unit", unit, required=True)
    checks.done()
    existing = Category.objects.filter(name=name).first()
    if existing is not None:
        if (existing.kind, existing.unit) == (kind, unit):
            return existing
        raise field_error("name", "category_exists", _("A category of this name exists with another kind or unit."))
    made = Category.objects.create(name=name, kind=kind, unit=unit)
    audit_log(actor=actor, action="resources.category_create", obj=made, after={"name": name, "kind": kind, "unit": unit})
    return made


@transaction.atomic
def partner_register(*, actor: Any, name: str, kind: str, division: Division, organization: Organization | None = None,
                     contact: str = "") -> Partner:
    """A partner based in the actor's area; an organization's managers register their organization (kind
    `organization`, based where it is registered). The same name in the same division is the same partner: registered
    once, returned again."""
    scope = _scope(actor)
    checks = Checks()
    name = organization.name if organization is not None else checks(model_text, Partner, "name", name, required=True)
    contact = checks(model_text, Partner, "contact", contact)
    if kind not in PartnerKind.values:
        checks.failed.append(field_error("kind", "invalid_choice", _("Choose the kind of partner.")))
    checks.done()
    if organization is not None:
        kind, division, name = PartnerKind.ORGANIZATION, organization.division, organization.name
        own = scope.has(*access.ORG_ROLES) and organization.pk in scope.organization_ids
        if not (own or access.may_register_partner_in(scope, division)):
            raise PermissionDenied("not_partner_manager", _("Only the organization's managers or its area's staff register it."))
        found = Partner.objects.filter(organization=organization).first()
        if found is not None:
            return found
    elif not access.may_register_partner_in(scope, division):
        raise PermissionDenied("not_partner_manager", _("Register partners based in your own area."))
    found = Partner.objects.filter(division=division, name=name).first()
    if found is not None:
        if found.kind != kind or found.organization_id != (organization.pk if organization else None):
            raise field_error("name", "partner_exists", _("Another partner of this name is registered in this division."))
        return found
    made = Partner.objects.create(name=name, kind=kind, division=division, organization=organization, contact=contact,
                                  created_by=actor)
    audit_log(actor=actor, action="resources.partner_register", obj=made,
              after={"name": name, "kind": kind, "division": division.pk})
    return made


# -- offers and needs ------------------------------------------------------------------------------------------------

def _point(checks: Checks, latitude: Any, longitude: Any) -> tuple[Decimal | None, Decimal | None]:
    if latitude in (None, "") and longitude in (None, ""):
        return None, None
    if latitude in (None, "") or longitude in (None, ""):
        checks.failed.append(field_error("latitude", "point_incomplete", _("Give both the latitude and the longitude, or neither.")))
        return None, None
    lat = checks(decimal_in, latitude, field="latitude", places=6, minimum=-90, maximum=90)
    lon = checks(decimal_in, longitude, field="longitude", places=6, minimum=-180, maximum=180)
    return lat, lon


def _dates(checks: Checks, first: Any, last: Any, *, first_field: str, last_field: str) -> None:
    if first is not None:
        checks(date_window, first, field=first_field)
    if last is not None:
        checks(date_window, last, field=last_field)
        if first is not None and last < first:
            checks.failed.append(field_error(last_field, "dates_reversed", _("The last day comes before the first.")))


def _check_offer_actor(scope: Scope, partner: Partner, division: Division) -> None:
    """Who registers or edits a partner's offers, and where they may serve (access.may_offer_in)."""
    if not access.may_act_for_partner(scope, partner):
        raise PermissionDenied("not_partner_manager",
                               _("Only the partner's own staff, its organization or its area's staff keep its offers."))
    if not access.may_offer_in(scope, partner, division):
        raise field_error("division", "division_out_of_area", _("Choose an area inside your own, or one containing it."))


def _offer_fields(checks: Checks, title: Any, description: Any, quantity: Any, category: Category, latitude: Any,
                  longitude: Any, reach_km: Any, available_from: Any, available_until: Any) -> tuple[Any, Any, Any, Any]:
    """An offer's fields, checked the same way on registering and on editing."""
    title = checks(model_text, Offer, "title", title, required=True)
    description = checks(model_text, Offer, "description", description)
    steps = checks(quantity_in, quantity, kind=category.kind)
    point = _point(checks, latitude, longitude)
    if reach_km is not None:
        checks(decimal_in, reach_km, field="reach_km", places=0, minimum=1, maximum=200)
        if point[0] is None:
            checks.failed.append(field_error("reach_km", "reach_needs_point", _("A reach needs the offer's location.")))
    _dates(checks, available_from, available_until, first_field="available_from", last_field="available_until")
    return title, description, steps, point


@transaction.atomic
def offer_register(*, actor: Any, partner: Partner, category: Category, title: str, quantity: Any, division: Division,
                   available_from: dt.date, available_until: dt.date | None = None, description: str = "",
                   latitude: Any = None, longitude: Any = None, reach_km: int | None = None) -> Offer:
    scope = _scope(actor)
    _check_offer_actor(scope, partner, division)
    checks = Checks()
    title, description, steps, (lat, lon) = _offer_fields(checks, title, description, quantity, category, latitude, longitude,
                                                          reach_km, available_from, available_until)
    checks.done()
    made = Offer.objects.create(partner=partner, category=category, kind=category.kind, title=title, description=description,
                                quantity=steps, division=division, latitude=lat, longitude=lon, reach_km=reach_km,
                                available_from=available_from, available_until=available_until, created_by=actor)
    audit_log(actor=actor, action="resources.offer_register", obj=made,
              after={"partner": partner.pk, "category": category.pk, "quantity": steps, "division": division.pk})
    return made


@transaction.atomic
def offer_withdraw(*, actor: Any, offer: Offer) -> Offer:
    """No more matches; what is committed stays committed (cancel a match to release it)."""
    scope = _scope(actor)
    locked = Offer.objects.select_for_update().select_related("partner__division").get(pk=offer.pk)
    if not access.may_act_for_partner(scope, locked.partner):
        raise PermissionDenied("not_partner_manager",
                               _("Only the partner's own staff, its organization or its area's staff change its offers."))
    if locked.status == OfferStatus.WITHDRAWN:
        return locked
    locked.status = OfferStatus.WITHDRAWN
    locked.version += 1
    locked.save(update_fields=["status", "version"])
    audit_log(actor=actor, action="resources.offer_withdraw", obj=locked, after={"status": locked.status})
    return locked


@transaction.atomic
def offer_update(*, actor: Any, offer: Offer, version: int, title: str, quantity: Any, division: Division,
                 available_from: dt.date, available_until: dt.date | None = None, description: str = "",
                 latitude: Any = None, longitude: Any = None, reach_km: int | None = None) -> Offer:
    """An edit of an open offer, naming the version it was read at: a stale edit is refused (`stale_offer`), never
    silently lost. Once part is committed, only its words and its quantity change (`offer_committed`), and the
    quantity never falls below what is committed (`below_committed`): the matches were made on the rest."""
    scope = _scope(actor)
    locked = Offer.objects.select_for_update().get(pk=offer.pk)
    partner = Partner.objects.select_related("division").get(pk=locked.partner_id)
    category = Category.objects.get(pk=locked.category_id)
    _check_offer_actor(scope, partner, division)
    if locked.version != version:
        raise Conflict("stale_offer", _("Someone changed this offer since you opened it: reload it and make your change again."))
    if locked.status != OfferStatus.OPEN:
        raise Conflict("offer_withdrawn", lazy_format(_("The offer “%(offer)s” is withdrawn."), {"offer": locked.title}))
    checks = Checks()
    title, description, steps, (lat, lon) = _offer_fields(checks, title, description, quantity, category, latitude, longitude,
                                                          reach_km, available_from, available_until)
    checks.done()
    if steps < locked.committed:
        raise field_error("quantity", "below_committed", lazy_format(
            _("%(committed)s is already committed: the quantity cannot be less."), {"committed": _shown(locked.committed, locked)}))
    where = (division.pk, available_from, available_until, lat, lon, reach_km)
    if locked.committed and where != (locked.division_id, locked.available_from, locked.available_until, locked.latitude,
                                      locked.longitude, locked.reach_km):
        raise Conflict("offer_committed", _("Part of this offer is committed: only its title, description and quantity change now."))
    before = {"title": locked.title, "quantity": locked.quantity, "division": locked.division_id, "version": locked.version}
    locked.title, locked.description, locked.quantity, locked.division = title, description, steps, division
    locked.available_from, locked.available_until, locked.latitude, locked.longitude = available_from, available_until, lat, lon
    locked.reach_km = reach_km
    locked.version += 1
    locked.full_clean(exclude=["partner", "category", "created_by"])
    locked.save(update_fields=["title", "description", "quantity", "division", "available_from", "available_until", "latitude",
                               "longitude", "reach_km", "version"])
    audit_log(actor=actor, action="resources.offer_update", obj=locked, before=before,
              after={"title": title, "quantity": steps, "division": division.pk, "version": locked.version})
    return locked


@transaction.atomic
def need_register(*, actor: Any, category: Category, title: str, quantity: Any, division: Division, needed_by: dt.date,
                  station: Station | None = None, organization: Organization | None = None, description: str = "",
                  latitude: Any = None, longitude: Any = None, source_kind: str = "", source_id: int | None = None) -> Need:
    """A station's need (its staff register it, in its street) or an organization's (its managers, in its area).
    `source_kind`/`source_id` name the case or micro-wish it came from, for the apps that raise needs."""
    scope = _scope(actor)
    if (station is None) == (organization is None):
        raise field_error("station", "one_owner", _("A need belongs to one station or one organization."))
    if station is not None:
        if not scope.is_station_staff(station.pk):
            raise PermissionDenied("not_station_staff", _("Only the station's own staff register its needs."))
        home = station.street
    else:
        assert organization is not None
        if not (scope.is_superuser or (scope.has(*access.ORG_ROLES) and organization.pk in scope.organization_ids)):
            raise PermissionDenied("not_org_manager", _("Only the organization's managers register its needs."))
        home = organization.division
    checks = Checks()
    if not division.path.startswith(home.path):
        checks.failed.append(field_error("division", "division_out_of_area", lazy_format(
            _("Choose an area within %(home)s."), {"home": home.name})))
    title = checks(model_text, Need, "title", title, required=True)
    description = checks(model_text, Need, "description", description)
    steps = checks(quantity_in, quantity, kind=category.kind)
    lat, lon = _point(checks, latitude, longitude)
    checks(date_window, needed_by, field="needed_by")
    if needed_by < timezone.localdate():
        checks.failed.append(field_error("needed_by", "date_past", _("The date a need is needed by cannot be past.")))
    if source_kind not in SourceKind.values or (source_kind == "") != (source_id is None):
        checks.failed.append(field_error("source_kind", "invalid_source", _("Name the need's source by its kind and id, or neither.")))
    checks.done()
    made = Need.objects.create(station=station, organization=organization, category=category, kind=category.kind, title=title,
                               description=description, quantity=steps, division=division, latitude=lat, longitude=lon,
                               needed_by=needed_by, source_kind=source_kind, source_id=source_id, created_by=actor)
    audit_log(actor=actor, action="resources.need_register", obj=made,
              after={"category": category.pk, "quantity": steps, "division": division.pk, "needed_by": needed_by.isoformat()})
    return made


@transaction.atomic
def need_close(*, actor: Any, need: Need) -> Need:
    """The receiver needs no more matches (what is committed stays)."""
    scope = _scope(actor)
    locked = Need.objects.select_for_update().select_related("division").get(pk=need.pk)
    if not (access.may_receive(scope, locked) or access.oversees_need(scope, locked)):
        raise PermissionDenied("not_receiver", _("Only the need's station or organization, or its area's officers, close it."))
    if locked.status == NeedStatus.CLOSED:
        return locked
    locked.status = NeedStatus.CLOSED
    locked.save(update_fields=["status"])
    audit_log(actor=actor, action="resources.need_close", obj=locked, after={"status": locked.status})
    return locked


# -- committing matches ----------------------------------------------------------------------------------------------

def _chosen(choices: Iterable[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    out = list(choices)
    if not out:
        raise field_error("matches", "nothing_chosen", _("Choose at least one match to commit."))
    if len(out) > BATCH_MAX:
        raise field_error("matches", "too_many", lazy_format(_("At most %(max)s matches at a time."), {"max": BATCH_MAX}))
    pairs = [(o, n) for o, n, _q in out]
    if len(set(pairs)) != len(pairs):
        raise field_error("matches", "duplicate_pair", _("The same offer and need are chosen twice."))
    for _o, _n, q in out:
        if not isinstance(q, int) or isinstance(q, bool) or q <= 0:
            raise field_error("quantity", "quantity_not_positive", _("A match commits a quantity above zero."))
    return out


@transaction.atomic
def matches_commit(*, actor: Any, choices: Sequence[tuple[int, int, int]], today: dt.date | None = None) -> list[Match]:
    """Commit (offer id, need id, quantity in steps) triples, all or none: each pair must still fit (category, area or
    distance, dates), the offers must have that much left and the needs still lack that much. Offers, then needs, are
    locked in id order, so two officers committing at once wait for each other instead of overcommitting."""
    scope = _scope(actor)
    if not access.may_match(scope):
        raise PermissionDenied("not_matcher", _("Only district and street officers commit matches."))
    chosen = _chosen(choices)
    today = today or timezone.localdate()
    offer_ids = sorted({o for o, _n, _q in chosen})
    need_ids = sorted({n for _o, n, _q in chosen})
    offers = {o.pk: o for o in Offer.objects.select_for_update().filter(access.offers_q(scope), pk__in=offer_ids)
              .select_related("division", "category").order_by("pk")}
    needs = {n.pk: n for n in Need.objects.select_for_update().filter(pk__in=need_ids).select_related(
        "division", "category").order_by("pk")}
    if set(offers) != set(offer_ids) or set(needs) != set(need_ids) or not all(
            access.oversees_need(scope, n) for n in needs.values()):
        raise NotFound("not_found", MATCH_NOT_FOUND)
    live = set(Match.objects.filter(offer_id__in=offer_ids, need_id__in=need_ids, cancelled=False)
               .values_list("offer_id", "need_id"))
    made: list[Match] = []
    for offer_id, need_id, quantity in chosen:
        offer, need = offers[offer_id], needs[need_id]
        _check_pair(offer, need, quantity, today, live)
        found = fit(offer_in(offer), need_in(need), today)
        assert found is not None
        with translation.override("zh-hans"):  # the reason kept with the match, in the language of the records
            why = reason(found, category=offer.category.name, offer_area=offer.division.name, need_area=need.division.name,
                         needed_by=need.needed_by)
        offer.committed += quantity
        need.committed += quantity
        made.append(Match(offer=offer, need=need, committed=quantity, outstanding=quantity, reason=why[:300],
                          distance_km=found.distance_km, committed_by=actor))
    try:
        with transaction.atomic():
            Match.objects.bulk_create(made)
    except IntegrityError:  # a live match of the pair committed meanwhile (checked above under the locks; belt and braces)
        raise Conflict("already_matched", _("One of these offers is already matched to that need.")) from None
    Offer.objects.bulk_update(list(offers.values()), ["committed"])
    Need.objects.bulk_update(list(needs.values()), ["committed"])
    for m in made:
        audit_log(actor=actor, action="resources.match_commit", obj=m,
                  after={"offer": m.offer_id, "need": m.need_id, "committed": m.committed})
    return made


def _check_pair(offer: Offer, need: Need, quantity: int, today: dt.date, live: set[tuple[int, int]]) -> None:
    """One pair's rules, in the order a person fixes them."""
    if offer.status != OfferStatus.OPEN:
        raise Conflict("offer_withdrawn", lazy_format(_("The offer “%(offer)s” is withdrawn."), {"offer": offer.title}))
    if need.status != NeedStatus.OPEN:
        raise Conflict("need_closed", lazy_format(_("The need “%(need)s” is closed."), {"need": need.title}))
    if (offer.pk, need.pk) in live:
        raise Conflict("already_matched", lazy_format(
            _("“%(offer)s” is already matched to “%(need)s”: change that match instead."), {"offer": offer.title, "need": need.title}))
    if fit(offer_in(offer), need_in(need), today) is None:
        raise Conflict("pair_not_eligible", lazy_format(
            _("“%(offer)s” cannot serve “%(need)s”: category, area or dates do not fit."), {"offer": offer.title, "need": need.title}))
    if quantity > offer.remaining:
        raise Conflict("offer_exceeded", lazy_format(
            _("“%(offer)s” has only %(left)s left to commit."), {"offer": offer.title, "left": _shown(offer.remaining, offer)}))
    if quantity > need.remaining:
        raise Conflict("need_exceeded", lazy_format(
            _("“%(need)s” lacks only %(left)s."), {"need": need.title, "left": _shown(need.remaining, need)}))


def _shown(steps: int, row: Offer | Need) -> str:
    from .quantities import quantity_text

    return quantity_text(steps, row.kind, row.category.unit)


@transaction.atomic
def match_cancel(*, actor: Any, match: Match) -> Match:
    """Release what is not delivered: the offer has it again, the need lacks it again; what was delivered stays."""
    scope = _scope(actor)
    locked = Match.objects.select_for_update().select_related("need__division").get(pk=match.pk)
    if not access.oversees_need(scope, locked.need):
        raise PermissionDenied("not_matcher", _("Only the area's officers cancel its matches."))
    if locked.cancelled:
        return locked
    released = locked.outstanding
    Offer.objects.select_for_update().filter(pk=locked.offer_id).update(committed=F("committed") - released)
    Need.objects.select_for_update().filter(pk=locked.need_id).update(committed=F("committed") - released)
    locked.committed -= released
    locked.outstanding = 0
    locked.cancelled = True
    locked.save(update_fields=["committed", "outstanding", "cancelled"])
    audit_log(actor=actor, action="resources.match_cancel", obj=locked, after={"released": released})
    return locked


# -- delivering and confirming ---------------------------------------------------------------------------------------

@transaction.atomic
def delivery_record(*, actor: Any, match: Match, quantity: Any, delivered_on: dt.date | None = None, note: str = "") -> Delivery:
    """Part (or all) of what is outstanding, handed over: recorded by the partner's side, the receiver or the area's
    officers. More than is outstanding is refused."""
    scope = _scope(actor)
    locked = Match.objects.select_for_update().select_related(
        "offer__partner__division", "offer__category", "need__division", "need__category").get(pk=match.pk)
    if not (access.may_act_for_partner(scope, locked.offer.partner) or access.may_receive(scope, locked.need)
            or access.oversees_need(scope, locked.need)):
        raise PermissionDenied("not_delivery_party", _("Only the partner's side, the receiver or the area's officers record deliveries."))
    if locked.cancelled:
        raise Conflict("match_cancelled", _("This match is cancelled."))
    checks = Checks()
    steps = checks(quantity_in, quantity, kind=locked.offer.kind)
    day = delivered_on or timezone.localdate()
    checks(date_window, day, field="delivered_on")
    note = checks(model_text, Delivery, "note", note)
    checks.done()
    if day > timezone.localdate():
        raise field_error("delivered_on", "date_future", _("A delivery is recorded once it happened."))
    committed_on = timezone.localdate(locked.committed_at)
    if day < committed_on:
        raise field_error("delivered_on", "before_match", lazy_format(
            _("A delivery cannot be dated before its match was committed (%(day)s)."), {"day": committed_on.isoformat()}))
    if steps > locked.outstanding:
        raise Conflict("over_delivery", lazy_format(_("Only %(left)s is still to deliver on this match."),
                                                    {"left": _shown(locked.outstanding, locked.offer)}))
    locked.delivered += steps
    locked.outstanding -= steps
    locked.save(update_fields=["delivered", "outstanding"])
    made = Delivery.objects.create(match=locked, quantity=steps, delivered_on=day, note=note, recorded_by=actor)
    audit_log(actor=actor, action="resources.delivery_record", obj=made,
              after={"match": locked.pk, "quantity": steps, "delivered_on": day.isoformat()})
    return made


@transaction.atomic
def delivery_confirm(*, actor: Any, delivery: Delivery) -> Delivery:
    """The receiving station (or organization) confirms it received the delivery; a second confirmation is quiet."""
    scope = _scope(actor)
    locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
    match = Match.objects.select_for_update().select_related("need").get(pk=locked.match_id)
    if not access.may_receive(scope, match.need):
        raise PermissionDenied("not_receiver", _("Only the receiving station or organization confirms a delivery."))
    if locked.confirmed_at is not None:
        return locked
    locked.confirmed_at, locked.confirmed_by = timezone.now(), actor
    locked.save(update_fields=["confirmed_at", "confirmed_by"])
    match.confirmed += locked.quantity
    if match.confirmed > match.delivered:  # (the database refuses it too)
        raise ValidationFailed("confirmed_over_delivered", _("More is confirmed than was delivered."))
    match.save(update_fields=["confirmed"])
    audit_log(actor=actor, action="resources.delivery_confirm", obj=locked, after={"match": match.pk, "quantity": locked.quantity})
    return locked


from .services_members import partner_member_add, partner_member_end  # noqa: E402 (the partner's staff, kept apart)

__all__ = ["category_create", "delivery_confirm", "delivery_record", "match_cancel", "matches_commit", "need_close",
           "need_register", "offer_register", "offer_update", "offer_withdraw", "partner_member_add", "partner_member_end",
           "partner_register"]
