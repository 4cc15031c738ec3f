"""Who may do what with frameworks. Every service calls one of these before it writes; selectors read with them."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from shanlian.core.errors import PermissionDenied
from shanlian.core.scoping import Role, Scope
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
