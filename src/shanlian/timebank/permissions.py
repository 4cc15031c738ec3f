"""Who may open the time bank's pages: one predicate each, used by the views and the menus."""

from django.utils.translation import gettext_lazy as _

from shanlian.core.navigation import Page
from shanlian.core.scoping import AREA_ROLES, Role, Scope

ORGANIZER_ROLES = (Role.STATION_WORKER, Role.AGENCY_MANAGER)
READER_ROLES = (Role.STREET_OFFICER, Role.DISTRICT_ADMIN, Role.CITY_ADMIN)


def may_organize(scope: Scope) -> bool:
    """A station's social workers and its agency's managers publish activities and approve hours."""
    return scope.is_superuser or scope.has(*ORGANIZER_ROLES)


def may_read_stations(scope: Scope) -> bool:
    """Organizers and the area's officers read stations' time-bank figures."""
    return scope.is_superuser or scope.has(*ORGANIZER_ROLES, *READER_ROLES)


def reads_only(scope: Scope) -> bool:
    return may_read_stations(scope) and not may_organize(scope)


def volunteers_here(scope: Scope) -> bool:
    """A resident's own time bank (register, quiz, sign up, hours, credits): in the menu of residents."""
    return scope.user_id is not None and not (scope.is_superuser or scope.roles & AREA_ROLES)


PAGES = [
    Page("timebank:manage_activities", _("Time bank"), may_organize, "timebank:manage", 70, group="services"),
    Page("timebank:manage_stations", _("Time bank"), reads_only, "timebank:manage", 70, group="services"),
    Page("timebank:home", _("Time bank"), volunteers_here, "timebank:", 70),
]
