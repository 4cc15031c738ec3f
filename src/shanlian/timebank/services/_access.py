"""Who may act in the time bank: the volunteer themself, the station's organizers, the agency."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from shanlian.core.errors import PermissionDenied
from shanlian.core.scoping import Role, Scope
from shanlian.orgs.models import Station
from shanlian.people.selectors import signed_in_scope

from ..models import Volunteer

scope_of = signed_in_scope


def is_organizer(scope: Scope, station: Station) -> bool:
    """The station's own staff (its social workers, its agency's managers) organize its activities."""
    return scope.is_station_staff(station.pk)


def is_agency(scope: Scope, station: Station) -> bool:
    return scope.is_superuser or (scope.has(Role.AGENCY_MANAGER) and station.agency_id in scope.organization_ids)


def require_organizer(actor: Any, station: Station) -> Scope:
    scope = scope_of(actor)
    if not is_organizer(scope, station):
        raise PermissionDenied("not_organizer", _("Only the station's social workers organize its activities."))
    return scope


def require_agency(actor: Any, station: Station) -> Scope:
    scope = scope_of(actor)
    if not is_agency(scope, station):
        raise PermissionDenied("not_agency", _("Only a manager of the agency running the station may approve this."))
    return scope


def require_self(actor: Any, volunteer: Volunteer) -> Scope:
    scope = scope_of(actor)
    if scope.person_id != volunteer.person_id:
        raise PermissionDenied("not_yourself", _("Only the volunteer themself may do this."))
    return scope


def may_edit_quiz_bank(scope: Scope, station: Station | None) -> bool:
    """Who writes a quiz bank. A station's own questions: its organizers (its social workers and its agency's
    managers), as for its activities. The city bank (no station), drawn at every station of the city: city
    administrators only. District administrators and street officers read it but do not change it, since a
    change reaches every station beyond their district; what is particular to a district or a station goes into
    the stations' own banks."""
    if station is None:
        return scope.is_superuser or scope.has(Role.CITY_ADMIN)
    return is_organizer(scope, station)


def require_quiz_editor(actor: Any, station: Station | None) -> Scope:
    scope = scope_of(actor)
    if not may_edit_quiz_bank(scope, station):
        if station is None:
            raise PermissionDenied("not_city_bank_editor", _("Only the city's administrators change the city question bank."))
        raise PermissionDenied("not_organizer", _("Only the station's social workers and its agency's managers change its questions."))
    return scope
