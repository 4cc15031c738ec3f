"""Reads of the partner pages ("我的资源"): a partner's own staff see their partner's offers, the matches of those
offers (a need shown as access.need_shown_to_partner shows it), the deliveries and what the partner gave; nothing of
another partner. And, for those who manage a partner, its members."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import access_denied
from shanlian.core.errors import NotFound, PermissionDenied
from shanlian.core.scoping import Scope
from shanlian.people.models import Person
from shanlian.people.selectors import signed_in_scope

from . import access
from .models import Delivery, Match, Offer, Partner, PartnerMember
from .selectors import GiftRow, gift_rows, partner_get


def member_scope(actor: Any) -> Scope:
    scope = signed_in_scope(actor)
    if not (scope.is_superuser or access.is_partner_member(scope)):
        raise PermissionDenied("not_partner_member", _("These pages are for a partner's own staff."))
    return scope


def my_partners(actor: Any) -> list[Partner]:
    """The partners the actor is an active member of, by name."""
    scope = member_scope(actor)
    return list(Partner.objects.filter(pk__in=access.member_partner_ids(scope)).select_related("division").order_by("name", "pk"))


def my_partner(actor: Any, partner_id: int | None = None) -> Partner:
    """One of the actor's partners (the first when none is named); another partner is not found."""
    scope = member_scope(actor)
    qs = Partner.objects.select_related("division", "organization")
    if not scope.is_superuser:
        qs = qs.filter(pk__in=access.member_partner_ids(scope))
    found = (qs.filter(pk=partner_id) if partner_id is not None else qs.order_by("name", "pk")).first()
    if found is None:
        if partner_id is not None and Partner.objects.filter(pk=partner_id).exists():
            access_denied(user_id=scope.user_id, object_type="resources.partner", object_id=partner_id)
        raise NotFound()
    return found


def _mine_q(scope: Scope, lookup: str) -> dict[str, Any]:
    return {} if scope.is_superuser else {f"{lookup}__in": access.member_partner_ids(scope)}


def my_offers(actor: Any, partner: Partner) -> QuerySet[Offer]:
    member_scope(actor)
    return Offer.objects.filter(partner=partner).select_related("partner", "category", "division").order_by("-created_at", "-pk")


def my_offer_get(actor: Any, offer_id: int) -> Offer:
    scope = member_scope(actor)
    found = Offer.objects.filter(pk=offer_id, **_mine_q(scope, "partner_id")).select_related(
        "partner__division", "category", "division").first()
    if found is None:
        if Offer.objects.filter(pk=offer_id).exists():
            access_denied(user_id=scope.user_id, object_type="resources.offer", object_id=offer_id)
        raise NotFound()
    return found


def my_matches(actor: Any, partner: Partner, *, offer_id: int | None = None) -> QuerySet[Match]:
    member_scope(actor)
    qs = Match.objects.filter(offer__partner=partner)
    if offer_id is not None:
        qs = qs.filter(offer_id=offer_id)
    return qs.select_related("offer__partner", "offer__category", "need__category", "need__station", "need__organization",
                             "need__division").order_by("-committed_at", "-pk")


def my_match_get(actor: Any, match_id: int) -> Match:
    scope = member_scope(actor)
    found = Match.objects.filter(pk=match_id, **_mine_q(scope, "offer__partner_id")).select_related(
        "offer__partner__division", "offer__category", "need__category", "need__station", "need__organization",
        "need__division").first()
    if found is None:
        if Match.objects.filter(pk=match_id).exists():
            access_denied(user_id=scope.user_id, object_type="resources.match", object_id=match_id)
        raise NotFound()
    return found


def my_gifts(actor: Any, partner: Partner, year: int) -> list[GiftRow]:
    """What the partner delivered in `year`, per category: the same sum as the hub's (selectors.gift_rows)."""
    member_scope(actor)
    return gift_rows(Delivery.objects.filter(delivered_on__year=year, match__offer__partner=partner))


def my_gift_years(partner: Partner) -> list[int]:
    from django.utils import timezone

    this = timezone.localdate().year
    first = (Delivery.objects.filter(match__offer__partner=partner).order_by("delivered_on")
             .values_list("delivered_on", flat=True).first())
    stop = min(first.year, this) if first else this
    return list(range(this, stop - 1, -1))


# -- members, for those who manage the partner -------------------------------------------------------------------

def partner_managed_get(actor: Any, partner_id: int) -> Partner:
    """A partner the actor sees in the hub (selectors.partner_get); its members are kept by those who manage it."""
    return partner_get(actor, partner_id)


def partner_to_manage(actor: Any, partner_id: int) -> Partner:
    """A partner whose members the actor keeps (access.may_manage_partner), asked before a login is looked up."""
    partner = partner_get(actor, partner_id)
    if not access.may_manage_partner(signed_in_scope(actor), partner):
        raise PermissionDenied("not_partner_manager", _("Only the partner's organization or its area's staff keep its members."))
    return partner


def members_of(actor: Any, partner: Partner) -> list[PartnerMember]:
    partner_get(actor, partner.pk)
    return list(PartnerMember.objects.filter(partner=partner).select_related("person", "person__user").order_by(
        "-active", "added_at", "pk"))


def member_get(actor: Any, partner: Partner, member_id: int) -> PartnerMember:
    partner_get(actor, partner.pk)
    found = PartnerMember.objects.filter(partner=partner, pk=member_id).select_related("person").first()
    if found is None:
        raise NotFound()
    return found


def person_by_login(username: str) -> Person | None:
    """The person signing in as `username`, for adding them to a partner (a login names nobody else)."""
    name = (username or "").strip()[:150]
    if not name:
        return None
    return Person.objects.filter(user__username__iexact=name, user__is_active=True).select_related("user").first()


def member_divisions(partner: Partner, limit: int = 800) -> list[Any]:
    """Where the partner's staff may have an offer serve: the partner's base, what contains it, what is inside it."""
    from django.db.models import Q

    from shanlian.places.models import Division

    base = partner.division.path
    return list(Division.objects.filter(Q(path__startswith=base) | Q(path__in=access.ancestors(base))).order_by("path")[:limit])
