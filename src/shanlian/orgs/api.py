"""Organizations (the public registry) and stations (staff of the station's area only)."""

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status

from shanlian.core.errors import NotFound, PermissionDenied, ValidationFailed
from shanlian.core.schemas import ApiRequest, PageIn, PageOut, errors, paginate
from shanlian.core.scoping import ADMIN_ROLES, Scope
from shanlian.people.selectors import actor_scope
from shanlian.places.api import DivisionRef
from shanlian.places.models import Division
from shanlian.places.selectors import division_get

from .models import Grade, OrgKind, PartyBranch
from .selectors import organization_get, organization_list, station_donation_points, station_get, station_list
from .services import organization_create

router = Router(tags=["organizations"])


class OrganizationRef(Schema):
    id: int
    name: str


class OrganizationOut(OrganizationRef):
    kind: OrgKind
    credit_code: str
    registered_on: dt.date
    division: DivisionRef
    address: str
    legal_representative: str
    grade: str = Field(..., description="The grade as awarded, even if it has lapsed.")
    grade_valid_from: dt.date | None
    grade_valid_until: dt.date | None
    grade_current: str = Field(..., description="The grade if still valid today, else empty.")
    public_fundraising: bool
    is_charity_federation: bool
    is_agency: bool
    party_branch: PartyBranch
    party_branch_name: str

    @staticmethod
    def resolve_grade_current(obj: Any) -> str:
        return str(obj.grade_current())


class OrganizationPage(PageOut):
    results: list[OrganizationOut]


class OrganizationFilter(PageIn):
    q: str = Field("", description="Part of the name, its pinyin initials or full pinyin, or the credit code.")
    kind: OrgKind | None = None


class OrganizationIn(Schema):
    name: str
    kind: OrgKind
    credit_code: str = Field(..., description="Unified social credit code (GB 32100), 18 characters.")
    registered_on: dt.date
    division_id: int = Field(..., description="The city or district the organization registered with.")
    address: str = ""
    legal_representative: str = ""
    grade: Grade | None = None
    grade_awarded_on: dt.date | None = None
    public_fundraising: bool = False
    is_charity_federation: bool = False
    is_agency: bool = False
    party_branch: PartyBranch = PartyBranch.NONE
    party_branch_name: str = ""


class DonationPointOut(Schema):
    id: int
    name: str
    address: str
    accepts_cash: bool
    accepts_transfer: bool
    accepts_goods: bool
    opening_hours: str
    active: bool


class StationOut(Schema):
    id: int
    name: str
    street: DivisionRef
    district: DivisionRef
    agency: OrganizationRef
    contract_start: dt.date
    contract_end: dt.date
    contract_active: bool
    address: str
    office_phone: str
    opened_on: dt.date | None
    donation_point_count: int

    @staticmethod
    def resolve_district(obj: Any) -> Any:
        return obj.street.parent

    @staticmethod
    def resolve_contract_active(obj: Any) -> bool:
        return bool(obj.contract_active())


class StationDetailOut(StationOut):
    donation_points: list[DonationPointOut]

    @staticmethod
    def resolve_donation_points(obj: Any) -> list[Any]:
        return list(station_donation_points(station=obj))


class StationPage(PageOut):
    results: list[StationOut]


def _require_area_role(scope: Scope) -> None:
    if not scope.is_staff_role:
        raise PermissionDenied()


def _division_for_create(scope: Scope, division_id: int, field: str) -> Division:
    try:
        return division_get(scope=scope, division_id=division_id)
    except NotFound:
        message = _("There is no such division.")
        raise ValidationFailed("invalid_division", message, fields={field: [("invalid_division", message)]}) from None


@router.get(
    "/organizations", response={200: OrganizationPage, **errors(400, 401)}, summary="Search organizations",
    tags=["organizations"],
)
def organizations_list(request: ApiRequest, filters: Query[OrganizationFilter]) -> Any:
    """The registry of social organizations; any signed-in caller may search it."""
    qs = organization_list(scope=actor_scope(request.auth), query=filters.q, kind=filters.kind or "")
    return paginate(qs, filters)


@router.get(
    "/organizations/{id:organization_id}", response={200: OrganizationOut, **errors(400, 401, 404)},
    summary="One organization", tags=["organizations"],
)
def organizations_get(request: ApiRequest, organization_id: int) -> Any:
    return organization_get(scope=actor_scope(request.auth), organization_id=organization_id)


@router.post(
    "/organizations", response={201: OrganizationOut, **errors(400, 401, 403, 409)},
    summary="Register an organization", tags=["organizations"],
)
def organizations_create(request: ApiRequest, payload: OrganizationIn) -> Any:
    """City and district administrators register organizations in their own city or district."""
    scope = actor_scope(request.auth)
    if not (scope.is_superuser or scope.has(*ADMIN_ROLES)):
        raise PermissionDenied()
    division = _division_for_create(scope, payload.division_id, "division_id")
    if not scope.covers_path(division.path, scope.admin_paths):
        raise PermissionDenied("scope_outside_yours", _("You may only register organizations within your own area."))
    org = organization_create(
        actor=request.auth,
        division=division,
        grade=payload.grade or "",
        **payload.model_dump(exclude={"division_id", "grade"}),
    )
    return Status(201, org)


@router.get(
    "/stations", response={200: StationPage, **errors(400, 401, 403)}, summary="List stations in your area",
    tags=["stations"],
)
def stations_list(request: ApiRequest, filters: Query[PageIn]) -> Any:
    """Stations whose street lies in the caller's area; only area staff (and federation finance) may list them."""
    scope = actor_scope(request.auth)
    _require_area_role(scope)
    return paginate(station_list(scope=scope), filters)


@router.get(
    "/stations/{id:station_id}", response={200: StationDetailOut, **errors(400, 401, 403, 404)},
    summary="One station with its donation points", tags=["stations"],
)
def stations_get(request: ApiRequest, station_id: int) -> Any:
    scope = actor_scope(request.auth)
    _require_area_role(scope)
    return station_get(scope=scope, station_id=station_id)
