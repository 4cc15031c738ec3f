"""Who may do what in the resource hub: one predicate per rule, used by the services before they write, by the
selectors to scope what they read, and by the menu.

- Area officers (city and district administrators, street officers) see the needs in their area and the offers that
  serve it (inside it, or from a division containing it), register partners and offers there, and run matching.
- A station's staff (its social workers, the managers of its agency) register the station's needs and confirm what it
  receives; they see the offers serving their street and register partners and offers there (for firms and
  departments whose people do not sign in).
- An organization's managers register their organization's offers (as a partner linked to it) and its own needs.
- A partner's own staff (an active `PartnerMember`, added by those who manage the partner) act for that partner
  alone: its offers, their matches and deliveries, what it gave. They see a need only as the partner pages show it
  (`need_shown_to_partner`), never a beneficiary's name.
"""

from __future__ import annotations

from django.db.models import Q

from shanlian.core.scoping import Role, Scope
from shanlian.places.models import Division

from .models import Need, Partner, PartnerMember, SourceKind

AREA_OFFICERS = (Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.STREET_OFFICER)
STATION_STAFF = (Role.STATION_WORKER, Role.AGENCY_MANAGER)
ORG_ROLES = (Role.ORG_MANAGER, Role.AGENCY_MANAGER)
CATEGORY_ADMINS = (Role.CITY_ADMIN, Role.DISTRICT_ADMIN)


def ancestors(path: str) -> list[str]:
    """"/1/4/17/" → ["/1/", "/1/4/", "/1/4/17/"]: the divisions containing it, itself included."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def may_open_hub(scope: Scope) -> bool:
    return scope.is_superuser or scope.has(*AREA_OFFICERS, *STATION_STAFF, Role.ORG_MANAGER)


def may_match(scope: Scope) -> bool:
    return scope.is_superuser or scope.has(*AREA_OFFICERS)


def may_manage_categories(scope: Scope) -> bool:
    return scope.is_superuser or scope.has(*CATEGORY_ADMINS)


def _area_staff(scope: Scope) -> bool:
    return scope.has(*AREA_OFFICERS, *STATION_STAFF)


def serves_area_q(scope: Scope, lookup: str = "division__path") -> Q:
    """Rows (offers, partners) whose division lies inside the actor's area or contains part of it."""
    q = Q(pk__in=[])
    if _area_staff(scope):
        for path in scope.area_paths:
            q |= Q(**{f"{lookup}__startswith": path}) | Q(**{f"{lookup}__in": ancestors(path)})
    return q


def covers_or_inside(scope: Scope, division: Division) -> bool:
    return scope.is_superuser or (_area_staff(scope) and any(
        division.path.startswith(p) or p.startswith(division.path) for p in scope.area_paths))


def may_manage_partner(scope: Scope, partner: Partner) -> bool:
    """Registers the partner's offers: area staff where it is based, or its organization's managers."""
    if scope.is_superuser:
        return True
    if partner.organization_id is not None and scope.has(*ORG_ROLES) and partner.organization_id in scope.organization_ids:
        return True
    return _area_staff(scope) and scope.covers_path(partner.division.path, scope.area_paths)


def may_register_partner_in(scope: Scope, division: Division) -> bool:
    return scope.is_superuser or (_area_staff(scope) and scope.covers_path(division.path, scope.area_paths))


def may_receive(scope: Scope, need: Need) -> bool:
    """The receiver: the need's station's staff, or its organization's managers."""
    if scope.is_superuser:
        return True
    if need.station_id is not None:
        return scope.is_station_staff(need.station_id)
    return scope.has(*ORG_ROLES) and need.organization_id in scope.organization_ids


def oversees_need(scope: Scope, need: Need) -> bool:
    """An area officer whose area holds the need: matches it, cancels its matches."""
    return scope.is_superuser or (scope.has(*AREA_OFFICERS) and scope.covers_path(need.division.path, scope.area_paths))


def needs_q(scope: Scope) -> Q:
    """The needs an actor sees: officers' area, stations' own, organizations' own."""
    if scope.is_superuser:
        return Q()
    q = Q(pk__in=[])
    if scope.has(*AREA_OFFICERS):
        q |= scope.path_q("division__path", scope.area_paths)
    if scope.has(*STATION_STAFF):
        q |= Q(station_id__in=scope.station_ids)
    if scope.has(*ORG_ROLES):
        q |= Q(organization_id__in=scope.organization_ids)
    return q


def offers_q(scope: Scope) -> Q:
    """The offers an actor sees: those serving the area of area staff, and an organization's own."""
    if scope.is_superuser:
        return Q()
    q = serves_area_q(scope)
    if scope.has(*ORG_ROLES):
        q |= Q(partner__organization_id__in=scope.organization_ids)
    return q


def partners_q(scope: Scope) -> Q:
    if scope.is_superuser:
        return Q()
    q = serves_area_q(scope)
    if scope.has(*ORG_ROLES):
        q |= Q(organization_id__in=scope.organization_ids)
    return q


# -- a partner's own staff -----------------------------------------------------------------------------------------

def member_partner_ids(scope: Scope) -> list[int]:
    """The partners the actor is an active member of (one indexed query)."""
    if scope.person_id is None:
        return []
    return list(PartnerMember.objects.filter(person_id=scope.person_id, active=True).values_list("partner_id", flat=True))


def is_partner_member(scope: Scope) -> bool:
    """Opens the partner pages ("我的资源"): the menu's predicate."""
    return scope.person_id is not None and PartnerMember.objects.filter(person_id=scope.person_id, active=True).exists()


def acts_as_member(scope: Scope, partner: Partner) -> bool:
    return scope.is_superuser or (scope.person_id is not None and PartnerMember.objects.filter(
        person_id=scope.person_id, partner_id=partner.pk, active=True).exists())


def may_act_for_partner(scope: Scope, partner: Partner) -> bool:
    """Registers, edits and withdraws the partner's offers and records its deliveries: those who manage the partner,
    or its own staff."""
    return may_manage_partner(scope, partner) or acts_as_member(scope, partner)


def may_offer_in(scope: Scope, partner: Partner, division: Division) -> bool:
    """Where an offer may serve: inside or containing the actor's area (area staff), anywhere for an organization's
    own managers, and inside or containing the partner's base for its own staff."""
    if covers_or_inside(scope, division):
        return True
    if partner.organization_id is not None and partner.organization_id in scope.organization_ids:
        return True
    base = partner.division.path
    return (division.path.startswith(base) or base.startswith(division.path)) and acts_as_member(scope, partner)


def need_shown_to_partner(need: Need) -> tuple[str, str]:
    """(title, description) of a need as a partner's staff see it. A need raised from a case or a micro-wish may name
    the beneficiary in its words, so it is shown by its category and area only; a need a station typed for partners
    is shown as typed."""
    if need.source_kind != SourceKind.NONE:
        return f"{need.category.name} · {need.division.name}", ""
    return need.title, need.description
