"""People, masked: no answer here carries a plain resident ID or phone, or their ciphertext, except
the reveal endpoint, which needs a permission and writes an audit row for every read."""

from typing import Any, Literal

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status

from shanlian.core.errors import NotFound, PermissionDenied, ValidationFailed
from shanlian.core.schemas import ApiRequest, PageIn, PageOut, errors, paginate
from shanlian.core.scoping import PEOPLE_ROLES, Scope
from shanlian.places.api import DivisionRef
from shanlian.places.models import Division
from shanlian.places.selectors import division_get

from .models import Gender
from .selectors import actor_scope, people_list, person_get, person_reveal
from .services import person_create

router = Router(tags=["people"])
# Mounted at the API root (see orgs.api): /api/me.
me_router = Router(tags=["me"])


class PersonOut(Schema):
    id: int
    real_name: str
    gender: Gender
    birth_year: int | None
    division: DivisionRef = Field(..., description="The community (or street) the person lives in.")
    street: DivisionRef | None = Field(..., description="The street above a community.")
    resident_id_masked: str = Field(..., examples=["440100********0026"])
    phone_masked: str = Field(..., examples=["139****5678"])

    @staticmethod
    def resolve_street(obj: Any) -> Any:
        return obj.division.parent if obj.division.level == "community" else None


class PersonPage(PageOut):
    results: list[PersonOut]


class PeopleFilter(PageIn):
    q: str = Field("", max_length=64, description="Part of the name; its pinyin initials or full pinyin (a prefix); the last "
                                                 "four digits of a phone; or a full resident ID or phone number.")
    division_id: int | None = Field(None, description="Only people living in this division's subtree.")


class PersonIn(Schema):
    real_name: str
    division_id: int = Field(..., description="The community (or street) the person lives in.")
    resident_id: str = Field("", description="Resident ID (GB 11643); stored encrypted, shown masked.")
    phone: str = Field("", description="Mainland mobile or landline; stored encrypted, shown masked.")
    gender: Gender = Gender.UNKNOWN


class RevealIn(Schema):
    field: Literal["resident_id", "phone"]


class RevealOut(Schema):
    person_id: int
    field: str
    value: str


class GrantOut(Schema):
    role: str
    scope: str


class MeOut(Schema):
    username: str
    display_name: str
    is_superuser: bool
    person: PersonOut | None
    roles: list[str]
    grants: list[GrantOut]


def _require_people_role(scope: Scope) -> None:
    if not (scope.is_superuser or scope.has(*PEOPLE_ROLES)):
        raise PermissionDenied()


def _division_for_create(scope: Scope, division_id: int) -> Division:
    try:
        return division_get(scope=scope, division_id=division_id)
    except NotFound:
        message = _("There is no such division.")
        raise ValidationFailed("invalid_division", message, fields={"division_id": [("invalid_division", message)]}) from None


@router.get("", response={200: PersonPage, **errors(400, 401, 403)}, summary="List people in your area")
def people_list_api(request: ApiRequest, filters: Query[PeopleFilter]) -> Any:
    """Residents in the caller's area, masked. Only roles that work with residents' records may list them."""
    scope = actor_scope(request.auth)
    _require_people_role(scope)
    return paginate(people_list(scope=scope, query=filters.q, division_id=filters.division_id), filters)


@router.get("/{id:person_id}", response={200: PersonOut, **errors(400, 401, 404)}, summary="One person, masked")
def people_get_api(request: ApiRequest, person_id: int) -> Any:
    """A person in the caller's area (or the caller themselves); anyone else is a plain 404."""
    return person_get(scope=actor_scope(request.auth), person_id=person_id)


@router.post("", response={201: PersonOut, **errors(400, 401, 403, 409)}, summary="Register a person")
def people_create_api(request: ApiRequest, payload: PersonIn) -> Any:
    """Registers a resident in a community within the caller's area. Nothing is saved if any field is invalid."""
    scope = actor_scope(request.auth)
    _require_people_role(scope)
    division = _division_for_create(scope, payload.division_id)
    person = person_create(
        scope=scope,
        actor=request.auth,
        real_name=payload.real_name,
        division=division,
        resident_id=payload.resident_id,
        phone=payload.phone,
        gender=payload.gender,
    )
    return Status(201, person)


@router.post(
    "/{id:person_id}/reveal", response={200: RevealOut, **errors(400, 401, 403, 404)},
    summary="Read one unmasked field (logged)",
)
def people_reveal_api(request: ApiRequest, person_id: int, payload: RevealIn, response: HttpResponse) -> Any:
    """Needs the permission people.reveal_sensitive; every read, and every refusal, writes an audit row."""
    scope = actor_scope(request.auth)
    person = person_get(scope=scope, person_id=person_id)
    value = person_reveal(scope=scope, user=request.auth, person=person, field=payload.field)
    response["Cache-Control"] = "no-store"
    return {"person_id": person.pk, "field": payload.field, "value": value}


@me_router.get("/me", response={200: MeOut, **errors(401)}, summary="Who am I")
def me_api(request: ApiRequest) -> Any:
    """The caller's login, their own person record (masked), their roles and the scopes they hold them over."""
    user = request.auth
    scope = actor_scope(user)
    person = person_get(scope=scope, person_id=scope.person_id) if scope.person_id is not None else None
    return {
        "username": user.get_username(),
        "display_name": user.get_full_name() or user.get_username(),
        "is_superuser": scope.is_superuser,
        "person": person,
        "roles": sorted(scope.roles),
        "grants": [{"role": role, "scope": label} for role, label in scope.granted],
    }
