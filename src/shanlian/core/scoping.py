"""Roles and the scope an actor acts in: the shared vocabulary every app's selectors use.

A role is granted over a scope (a division subtree, an organization or a station); `Scope` is the
resolved picture for one user, computed once per request by `people.selectors.actor_scope`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CITY_ADMIN = "city_admin", _("City administrator")
    DISTRICT_ADMIN = "district_admin", _("District administrator")
    STREET_OFFICER = "street_officer", _("Street officer")
    AGENCY_MANAGER = "agency_manager", _("Agency manager")
    ORG_MANAGER = "org_manager", _("Organization manager")  # a community group's or any organization's: proposes for it
    STATION_WORKER = "station_worker", _("Station social worker")
    FEDERATION_FINANCE = "federation_finance", _("Federation finance officer")
    EXPERT = "expert", _("Expert")
    VOLUNTEER = "volunteer", _("Volunteer")
    DONOR = "donor", _("Donor")


class ScopeKind(models.TextChoices):
    DIVISION = "division", _("Division")
    ORGANIZATION = "organization", _("Organization")
    STATION = "station", _("Station")
    SELF = "self", _("Themselves")


# Which kind of scope each role is granted over.
ROLE_SCOPE_KIND: dict[str, str] = {
    Role.CITY_ADMIN: ScopeKind.DIVISION,
    Role.DISTRICT_ADMIN: ScopeKind.DIVISION,
    Role.STREET_OFFICER: ScopeKind.DIVISION,
    Role.AGENCY_MANAGER: ScopeKind.ORGANIZATION,
    Role.ORG_MANAGER: ScopeKind.ORGANIZATION,
    Role.STATION_WORKER: ScopeKind.STATION,
    Role.FEDERATION_FINANCE: ScopeKind.ORGANIZATION,
    Role.EXPERT: ScopeKind.SELF,
    Role.VOLUNTEER: ScopeKind.SELF,
    Role.DONOR: ScopeKind.SELF,
}

# The division level a division-scoped role is granted at.
ROLE_DIVISION_LEVEL: dict[str, str] = {
    Role.CITY_ADMIN: "city",
    Role.DISTRICT_ADMIN: "district",
    Role.STREET_OFFICER: "street",
}

# Roles whose holders work with residents' records in their area.
PEOPLE_ROLES = frozenset(
    {Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.STREET_OFFICER, Role.AGENCY_MANAGER, Role.STATION_WORKER}
)
# Roles that see stations and the dashboard of an area.
AREA_ROLES = PEOPLE_ROLES | {Role.FEDERATION_FINANCE}
# A station's own staff: its social workers and the managers of the agency running it.
STATION_STAFF_ROLES = frozenset({Role.STATION_WORKER, Role.AGENCY_MANAGER})
# Roles that may grant and revoke roles, within their own division subtree.
ADMIN_ROLES = frozenset({Role.CITY_ADMIN, Role.DISTRICT_ADMIN})
# Roles an admin of each kind may hand out.
GRANTABLE_BY: dict[str, frozenset[str]] = {
    Role.CITY_ADMIN: frozenset(Role.values),
    Role.DISTRICT_ADMIN: frozenset(Role.values) - {Role.CITY_ADMIN, Role.DISTRICT_ADMIN},
}


@dataclass(frozen=True)
class Scope:
    """What one user may see. Paths are materialised division paths ("/1/4/17/"): a subtree test
    is a prefix test, so one indexed LIKE per path answers "is this in scope"."""

    user_id: int | None
    person_id: int | None = None
    roles: frozenset[str] = frozenset()
    people_paths: tuple[str, ...] = ()
    area_paths: tuple[str, ...] = ()
    admin_paths: tuple[str, ...] = ()
    organization_ids: frozenset[int] = frozenset()
    station_ids: frozenset[int] = frozenset()
    is_superuser: bool = False
    granted: tuple[tuple[str, str], ...] = field(default=())  # (role, scope label) for display

    @property
    def is_staff_role(self) -> bool:
        return bool(self.roles & AREA_ROLES) or self.is_superuser

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    def is_station_staff(self, station_id: int) -> bool:
        """The station's own staff: a social worker granted over that station, or a manager of the agency that
        runs it (`station_ids` holds exactly those stations: `actor_scope` fills it from station grants and from
        the agencies' stations), and the superuser. Street, district and city officers oversee a station but
        are not its staff; neither is the staff of another station or of another agency."""
        return self.is_superuser or (bool(self.roles & STATION_STAFF_ROLES) and station_id in self.station_ids)

    def path_q(self, lookup: str, paths: tuple[str, ...]) -> Q:
        """A filter matching rows whose division path (at `lookup`) is inside one of `paths`."""
        if self.is_superuser:
            return Q()
        q = Q(pk__in=[])
        for path in paths:
            q |= Q(**{f"{lookup}__startswith": path})
        return q

    def covers_path(self, path: str, paths: tuple[str, ...]) -> bool:
        return self.is_superuser or any(path.startswith(p) for p in paths)
