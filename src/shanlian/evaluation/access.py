"""Who may do what with frameworks. Every service calls one of these before it writes; selectors read with them."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from shanlian.core.errors import PermissionDenied
from shanlian.core.scoping import Role, Scope
from shanlian.people.models import RoleGrant
from shanlian.people.selectors import signed_in_scope
from shanlian.places.models import Division

ADMIN_ROLES = (Role.CITY_ADMIN, Role.DISTRICT_ADMIN)


def is_framework_admin(scope: Scope, region: Division) -> bool:
    """A region's frameworks are written by its administrators (the city's by the city's, a district's by the city's
    or the district's)."""
    return scope.is_superuser or (scope.has(*ADMIN_ROLES) and scope.covers_path(region.path, scope.admin_paths))


def require_framework_admin(actor: Any, region: Division) -> Scope:
    scope = signed_in_scope(actor)
    if not is_framework_admin(scope, region):
        raise PermissionDenied("not_framework_admin", _("Only the region's civil-affairs administrators manage its frameworks."))
    return scope


ORG_ROLES = (Role.ORG_MANAGER, Role.AGENCY_MANAGER)


def is_org_representative(scope: Scope, organization_id: int) -> bool:
    """Who speaks for an organization in its evaluation: its managers."""
    return scope.is_superuser or (scope.has(*ORG_ROLES) and organization_id in scope.organization_ids)


def require_org_representative(actor: Any, organization_id: int) -> Scope:
    scope = signed_in_scope(actor)
    if not is_org_representative(scope, organization_id):
        raise PermissionDenied("not_org_representative", _("Only the organization's managers assess it."))
    return scope


def require_committee(actor: Any, region: Division) -> Scope:
    """A call is run, and its grades decided, by the region's civil-affairs administrators (the evaluation committee
    acts through them)."""
    scope = signed_in_scope(actor)
    if not is_framework_admin(scope, region):
        raise PermissionDenied("not_evaluation_committee", _("Only the region's civil-affairs administrators run its evaluations."))
    return scope


def require_expert(actor: Any) -> Scope:
    scope = signed_in_scope(actor)
    if not (scope.is_superuser or scope.has(Role.EXPERT)):
        raise PermissionDenied("not_expert", _("Only experts review assessments."))
    return scope


def purchaser_officers(station: Any) -> list[int]:
    """The users who speak for a station's purchaser: the street officers of its street (an active grant)."""
    return list(RoleGrant.objects.filter(role=Role.STREET_OFFICER, division_id=station.street_id, revoked_at__isnull=True,
                                         user__is_active=True).values_list("user_id", flat=True).order_by("user_id"))


def require_purchaser(actor: Any, station: Any) -> Scope:
    scope = signed_in_scope(actor)
    if not (scope.is_superuser or actor.pk in purchaser_officers(station)):
        raise PermissionDenied("not_purchaser", _("Only the street officers of the station's street give the purchaser's evaluation."))
    return scope
