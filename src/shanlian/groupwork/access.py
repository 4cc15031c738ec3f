"""Who sees a programme, and how: one predicate per rule, used by the selectors, the services, the pages, the API and the
menu. Members of groups are often the station's beneficiaries, so their names follow the cases rule:

- The station's team (its social workers, the manager of the agency running it: `Scope.is_station_staff`) writes and sees
  the members' names.
- Officers overseeing the station's street (street officer, district and city administrators) see the programme, its
  sessions and its counts, never a member's name.
- Anyone else sees nothing: the programme answers as if it did not exist.
"""

from __future__ import annotations

from django.db.models import Q

from shanlian.cases.access import OFFICER_ROLES, Sight
from shanlian.core.scoping import STATION_STAFF_ROLES, Scope

from .models import Programme

__all__ = ["Sight", "may_create", "may_open", "names_visible", "sight", "visible_q", "writes"]


def may_open(scope: Scope) -> bool:
    return scope.is_superuser or scope.has(*STATION_STAFF_ROLES, *OFFICER_ROLES)


def may_create(scope: Scope) -> bool:
    """Starts programmes at one of their own stations."""
    return scope.is_superuser or (scope.has(*STATION_STAFF_ROLES) and bool(scope.station_ids))


def visible_q(scope: Scope, prefix: str = "") -> Q:
    """Programmes (at `prefix`, e.g. "programme__") the actor sees at all, with names or counts only."""
    if scope.is_superuser:
        return Q()
    q = Q(pk__in=[])
    if scope.has(*STATION_STAFF_ROLES):
        q |= Q(**{f"{prefix}station_id__in": scope.station_ids})
    if scope.has(*OFFICER_ROLES):
        for path in scope.area_paths:
            q |= Q(**{f"{prefix}station__street__path__startswith": path})
    return q


def sight(scope: Scope, programme: Programme) -> Sight:
    """VALUES: the team (names); MASKED: officers above (counts, no names); NONE: anyone else."""
    if scope.is_station_staff(programme.station_id):
        return Sight.VALUES
    if scope.has(*OFFICER_ROLES) and scope.covers_path(programme.station.street.path, scope.area_paths):
        return Sight.MASKED
    return Sight.NONE


def names_visible(scope: Scope, programme: Programme) -> bool:
    return sight(scope, programme) is Sight.VALUES


def writes(scope: Scope, station_id: int) -> bool:
    """Records, enrols and ends at the station: its own team."""
    return scope.is_station_staff(station_id)
