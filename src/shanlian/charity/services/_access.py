"""Who may do what with charity money. Every service calls one of these before it writes."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from shanlian.core.errors import PermissionDenied
from shanlian.core.scoping import Role, Scope
from shanlian.people.selectors import signed_in_scope

from ..models import CommunityFund

scope_of = signed_in_scope


def is_custodian_finance(scope: Scope, fund: CommunityFund) -> bool:
    return scope.is_superuser or (scope.has(Role.FEDERATION_FINANCE) and fund.custodian_id in scope.organization_ids)


def is_fund_raiser(scope: Scope, fund: CommunityFund) -> bool:
    """The station side of a fund: its station's workers and agency, or the street it belongs to."""
    if scope.is_superuser:
        return True
    if fund.station_id is not None and fund.station_id in scope.station_ids and scope.has(Role.STATION_WORKER, Role.AGENCY_MANAGER):
        return True
    return scope.has(Role.STATION_WORKER, Role.AGENCY_MANAGER, Role.STREET_OFFICER) and scope.covers_path(
        fund.division.path, scope.people_paths
    )


def require_custodian_finance(actor: Any, fund: CommunityFund) -> Scope:
    scope = scope_of(actor)
    if not is_custodian_finance(scope, fund):
        raise PermissionDenied("not_custodian_finance", _("Only a finance officer of the fund's custodian federation may do this."))
    return scope


def require_fund_raiser(actor: Any, fund: CommunityFund) -> Scope:
    scope = scope_of(actor)
    if not (is_fund_raiser(scope, fund) or is_custodian_finance(scope, fund)):
        raise PermissionDenied("not_fund_staff", _("You do not work for this fund's station or its custodian."))
    return scope


def require_fund_admin(actor: Any, *, division_path: str, custodian_id: int) -> Scope:
    """Opening funds and campaigns: the custodian's finance officers, or admins of the area."""
    scope = scope_of(actor)
    if scope.is_superuser:
        return scope
    if scope.has(Role.FEDERATION_FINANCE) and custodian_id in scope.organization_ids:
        return scope
    if scope.has(Role.CITY_ADMIN, Role.DISTRICT_ADMIN) and scope.covers_path(division_path, scope.admin_paths):
        return scope
    raise PermissionDenied("not_fund_admin", _("Only the custodian's finance officers or the area's administrators may do this."))
