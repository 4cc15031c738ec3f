"""Who may open the organization directory and the stations: one predicate each, used by the views and the menus."""

from django.utils.translation import gettext_lazy as _

from shanlian.core.navigation import Page
from shanlian.core.scoping import Role, Scope


def may_list_organizations(scope: Scope) -> bool:
    """Staff of an area, federation finance and experts (who score organizations) work with the directory."""
    return scope.is_staff_role or scope.has(Role.EXPERT)


def may_list_stations(scope: Scope) -> bool:
    return scope.is_staff_role


PAGES = [
    Page("orgs:organization_list", _("Organizations"), may_list_organizations, "orgs:organization", 20, group="oversight"),
    Page("orgs:station_list", _("Stations"), may_list_stations, "orgs:station", 30, group="oversight"),
]
