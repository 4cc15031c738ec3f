"""Every write about logins: codes sent to phones, residents signing up, passwords reset and changed, staff
accounts made by administrators (who hand over a first password that must be changed), accounts deactivated."""

from __future__ import annotations

import hmac
import secrets
import string
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core import crypto
from shanlian.core.audit import audit_log
from shanlian.core.conf import domain_setting
from shanlian.core.errors import Conflict, PermissionDenied, ValidationFailed, field_error, lazy_format
from shanlian.core.idempotency import key_lock
from shanlian.core.identifiers import clean_phone
from shanlian.core.inputs import model_text, text_in
from shanlian.core.scoping import Role, Scope
from shanlian.people import services as people_services
from shanlian.people.models import Person, RoleGrant
from shanlian.places.models import Division, Level

from .messaging import sms
from .models import CodePurpose, LoginState, OneTimeCode


def phone_in(value: Any) -> str:
    """A mainland phone number as typed (spaces, +86, full-width digits), in national digits, or a field error."""
    try:
        return clean_phone(text_in(value, field="phone", max_length=32, required=True))
    except ValidationFailed as exc:
        raise field_error("phone", exc.code, exc.message) from None


def _code_hash(phone: str, purpose: str, code: str) -> str:
    return crypto.blind_index(f"{purpose}:{phone}:{code}", purpose="one_time_code")


@transaction.atomic
def code_send(*, phone: str, purpose: str) -> None:
    """Send a 6-digit code to a phone for signing up or resetting a password. At most SHANLIAN['OTP_PER_HOUR'] codes a
    phone an hour. For a reset, a phone with no account is answered the same way and gets nothing (the page does not
    tell who has an account)."""
    if purpose not in CodePurpose.values:
        raise ValidationFailed("invalid_purpose", _("Unknown purpose."))
    phone = phone_in(phone)
    phone_hash = crypto.blind_index(phone, purpose="phone")
    key_lock("accounts.code", phone_hash)
    now = timezone.now()
    recent = OneTimeCode.objects.filter(phone_hash=phone_hash, created_at__gte=now - timedelta(hours=1)).count()
    if recent >= int(domain_setting("OTP_PER_HOUR")):
        raise ValidationFailed("too_many_codes", lazy_format(
            _("At most %(n)s codes an hour are sent to one phone; try again later."), {"n": domain_setting("OTP_PER_HOUR")}))
    has_account = Person.objects.filter(phone_hash=phone_hash, user__isnull=False, user__is_active=True).exists()
    if purpose == CodePurpose.SIGNUP and has_account:
        raise Conflict("phone_registered", _("This phone number already has an account: sign in, or reset the password."),
                       fields={"phone": [("phone_registered", _("This phone number already has an account."))]})
    code = "".join(secrets.choice(string.digits) for _ in range(6))
    ttl = int(domain_setting("OTP_TTL_MINUTES"))
    OneTimeCode.objects.create(phone_hash=phone_hash, purpose=purpose, code_hash=_code_hash(phone, purpose, code),
                               expires_at=now + timedelta(minutes=ttl))
    if purpose == CodePurpose.RESET and not has_account:
        return
    text = str(lazy_format(_("Your Shanlian code is %(code)s, valid for %(ttl)s minutes. Do not tell anyone."),
                           {"code": code, "ttl": ttl}))
    transaction.on_commit(lambda: sms().send(phone=phone, text=text))


def _code_check(*, phone: str, purpose: str, code: Any) -> None:
    """The phone's newest live code of this purpose matches (used once; a few tries, then it is spent)."""
    wrong = field_error("code", "invalid_code", _("The code is wrong or has expired; ask for a new one."))
    typed = text_in(code, field="code", max_length=12).replace(" ", "")
    phone_hash = crypto.blind_index(phone, purpose="phone")
    row = (OneTimeCode.objects.select_for_update().filter(
        phone_hash=phone_hash, purpose=purpose, used_at__isnull=True, expires_at__gt=timezone.now()).order_by("-created_at").first())
    if row is None or row.attempts >= int(domain_setting("OTP_MAX_ATTEMPTS")):
        raise wrong
    if not hmac.compare_digest(row.code_hash, _code_hash(phone, purpose, typed)):
        raise wrong  # (the caller counts the try in a transaction of its own: this one rolls back)
    OneTimeCode.objects.filter(pk=row.pk).update(used_at=timezone.now(), attempts=row.attempts + 1)


