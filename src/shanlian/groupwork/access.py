"""Who sees a programme, and how: one predicate per rule, used by the selectors, the services, the pages, the API and the
menu. Members of groups are often the station's beneficiaries, so their names follow the cases rule:

- The station's team (its social workers, the manager of the agency running it: `Scope.is_station_staff`) writes and sees
  the members' names.
- Officers overseeing the station's street (street officer, district and city administrators) see the programme, its
  sessions and its counts, never a member's name.
- Anyone else sees nothing: the programme answers as if it did not exist.
"""

from __future__ import annotations

from shanlian.cases.access import OFFICER_ROLES, Sight, may_open_cases, may_register, station_sight, stations_q, visible_q
from shanlian.core.scoping import Scope

from .models import Programme

__all__ = ["OFFICER_ROLES", "Sight", "may_create", "may_open", "names_visible", "sight", "stations_q", "visible_q", "writes"]


def may_open(scope: Scope) -> bool:
    return may_open_cases(scope)


may_create = may_register  # starts programmes at one of their own stations, as beneficiaries are registered


def sight(scope: Scope, programme: Programme) -> Sight:
    """VALUES: the team (names); MASKED: officers above (counts, no names); NONE: anyone else."""
    return station_sight(scope, programme.station)


def names_visible(scope: Scope, programme: Programme) -> bool:
    return sight(scope, programme) is Sight.VALUES


def writes(scope: Scope, station_id: int) -> bool:
    """Records, enrols and ends at the station: its own team."""
    return scope.is_station_staff(station_id)
