"""The home dashboard per role, and error pages that say what happened without leaking anything."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from shanlian.charity.selectors.desk import finance_desk
from shanlian.core.errors import DomainError, NotFound, PermissionDenied
from shanlian.core.middleware import error_response
from shanlian.core.scoping import AREA_ROLES, Role
from shanlian.people.selectors import actor_scope

from . import selectors

LEVEL_LABELS = {
    "district": _("By district"),
    "street": _("By street / town"),
    "community": _("By community"),
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands where its work is: area staff on their area's overview, finance officers on the payouts,
    receipts and compliance waiting for them, volunteers in the time bank, donors on their gifts, experts on
    their review assignments."""
    scope = actor_scope(request.user)
    context: dict[str, Any] = {"scope": scope, "me": selectors.personal_card(scope=scope)}
    if scope.is_superuser or scope.roles & (AREA_ROLES - {Role.FEDERATION_FINANCE}):
        board = selectors.area_dashboard(scope=scope)
        context["board"] = board
        context["chart_title"] = LEVEL_LABELS[board.chart_level]
        context["chart_data"] = {
            "level": board.chart_level,
            "area": board.area_chart,
            "grades": board.grade_chart,
            "labels": {"people": _("People"), "stations": _("Stations"), "organizations": _("Organizations")},
        }
        if scope.has(Role.FEDERATION_FINANCE):
            context["desk"] = finance_desk(scope=scope)
        return render(request, "web/home.html", context)
    if scope.has(Role.FEDERATION_FINANCE):
        context["desk"] = finance_desk(scope=scope)
        return render(request, "web/home_finance.html", context)
    if scope.has(Role.EXPERT):
        return render(request, "web/home_expert.html", context)
    if scope.has(Role.VOLUNTEER):
        return redirect("timebank:home")
    if scope.has(Role.DONOR):
        return redirect("give:mine")
    return render(request, "web/home.html", context)


def bad_request(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return error_response(request, DomainError("bad_request", _("The request is not valid.")))


def permission_denied(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return error_response(request, PermissionDenied())


def page_not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return error_response(request, NotFound())


def server_error(request: HttpRequest) -> HttpResponse:
    err = DomainError("server_error", _("Something went wrong on our side. It has been logged."))
    err.status = 500
    return error_response(request, err)
