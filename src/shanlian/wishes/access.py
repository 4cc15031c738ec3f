"""Who sees and does what with micro-wishes: one predicate per rule, used by the selectors, the services, the pages and
the menu.

- The wall (open wishes, de-identified at community level) is public, with no login, while the beneficiary's consent to
  the posting holds (`on_wall`).
- The case team of the wish's station (its social workers, the agency's manager: `cases.access.is_case_team`) registers,
  edits, cancels, messages the claimant, records fulfilments and confirms; it sees the beneficiary and the private note.
- Officers overseeing the station's street (street, district, city) see the station's wishes and their counts, with the
  beneficiary's name masked and no private note or messages; they change nothing.
- A claimant sees their own claims, the station's messages to them and what was recorded; never the beneficiary.
- Anyone else sees the wall only: a station's wish page answers as if it did not exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q

from shanlian.cases import access as case_access
from shanlian.cases.selectors import consent_state, consent_valid_q
from shanlian.core.scoping import Scope

# The station rule is the case team's (cases.access): who opens a station's records, who registers, which rows.
may_open_station_wishes = case_access.may_open_cases
may_register = case_access.may_register
visible_q = case_access.visible_q
stations_q = case_access.stations_q
oversees = case_access.oversees


def on_wall(wish: Any, day: dt.date) -> bool:
    """A wish is shown to the public (and claimed) only while the consent it was posted under holds: withdrawn or
    expired, it comes off the wall."""
    return wish.consent is not None and consent_state(wish.consent, day) == "valid"


def on_wall_q(day: dt.date) -> Q:
    """`on_wall` as a filter."""
    return consent_valid_q(day, "consent__")


def shows_wall_in_menu(scope: Scope) -> bool:
    """The wall in the menu: for residents, donors and volunteers (staff at work reach it from their wish list)."""
    return not scope.is_staff_role


def is_team(scope: Scope, station_id: int) -> bool:
    """The station's case team: writes about its wishes and sees the beneficiary (cases.access.is_case_team)."""
    return scope.is_station_staff(station_id)


def may_claim(scope: Scope, station_id: int) -> bool:
    """Anyone signed in but the station's own staff: they post its wishes, record what was given and confirm it, and
    nobody confirms their own gift."""
    return scope.user_id is not None and (scope.is_superuser or not is_team(scope, station_id))


def may_see(scope: Scope, station_id: int, street_path: str) -> bool:
    return is_team(scope, station_id) or oversees(scope, street_path)