def _count_failed_try(phone: str, purpose: str) -> None:
    """A wrong code is counted in its own transaction, so the error that follows cannot undo the count."""
    phone_hash = crypto.blind_index(phone, purpose="phone")
    row = (OneTimeCode.objects.filter(phone_hash=phone_hash, purpose=purpose, used_at__isnull=True,
                                      expires_at__gt=timezone.now()).order_by("-created_at").first())
    if row is not None:
        OneTimeCode.objects.filter(pk=row.pk).update(attempts=row.attempts + 1)


def _password_in(user: Any, password: Any, field: str = "password") -> str:
    password = password if isinstance(password, str) else ""
    if "\x00" in password or len(password) > 128:
        raise field_error(field, "invalid_password", _("A password has at most 128 characters and no NUL."))
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed("weak_password", _("The password is too weak."),
                               fields={field: [("weak_password", m) for m in exc.messages]}) from None
    return password


def _username_for_resident() -> str:
    """Residents sign in with their phone; their user name is made up (a phone number is not stored in clear)."""
    User = get_user_model()
    while True:
        name = "r" + "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(9))
        if not User.objects.filter(username=name).exists():
            return name


def resident_signup(*, phone: Any, code: Any, real_name: Any, community: Division, password: Any) -> Any:
    """A resident signs up with a phone and its code: a login, their person record in their community (the one a
    station registered with this phone, if there is one without a login), and the volunteer and donor roles."""
    phone = phone_in(phone)
    real_name = model_text(Person, "real_name", real_name, required=True)
    if community.level != Level.COMMUNITY:
        raise field_error("community", "not_a_community", _("Choose the community you live in."))
    User = get_user_model()
    try:
        with transaction.atomic():
            _code_check(phone=phone, purpose=CodePurpose.SIGNUP, code=code)
            return _signup(User, phone=phone, real_name=real_name, community=community, password=password)
    except ValidationFailed as exc:
        if exc.code == "invalid_code":
            with transaction.atomic():
                _count_failed_try(phone, CodePurpose.SIGNUP)
        raise


def _signup(User: Any, *, phone: str, real_name: str, community: Division, password: Any) -> Any:
    phone_hash = crypto.blind_index(phone, purpose="phone")
    key_lock("accounts.signup", phone_hash)
    person = Person.objects.select_for_update().filter(phone_hash=phone_hash).order_by("id").first()
    if person is not None and person.user_id is not None:
        raise Conflict("phone_registered", _("This phone number already has an account: sign in, or reset the password."))
    user = User(username=_username_for_resident(), first_name=real_name)
    user.set_password(_password_in(user, password))
    user.save()
    if person is None:
        person = people_services.person_create(actor=user, real_name=real_name, division=community, phone=phone, user=user)
    else:
        Person.objects.filter(pk=person.pk).update(user=user)
    for role in (Role.VOLUNTEER, Role.DONOR):
        RoleGrant.objects.create(user=user, role=role, scope_kind="self")
    LoginState.objects.create(user=user, must_change_password=False, password_changed_at=timezone.now())
    audit_log(actor=user, action="account.signup", obj=person, after={"user": user.pk})
    return user


def password_reset(*, phone: Any, code: Any, password: Any) -> Any:
    """A new password for the login of the person with this phone, after the code sent to it."""
    phone = phone_in(phone)
    try:
        with transaction.atomic():
            _code_check(phone=phone, purpose=CodePurpose.RESET, code=code)
            person = (Person.objects.select_related("user").filter(
                phone_hash=crypto.blind_index(phone, purpose="phone"), user__isnull=False, user__is_active=True).first())
            if person is None or person.user is None:
                raise field_error("code", "invalid_code", _("The code is wrong or has expired; ask for a new one."))
            user = person.user
            user.set_password(_password_in(user, password))
            user.save(update_fields=["password"])
            LoginState.objects.update_or_create(user=user, defaults={"must_change_password": False,
                                                                     "password_changed_at": timezone.now()})
            audit_log(actor=user, action="account.password_reset", obj=person)
            return user
    except ValidationFailed as exc:
        if exc.code == "invalid_code":
            with transaction.atomic():
                _count_failed_try(phone, CodePurpose.RESET)
        raise


