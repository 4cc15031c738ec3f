"""Pages: the organization directory (public registry) and the stations of the actor's area."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from shanlian.core.errors import PermissionDenied
from shanlian.core.pages import paginate
from shanlian.core.scoping import Scope
from shanlian.people.selectors import actor_scope

from . import selectors
from .forms import OrganizationSearchForm
from .permissions import may_list_stations


def _require_area_role(scope: Scope) -> None:
    if not may_list_stations(scope):
        raise PermissionDenied("stations_not_allowed", _("Only staff with an area role can see stations."))


@login_required
def organization_list(request: HttpRequest) -> HttpResponse:
    scope = actor_scope(request.user)
    form = OrganizationSearchForm(request.GET or None)
    query, kind = form.filters()
    page = paginate(request, selectors.organization_list(scope=scope, query=query, kind=kind))
    return render(request, "orgs/organization_list.html", {"form": form, "page_obj": page, "query": query})


@login_required
def organization_detail(request: HttpRequest, organization_id: int) -> HttpResponse:
    scope = actor_scope(request.user)
    org = selectors.organization_get(scope=scope, organization_id=organization_id)
    stations = selectors.organization_stations(scope=scope, organization=org) if scope.is_staff_role else None
    return render(request, "orgs/organization_detail.html", {"org": org, "stations": stations})


@login_required
def station_list(request: HttpRequest) -> HttpResponse:
    scope = actor_scope(request.user)
    _require_area_role(scope)
    page = paginate(request, selectors.station_list(scope=scope))
    return render(request, "orgs/station_list.html", {"page_obj": page})


@login_required
def station_detail(request: HttpRequest, station_id: int) -> HttpResponse:
    scope = actor_scope(request.user)
    _require_area_role(scope)
    station = selectors.station_get(scope=scope, station_id=station_id)
    points = selectors.station_donation_points(station=station)
    return render(request, "orgs/station_detail.html", {"station": station, "points": points})
