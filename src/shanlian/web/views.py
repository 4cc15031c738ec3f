"""The home dashboard per role, and error pages that say what happened without leaking anything."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from shanlian.charity.forms_public import PublicSearchForm
from shanlian.charity.models import CampaignStatus
from shanlian.charity.selectors.desk import finance_desk
from shanlian.charity.selectors.give import campaigns_public, progress_of
from shanlian.core.errors import DomainError, NotFound, PermissionDenied
from shanlian.core.middleware import error_response
from shanlian.core.scoping import AREA_ROLES, Role
from shanlian.orgs.selectors import stations_public
from shanlian.people.selectors import actor_scope
from shanlian.timebank.selectors import activities_upcoming

from . import selectors
from .forms import StationFinderForm, VerifyForm

LEVEL_LABELS = {
    "district": _("By district"),
    "street": _("By street / town"),
    "community": _("By community"),
}


def home(request: HttpRequest) -> HttpResponse:
    """A visitor gets the public front door; each role lands where its work is: area staff on their area's
    overview, finance officers on the payouts, receipts and compliance waiting for them, volunteers in the time bank,
    donors on their gifts, experts on their review assignments."""
    if not request.user.is_authenticated:
        return public_home(request)
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
        from shanlian.grants.selectors_review import assignments_for

        context["assignments"] = assignments_for(request.user)
        return render(request, "web/home_expert.html", context)
    if scope.has(Role.VOLUNTEER):
        return redirect("timebank:home")
    if scope.has(Role.DONOR):
        return redirect("give:mine")
    return render(request, "web/home.html", context)


def public_home(request: HttpRequest) -> HttpResponse:
    """The front door: appeals open now, activities to come, the station finder, code checks, search and sign-in."""
    finder = StationFinderForm(request.GET or None)
    district, street = finder.chosen()
    stations = list(stations_public(district_id=district, street_id=street)[:12]) if district or street else []
    campaigns = [(c, progress_of(c)) for c in campaigns_public().filter(status=CampaignStatus.OPEN)[:4]]
    # the soonest first (the selector orders by publication, for the volunteer's list)
    activities = sorted(activities_upcoming(with_free_places=True)[:30], key=lambda a: a.upcoming[0].starts_at)[:6]  # type: ignore[attr-defined]
    return render(request, "web/public_home.html", {
        "finder": finder, "stations": stations, "campaigns": campaigns, "activities": activities,
        "search": PublicSearchForm(), "verify": VerifyForm(),
    }, status=400 if finder.is_bound and not finder.is_valid() else 200)


@require_GET
def verify(request: HttpRequest) -> HttpResponse:
    """The front door's code box: a receipt's or a service certificate's verification code, to its public page."""
    form = VerifyForm(request.GET)
    if not form.is_valid():
        return render(request, "web/verify.html", {"verify": form}, status=400)
    code = form.cleaned_data["code"]
    if form.cleaned_data["kind"] == "certificate":
        return redirect("timebank:certificate_verify", code=code)
    return redirect("public:receipt_verify", code=code)


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
