"""Who may do what in a round. Every service calls one of these before it writes."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from shanlian.charity.models import CommunityFund
from shanlian.core.errors import PermissionDenied, lazy_format
from shanlian.core.scoping import Role, Scope
from shanlian.people.models import Person
from shanlian.people.selectors import signed_in_scope

from .models import GrantRound

scope_of = signed_in_scope


def is_round_staff(scope: Scope, round: GrantRound) -> bool:
    """Who runs a round: the area's administrators and street officers, the fund's station staff, and the finance
    officers of the federation holding the fund."""
    fund = round.fund
    if scope.is_superuser:
        return True
    if scope.has(Role.FEDERATION_FINANCE) and fund.custodian_id in scope.organization_ids:
        return True
    if fund.station_id is not None and scope.is_station_staff(fund.station_id):
        return True
    return scope.has(Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.STREET_OFFICER) and scope.covers_path(
        fund.division.path, scope.admin_paths + scope.people_paths)


def require_round_admin(actor: Any, fund: CommunityFund) -> None:
    """Setting up, opening and closing a round (its budget is the fund's money): the custodian's finance officers,
    or administrators of the fund's area."""
    scope = scope_of(actor)
    if scope.is_superuser or (scope.has(Role.FEDERATION_FINANCE) and fund.custodian_id in scope.organization_ids):
        return
    if scope.has(Role.CITY_ADMIN, Role.DISTRICT_ADMIN) and scope.covers_path(fund.division.path, scope.admin_paths):
        return
    raise PermissionDenied("not_round_admin", _("Only the fund's custodian or the area's administrators may set up rounds."))


def require_round_staff(actor: Any, round: GrantRound) -> Scope:
    scope = scope_of(actor)
    if not is_round_staff(scope, round):
        raise PermissionDenied("not_round_staff", _("Only the staff running this round may do this."))
    return scope


def is_applicant_for(scope: Scope, organization_id: int) -> bool:
    """Who proposes for an organization: its managers (a community group's, or an agency's)."""
    return scope.is_superuser or (scope.has(Role.ORG_MANAGER, Role.AGENCY_MANAGER) and organization_id in scope.organization_ids)


def require_applicant_for(actor: Any, organization_id: int) -> Scope:
    scope = scope_of(actor)
    if not is_applicant_for(scope, organization_id):
        raise PermissionDenied("not_applicant", _("Only a manager of the organization may propose or change its proposals."))
    return scope


def require_expert(actor: Any) -> Scope:
    scope = scope_of(actor)
    if not (scope.is_superuser or scope.has(Role.EXPERT)):
        raise PermissionDenied("not_expert", _("Only experts review proposals."))
    return scope


def require_in_area(person: Person, round: GrantRound) -> Person:
    """The one rule for who takes part in a round as a resident (names needs, supports them, votes): their community
    on record lies within the round's area."""
    if not person.division.path.startswith(round.area.path):
        raise PermissionDenied("not_in_area", lazy_format(
            _("Only residents of %(area)s may take part in this round."), {"area": round.area.name}))
    return person


def require_resident(actor: Any, round: GrantRound, *, lock: bool = False) -> Person:
    """The actor's person (locked until the transaction ends with `lock`), a resident of the round's area."""
    scope = scope_of(actor)
    rows = Person.objects.select_related("division")
    if lock:
        rows = rows.select_for_update(of=("self",))
    person = rows.filter(pk=scope.person_id).first() if scope.person_id is not None else None
    if person is None:
        raise PermissionDenied("not_a_resident", _("Only residents on record take part; ask your community's station to add you."))
    return require_in_area(person, round)
