"""Navigation by role: each entry appears only to the roles that may open its page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shanlian.core.scoping import ADMIN_ROLES, AREA_ROLES, PEOPLE_ROLES, Role
from shanlian.people.selectors import actor_scope


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    scope = actor_scope(user)
    # (url name, label, view-name prefix that marks the entry active)
    items: list[tuple[str, Any, str]] = [
        ("web:home", _("Home"), "web:home"),
        ("orgs:organization_list", _("Organizations"), "orgs:organization"),
    ]
    if scope.is_superuser or scope.roles & AREA_ROLES:
        items.append(("orgs:station_list", _("Stations"), "orgs:station"))
    if scope.is_superuser or scope.roles & PEOPLE_ROLES:
        items.append(("people:person_list", _("People"), "people:person"))
    if scope.is_superuser or scope.roles & ADMIN_ROLES:
        items.append(("people:role_list", _("Roles"), "people:role"))
    if scope.is_superuser or scope.roles & AREA_ROLES:
        items.append(("charity:fund_list", _("Community funds"), "charity:fund"))
        items.append(("charity:gift_list", _("Gifts"), "charity:gift"))
        items.append(("charity:payout_list", _("Payouts"), "charity:payout"))
    if scope.is_superuser or scope.has(Role.STATION_WORKER, Role.AGENCY_MANAGER):
        items.append(("timebank:manage_activities", _("Time bank"), "timebank:manage"))
    elif scope.has(Role.STREET_OFFICER, Role.DISTRICT_ADMIN, Role.CITY_ADMIN):
        items.append(("timebank:manage_stations", _("Time bank"), "timebank:manage"))
    if scope.is_superuser or scope.has(Role.FEDERATION_FINANCE):
        items.append(("charity:receipt_list", _("Receipts"), "charity:receipt"))
    if scope.is_superuser or scope.roles & (AREA_ROLES - {Role.STATION_WORKER, Role.AGENCY_MANAGER}):
        items.append(("compliance:dashboard", _("Compliance"), "compliance:"))
    if not scope.roles & AREA_ROLES:
        items.append(("timebank:home", _("Time bank"), "timebank:"))
        items.append(("give:campaign_list", _("Give"), "give:campaign"))
        items.append(("give:mine", _("My gifts"), "give:mine"))
    items.append(("public:index", _("Disclosure"), "public:"))
    view_name = request.resolver_match.view_name if request.resolver_match else ""
    return {
        "nav_items": [
            {"url": reverse(name), "label": label, "active": view_name.startswith(prefix)} for name, label, prefix in items
        ],
        "actor_scope": scope,
    }
