"""Who reads the monthly report, and over what: one predicate per rule, used by the selectors, the pages, the API and
the menu.

- The city, district and street officers read every station of their area, and its divisions' rows.
- A station's staff (its social workers, the managers of the agency running it) read their stations' rows only: never
  a division's row, which would add up stations they do not run.
- Anyone else (a finance officer, an expert, a volunteer, a donor, the public) is refused (403).
"""

from __future__ import annotations

from shanlian.cases import access as case_access
from shanlian.cases.access import OFFICER_ROLES
from shanlian.core.scoping import Scope
from shanlian.places.models import Division

# The report is read by those who open stations' records, over the stations whose records they see (cases.access).
may_open_report = case_access.may_open_cases
stations_q = case_access.stations_q


def officer_paths(scope: Scope) -> tuple[str, ...]:
    """The division subtrees whose rows (sums of their stations) the actor reads."""
    return scope.area_paths if scope.has(*OFFICER_ROLES) else ()


def covers_division(scope: Scope, division: Division | str) -> bool:
    path = division if isinstance(division, str) else division.path
    return scope.is_superuser or any(path.startswith(p) for p in officer_paths(scope))
