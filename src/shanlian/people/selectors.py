"""Reads about people and roles, always through the acting user's scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from shanlian.core import crypto
from shanlian.core.audit import access_denied, audit_log
from shanlian.core.errors import NotFound, PermissionDenied, ValidationFailed
from shanlian.core.scoping import ADMIN_ROLES, AREA_ROLES, PEOPLE_ROLES, Role, Scope
from shanlian.orgs.models import Station
from shanlian.places.models import Division, Level
from shanlian.places.services import pinyin_initials

from .models import Person, RoleGrant
from .search import Term, search_term

SCOPE_CACHE_ATTR = "_shanlian_scope"


def actor_scope(user: Any) -> Scope:
    """Resolve a user's active role grants into paths and ids; cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Scope(user_id=None)
    cached = getattr(user, SCOPE_CACHE_ATTR, None)
    if cached is not None:
        return cached
    grants = list(
        RoleGrant.objects.filter(user=user, revoked_at__isnull=True).select_related(
            "division", "organization", "organization__division", "station", "station__street"
        )
    )
    roles: set[str] = set()
    people: set[str] = set()
    area: set[str] = set()
    admin: set[str] = set()
    org_ids: set[int] = set()
    station_ids: set[int] = set()
    labels: list[tuple[str, str]] = []
    agency_ids: set[int] = set()
    for g in grants:
        roles.add(g.role)
        labels.append((g.get_role_display(), g.scope_label))
        paths: list[str] = []
        if g.division is not None:
            paths.append(g.division.path)
        if g.station is not None:
            if g.role == Role.STATION_WORKER:  # the station's own staff (Scope.is_station_staff)
                station_ids.add(g.station.pk)
            paths.append(g.station.street.path)
        if g.organization is not None:
            org_ids.add(g.organization.pk)
            if g.role == Role.AGENCY_MANAGER:
                agency_ids.add(g.organization.pk)
            elif g.role == Role.FEDERATION_FINANCE:
                paths.append(g.organization.division.path)
        if g.role in PEOPLE_ROLES:
            people.update(paths)
        if g.role in AREA_ROLES:
            area.update(paths)
        if g.role in ADMIN_ROLES:
            admin.update(paths)
    if agency_ids:
        # An agency manager's area is the streets of the stations the agency runs.
        for station_id, street_path in Station.objects.filter(agency_id__in=agency_ids).values_list("pk", "street__path"):
            station_ids.add(station_id)
            people.add(street_path)
            area.add(street_path)
    person_id = Person.objects.filter(user=user).values_list("pk", flat=True).first()
    scope = Scope(
        user_id=user.pk,
        person_id=person_id,
        roles=frozenset(roles),
        people_paths=_minimal(people),
        area_paths=_minimal(area),
        admin_paths=_minimal(admin),
        organization_ids=frozenset(org_ids),
        station_ids=frozenset(station_ids),
        is_superuser=bool(user.is_superuser),
        granted=tuple(labels),
    )
    setattr(user, SCOPE_CACHE_ATTR, scope)
    return scope


def signed_in_scope(actor: Any) -> Scope:
    """The acting user's scope, refused for someone who is not signed in: the first check of every service that writes."""
    scope = actor_scope(actor)
    if scope.user_id is None:
        raise PermissionDenied("login_required", _("Please log in first."))
    return scope


def _minimal(paths: set[str]) -> tuple[str, ...]:
    """Drop paths inside other paths: fewer OR terms in every scoped query."""
    ordered = sorted(paths, key=len)
    kept: list[str] = []
    for p in ordered:
        if not any(p.startswith(k) for k in kept):
            kept.append(p)
    return tuple(sorted(kept))


def _people_visible_q(scope: Scope) -> Q:
    if scope.is_superuser:
        return Q()  # Q() | Q(pk=...) would narrow a superuser to themselves
    q = scope.path_q("division__path", scope.people_paths)
    if scope.person_id is not None:
        q |= Q(pk=scope.person_id)
    return q


def people_list(*, scope: Scope, query: str = "", division_id: int | None = None) -> QuerySet[Person]:
    if scope.user_id is None:
        return Person.objects.none()
    qs = Person.objects.filter(_people_visible_q(scope)).select_related("division", "division__parent")
    term = search_term(query)
    if term.kind:
        qs = qs.filter(_search_q(term))
    if division_id is not None:
        from shanlian.places.models import Division

        division = Division.objects.filter(pk=division_id).only("path").first()
        qs = qs.filter(division__path__startswith=division.path) if division else qs.none()
    return qs.order_by("division__code", "real_name", "id")


def _search_q(term: Term) -> Q:
    """Each kind of query compares its own key, so no row is decrypted: the blind indexes by equality, the pinyin
    keys by prefix (both indexed); a part of a name is a substring of the name within the actor's scope."""
    if term.kind == "resident_id":
        return Q(resident_id_hash=term.value)
    if term.kind == "phone":
        return Q(phone_hash=term.value)
    if term.kind == "phone_last4":
        return Q(phone_last4_hash=term.value)
    if term.kind == "pinyin":
        return Q(name_initials__startswith=term.value) | Q(name_pinyin__startswith=term.value)
    return Q(real_name__icontains=term.value)


def person_get(*, scope: Scope, person_id: int) -> Person:
    person = people_list(scope=scope).filter(pk=person_id).first()
    if person is None:
        # Logged, and answered exactly as for a person that does not exist.
        access_denied(user_id=scope.user_id, object_type="people.person", object_id=person_id)
        raise NotFound()
    return person


