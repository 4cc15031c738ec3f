"""Writes for persons, login accounts, role grants and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric

from shanlian.core import crypto
from shanlian.core.audit import audit_log, snapshot
from shanlian.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, field_error
from shanlian.core.identifiers import clean_phone, clean_resident_id
from shanlian.core.scoping import GRANTABLE_BY, ROLE_DIVISION_LEVEL, ROLE_SCOPE_KIND, Role, Scope, ScopeKind
from shanlian.orgs.models import Organization, Station
from shanlian.places.models import Division, Level

from .models import ApiToken, Gender, Person, RoleGrant
from .search import name_keys, phone_last4_index

PERSON_AUDIT_FIELDS = ["real_name", "gender", "birth_year", "division"]


def _phone_note(person: Person) -> str:
    """The phone in an audit row: a short piece of its keyed blind index, enough to see that it changed. Not the
    masked number: 139****5678 would put the last four digits, a search key, in the log in clear."""
    return f"#{person.phone_hash[:8]}" if person.phone_hash else ""


def _clean_person_fields(*, real_name: str, division: Division, resident_id: str, phone: str, gender: str) -> dict[str, Any]:
    """Validate every field first and report all errors at once; nothing is written on error."""
    errors: dict[str, list[tuple[str, Any]]] = {}
    name = (real_name or "").strip()
    if not name:
        errors.setdefault("real_name", []).append(("required", _("A real name is required.")))
    elif len(name) > 32:
        errors.setdefault("real_name", []).append(("too_long", _("A name has at most 32 characters.")))
    if division.level not in (Level.COMMUNITY, Level.STREET):
        errors.setdefault("division", []).append(("invalid_division", _("A person lives in a community or street.")))
    rid = ""
    if resident_id:
        try:
            rid = clean_resident_id(resident_id)
        except ValidationFailed as exc:
            errors.setdefault("resident_id", []).append((exc.code, exc.message))
    tel = ""
    if phone:
        try:
            tel = clean_phone(phone)
        except ValidationFailed as exc:
            errors.setdefault("phone", []).append((exc.code, exc.message))
    if gender not in Gender.values:
        errors.setdefault("gender", []).append(("invalid_gender", _("Unknown gender value.")))
    if errors:
        first_code = next(iter(errors.values()))[0][0]
        raise ValidationFailed(first_code, _("Please correct the marked fields."), fields=errors)
    return {"real_name": name, "resident_id": rid, "phone": tel}


def _gender_and_birth_year(resident_id: str, gender: str) -> tuple[str, int | None]:
    if not resident_id:
        return gender, None
    year = ric.get_birth_date(resident_id).year
    if not gender:
        gender = Gender.MALE if int(resident_id[16]) % 2 else Gender.FEMALE
    return gender, year


def _check_in_scope(scope: Scope | None, division: Division) -> None:
    """Staff register and move people only within their own area (scope None: system/seed callers)."""
    if scope is None:
        return
    if not scope.covers_path(division.path, scope.people_paths):
        raise PermissionDenied(
            "scope_outside_yours", _("You may only register people within your own area."),
            fields={"division": [("scope_outside_yours", _("Outside your area."))]},
        )


@transaction.atomic
def person_create(
    *,
    actor: Any,
    real_name: str,
    division: Division,
    resident_id: str = "",
    phone: str = "",
    gender: str = "",
    user: Any = None,
    scope: Scope | None = None,
) -> Person:
    _check_in_scope(scope, division)
    clean = _clean_person_fields(real_name=real_name, division=division, resident_id=resident_id, phone=phone, gender=gender)
    rid_hash = crypto.blind_index(clean["resident_id"], purpose="resident_id")
    if rid_hash and Person.objects.filter(resident_id_hash=rid_hash).exists():
        raise Conflict(
            "duplicate_resident_id",
            _("A person with this resident ID is already registered."),
            fields={"resident_id": [("duplicate_resident_id", _("A person with this resident ID is already registered."))]},
        )
    gender, birth_year = _gender_and_birth_year(clean["resident_id"], gender)
    initials, pinyin = name_keys(clean["real_name"])
    person = Person(
        real_name=clean["real_name"],
        name_initials=initials,
        name_pinyin=pinyin,
        gender=gender,
        birth_year=birth_year,
        division=division,
        resident_id_enc=crypto.encrypt(clean["resident_id"]),
        resident_id_hash=rid_hash,
        phone_enc=crypto.encrypt(clean["phone"]),
        phone_hash=crypto.blind_index(clean["phone"], purpose="phone"),
        phone_last4_hash=phone_last4_index(clean["phone"]),
        user=user,
    )
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        raise Conflict("duplicate_resident_id", _("A person with this resident ID is already registered.")) from None
    after = snapshot(person, PERSON_AUDIT_FIELDS) | {
        "resident_id": person.resident_id_masked,
        "phone": _phone_note(person),
    }
    audit_log(actor=actor, action="person.create", obj=person, after=after)
    return person


@transaction.atomic
def person_update(
    *,
    actor: Any,
    person: Person,
    real_name: str,
    division: Division,
    phone: str | None = None,
    gender: str = "",
    scope: Scope | None = None,
) -> Person:
    """Change a person's name, residence, phone or gender. The resident ID is fixed once recorded;
    `phone=None` keeps the stored phone, "" clears it."""
    _check_in_scope(scope, division)
    locked = Person.objects.select_for_update().get(pk=person.pk)
    keep_phone = phone is None
    clean = _clean_person_fields(real_name=real_name, division=division, resident_id="", phone=phone or "", gender=gender)
    before = snapshot(locked, PERSON_AUDIT_FIELDS) | {"phone": _phone_note(locked)}
    locked.real_name = clean["real_name"]
    locked.name_initials, locked.name_pinyin = name_keys(clean["real_name"])
    locked.division = division
    locked.gender = gender or locked.gender
    if not keep_phone:
        locked.phone_enc = crypto.encrypt(clean["phone"])
        locked.phone_hash = crypto.blind_index(clean["phone"], purpose="phone")
        locked.phone_last4_hash = phone_last4_index(clean["phone"])
    locked.save(update_fields=["real_name", "name_initials", "name_pinyin", "division", "gender", "phone_enc", "phone_hash",
                               "phone_last4_hash", "updated_at"])
    audit_log(actor=actor, action="person.update", obj=locked, before=before,
              after=snapshot(locked, PERSON_AUDIT_FIELDS) | {"phone": _phone_note(locked)})
    return locked


@transaction.atomic
def account_create(*, actor: Any, person: Person, username: str, password: str, email: str = "") -> Any:
    User = get_user_model()
    username = (username or "").strip()
    if not username:
        raise field_error("username", "username_required", _("A user name is required."))
    if person.user_id is not None:
        raise Conflict("account_exists", _("This person already has a login account."))
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict("duplicate_username", _("This user name is taken."), fields={"username": [("duplicate", _("Taken."))]})
    user = User(username=username, email=email, first_name=person.real_name)
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            "weak_password", _("The password is too weak."),
            fields={"password": [("weak_password", m) for m in exc.messages]},
        ) from None
    user.set_password(password)
    user.save()
    Person.objects.filter(pk=person.pk).update(user=user)
    person.user = user
    audit_log(actor=actor, action="account.create", obj=person, after={"username": username})
    return user


def _resolve_scope_target(role: str, target: Any) -> dict[str, Any]:
    kind = ROLE_SCOPE_KIND[role]
    if kind == ScopeKind.DIVISION:
        if not isinstance(target, Division):
            raise ValidationFailed("invalid_scope", _("This role is granted over a division."))
        if target.level != ROLE_DIVISION_LEVEL[role]:
            raise ValidationFailed("invalid_scope", _("This role is granted over a division of another level."))
        return {"scope_kind": kind, "division": target}
    if kind == ScopeKind.ORGANIZATION:
        if not isinstance(target, Organization):
            raise ValidationFailed("invalid_scope", _("This role is granted over an organization."))
        if role == Role.AGENCY_MANAGER and not target.is_agency:
            raise ValidationFailed("invalid_scope", _("An agency manager's organization must be a social work agency."))
        if role == Role.FEDERATION_FINANCE and not target.is_charity_federation:
            raise ValidationFailed("invalid_scope", _("A federation finance officer's organization must be a charity federation."))
        return {"scope_kind": kind, "organization": target}
    if kind == ScopeKind.STATION:
        if not isinstance(target, Station):
            raise ValidationFailed("invalid_scope", _("This role is granted over a station."))
        return {"scope_kind": kind, "station": target}
    if target is not None:
        raise ValidationFailed("invalid_scope", _("This role applies to the holder only and takes no scope."))
    return {"scope_kind": kind}


def _target_path(fields: dict[str, Any], user: Any) -> str | None:
    if "division" in fields:
        return fields["division"].path
    if "station" in fields:
        return fields["station"].street.path
    if "organization" in fields:
        return fields["organization"].division.path
    person = Person.objects.filter(user=user).select_related("division").first()
    return person.division.path if person else None


def _check_may_grant(scope: Scope, role: str, path: str | None) -> None:
    if scope.is_superuser:
        return
    allowed = set().union(*(GRANTABLE_BY.get(r, frozenset()) for r in scope.roles)) if scope.roles else set()
    if role not in allowed:
        raise PermissionDenied("cannot_grant_role", _("You may not grant this role."))
    if path is None or not scope.covers_path(path, scope.admin_paths):
        raise PermissionDenied("scope_outside_yours", _("You may only grant roles within your own area."))


@transaction.atomic
def role_grant(*, actor: Any, scope: Scope, user: Any, role: str, target: Any = None) -> RoleGrant:
    if role not in Role.values:
        raise ValidationFailed("invalid_role", _("Unknown role."))
    fields = _resolve_scope_target(role, target)
    _check_may_grant(scope, role, _target_path(fields, user))
    existing = RoleGrant.objects.filter(user=user, role=role, revoked_at__isnull=True, **{
        k: v for k, v in fields.items() if k != "scope_kind"
    })
    if existing.exists():
        raise Conflict("role_exists", _("This user already holds this role over this scope."))
    grant = RoleGrant(user=user, role=role, granted_by=actor if getattr(actor, "pk", None) else None, **fields)
    grant.full_clean(validate_constraints=False)
    grant.save()
    audit_log(actor=actor, action="role.grant", obj=grant,
              after={"user": user.pk, "role": role, "scope": grant.scope_label})
    return grant


@transaction.atomic
def role_revoke(*, actor: Any, scope: Scope, grant: RoleGrant) -> RoleGrant:
    locked = (
        RoleGrant.objects.select_for_update(of=("self",))
        .select_related("division", "organization__division", "station__street")
        .get(pk=grant.pk)
    )
    fields = {k: getattr(locked, k) for k in ("division", "organization", "station") if getattr(locked, k) is not None}
    _check_may_grant(scope, locked.role, _target_path(fields, locked.user))
    if locked.revoked_at is not None:
        return locked  # already revoked: a repeated request is not an error
    if getattr(actor, "pk", None) == locked.user_id and locked.role in (Role.CITY_ADMIN, Role.DISTRICT_ADMIN):
        raise PermissionDenied("cannot_revoke_own_admin", _("You cannot revoke your own administrator role."))
    locked.revoked_at = timezone.now()
    locked.revoked_by = actor
    locked.save(update_fields=["revoked_at", "revoked_by"])
    audit_log(actor=actor, action="role.revoke", obj=locked, before={"role": locked.role, "scope": locked.scope_label})
    return locked


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, actor: Any, user: Any, name: str) -> tuple[ApiToken, str]:
    """Returns the token row and the secret, which is never stored and shown only this once."""
    name = (name or "").strip()
    if not name:
        raise field_error("name", "name_required", _("A name is required."))
    secret = "sl_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=secret[:8], key_hash=token_hash(secret))
    audit_log(actor=actor, action="api_token.create", obj=token, after={"user": user.pk, "name": name})
    return token, secret


@transaction.atomic
def api_token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    if token.user_id != getattr(actor, "pk", None) and not getattr(actor, "is_superuser", False):
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_log(actor=actor, action="api_token.revoke", obj=token)
    return token


@transaction.atomic
def account_make_superuser(*, actor: Any, user: Any) -> Any:
    """Staff and superuser flags for an operator account (Django admin access)."""
    User = get_user_model()
    User.objects.filter(pk=user.pk).update(is_superuser=True, is_staff=True)
    user.is_superuser = user.is_staff = True
    audit_log(actor=actor, action="account.superuser", obj=user, after={"is_superuser": True, "is_staff": True})
    return user


@transaction.atomic
def reveal_permission_grant(*, actor: Any, user: Any) -> Any:
    """Allow a user to read unmasked resident IDs and phones (each read is still logged)."""
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(content_type__app_label="people", codename="reveal_sensitive"))
    audit_log(actor=actor, action="permission.grant", obj=user, after={"permission": "people.reveal_sensitive"})
    return user


def token_user(token: str) -> Any:
    """The active user whose unrevoked API token this is, or None; notes the token's use (at most once a minute)."""
    row = ApiToken.objects.select_related("user").filter(key_hash=token_hash(token), revoked_at__isnull=True).first()
    if row is None or not row.user.is_active:
        return None
    now = timezone.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