@transaction.atomic
def password_change(*, user: Any, old_password: Any, new_password: Any) -> Any:
    if not isinstance(old_password, str) or not user.check_password(old_password):
        raise field_error("old_password", "wrong_password", _("The current password is not right."))
    if old_password == new_password:
        raise field_error("new_password", "same_password", _("Choose a password other than the current one."))
    user.set_password(_password_in(user, new_password, field="new_password"))
    user.save(update_fields=["password"])
    LoginState.objects.update_or_create(user=user, defaults={"must_change_password": False, "password_changed_at": timezone.now()})
    audit_log(actor=user, action="account.password_change", obj=user)
    return user


def _require_admin_over(scope: Scope, person: Person) -> None:
    if not (scope.is_superuser or (scope.roles & {Role.CITY_ADMIN, Role.DISTRICT_ADMIN}
                                   and scope.covers_path(person.division.path, scope.admin_paths))):
        raise PermissionDenied("not_admin", _("Only an administrator of the person's area manages their login."))


def first_password() -> str:
    """A password an administrator hands over (read out or on paper) for the first sign-in: easy to type, not to guess."""
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


@transaction.atomic
def staff_account_create(*, actor: Any, scope: Scope, person: Person, username: Any, role: str, target: Any = None) -> tuple[Any, str]:
    """An administrator makes a login for a person in their area (a new social worker), grants its role, and gets a
    first password to hand over; at the first sign-in the new colleague must choose their own."""
    _require_admin_over(scope, person)
    username = text_in(username, field="username", max_length=150, required=True)
    password = first_password()
    user = people_services.account_create(actor=actor, person=person, username=username, password=password)
    people_services.role_grant(actor=actor, scope=scope, user=user, role=role, target=target)
    LoginState.objects.create(user=user, must_change_password=True)
    audit_log(actor=actor, action="account.staff_create", obj=person, after={"username": username, "role": role})
    return user, password


@transaction.atomic
def account_deactivate(*, actor: Any, scope: Scope, person: Person) -> Any:
    """A login stops working (a colleague left): kept for the record, its roles and tokens stay as they were."""
    _require_admin_over(scope, person)
    user = person.user
    if user is None:
        raise Conflict("no_account", _("This person has no login account."))
    if user.pk == getattr(actor, "pk", None):
        raise Conflict("cannot_deactivate_self", _("You cannot deactivate your own account."))
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
        audit_log(actor=actor, action="account.deactivate", obj=person, after={"user": user.pk})
    return user


@transaction.atomic
def account_reactivate(*, actor: Any, scope: Scope, person: Person) -> tuple[Any, str]:
    """Back in use with a new first password, to be changed at the next sign-in."""
    _require_admin_over(scope, person)
    user = person.user
    if user is None:
        raise Conflict("no_account", _("This person has no login account."))
    password = first_password()
    user.is_active = True
    user.set_password(password)
    user.save(update_fields=["is_active", "password"])
    LoginState.objects.update_or_create(user=user, defaults={"must_change_password": True})
    audit_log(actor=actor, action="account.reactivate", obj=person, after={"user": user.pk})
    return user, password


def must_change_password(user: Any) -> bool:
    return LoginState.objects.filter(user=user, must_change_password=True).exists()


def token_sign_in(*, request: Any, provider: Any, credentials: Any, client: Any = "") -> tuple[Any, Any, str]:
    """An app signs a person in: the provider checks the credentials (and counts failures), then a new API token for
    the user, its secret returned once. A login that must first choose its own password gets no token (403
    `password_change_required`), as it could open no page either. Returns (user, token, secret)."""
    client = text_in(client, field="client", max_length=40)
    user = provider.sign_in(request, credentials)
    if must_change_password(user):
        raise PermissionDenied("password_change_required",
                               _("Choose your own password on the website first, then sign in here with it."))
    with transaction.atomic():
        token, secret = people_services.api_token_create(actor=user, user=user, name=f"app:{provider.name} {client}".strip())
        audit_log(actor=user, action="account.token_sign_in", obj=token, after={"provider": provider.name})
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    return user, token, secret