SENSITIVE_FIELDS = {"resident_id": "resident_id_enc", "phone": "phone_enc"}


def person_reveal(*, scope: Scope, user: Any, person: Person, field: str) -> str:
    """The unmasked value of one sensitive field: needs the permission, and every read is logged."""
    if field not in SENSITIVE_FIELDS:
        raise ValidationFailed("invalid_field", _("This field cannot be revealed."))
    visible = people_list(scope=scope).filter(pk=person.pk).exists()
    if not visible:
        audit_log(actor=user, action="access.denied", obj=person)
        raise NotFound()
    if not user.has_perm("people.reveal_sensitive"):
        audit_log(actor=user, action="person.reveal.denied", obj=person, after={"field": field})
        raise PermissionDenied("reveal_not_allowed", _("You are not allowed to see unmasked personal data."))
    value = crypto.decrypt(getattr(person, SENSITIVE_FIELDS[field]))
    audit_log(actor=user, action="person.reveal", obj=person, after={"field": field})
    return value


def person_roles(*, person: Person) -> QuerySet[RoleGrant]:
    if person.user_id is None:
        return RoleGrant.objects.none()
    return RoleGrant.objects.filter(user_id=person.user_id, revoked_at__isnull=True).select_related(
        "division", "organization", "station"
    )


def role_grant_list(*, scope: Scope, include_revoked: bool = False) -> QuerySet[RoleGrant]:
    """Grants an admin may see: those whose scope lies inside one of the admin's divisions."""
    if not (scope.is_superuser or scope.roles & ADMIN_ROLES):
        raise PermissionDenied("not_admin", _("Only administrators manage roles."))
    qs = RoleGrant.objects.select_related(
        "user", "user__person", "division", "organization", "organization__division", "station", "station__street", "granted_by"
    )
    if not include_revoked:
        qs = qs.filter(revoked_at__isnull=True)
    if not scope.is_superuser:
        q = Q(pk__in=[])
        for p in scope.admin_paths:
            q |= (
                Q(division__path__startswith=p)
                | Q(station__street__path__startswith=p)
                | Q(organization__division__path__startswith=p)
            )
        # Self-scoped roles (volunteer, donor, expert) are visible to admins of the person's area.
        for p in scope.admin_paths:
            q |= Q(scope_kind="self", user__person__division__path__startswith=p)
        qs = qs.filter(q)
    return qs.order_by("-granted_at", "-id")


def name_initials(name: str) -> str:
    return pinyin_initials(name)


# --- Reads for the pages (people and role management) ---


def person_division_choices(*, scope: Scope) -> QuerySet[Division]:
    """Streets and communities a person in the actor's people scope may live in (form choices, filters)."""
    if not (scope.is_superuser or scope.people_paths):
        return Division.objects.none()
    return (
        Division.objects.filter(scope.path_q("path", scope.people_paths), level__in=[Level.STREET, Level.COMMUNITY])
        .select_related("parent")
        .order_by("code")
    )


def role_grant_get(*, scope: Scope, grant_id: int) -> RoleGrant:
    grant = role_grant_list(scope=scope, include_revoked=True).filter(pk=grant_id).first()
    if grant is None:
        raise NotFound()
    return grant


def role_grant_targets(*, scope: Scope) -> dict[str, QuerySet[Any]]:
    """What an admin may grant roles over: divisions at a grantable level, agencies and federations,
    and stations, each inside the admin's own divisions (the service checks again)."""
    from shanlian.orgs.models import Organization

    if not (scope.is_superuser or scope.roles & ADMIN_ROLES):
        raise PermissionDenied("not_admin", _("Only administrators manage roles."))
    return {
        "division": Division.objects.filter(
            scope.path_q("path", scope.admin_paths), level__in=[Level.CITY, Level.DISTRICT, Level.STREET]
        ).order_by("code"),
        "organization": Organization.objects.filter(
            scope.path_q("division__path", scope.admin_paths), Q(is_agency=True) | Q(is_charity_federation=True)
        ).order_by("name", "id"),
        "station": Station.objects.filter(scope.path_q("street__path", scope.admin_paths)).order_by("street__code"),
    }


def account_get_by_username(*, scope: Scope, username: str) -> Any:
    """The login account an admin grants a role to; NotFound if there is none with that name."""
    from django.contrib.auth import get_user_model

    if not (scope.is_superuser or scope.roles & ADMIN_ROLES):
        raise PermissionDenied("not_admin", _("Only administrators manage roles."))
    user = get_user_model().objects.filter(username__iexact=(username or "").strip(), is_active=True).first()
    if user is None:
        raise NotFound("unknown_user", _("There is no active account with this user name."))
    return user


def station_staff_users(*stations: Station) -> QuerySet[Any]:
    """The logins that work at the stations: their social workers and their agencies' managers (for the forms that name
    who served, who leads, whose case it is)."""
    from django.contrib.auth import get_user_model

    grants = RoleGrant.objects.filter(revoked_at__isnull=True).filter(
        Q(role=Role.STATION_WORKER, station__in=stations)
        | Q(role=Role.AGENCY_MANAGER, organization_id__in={s.agency_id for s in stations}))
    return (get_user_model().objects.filter(pk__in=grants.values("user_id"), is_active=True).select_related("person")
            .order_by("id"))
