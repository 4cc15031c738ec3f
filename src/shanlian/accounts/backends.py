"""Residents sign in with their phone number and password: the phone's blind index finds their person record and
its login (no phone is stored in clear). Staff keep signing in with their user name (Django's ModelBackend)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend

from shanlian.core import crypto
from shanlian.core.errors import ValidationFailed
from shanlian.core.identifiers import clean_phone
from shanlian.people.models import Person


class PhoneBackend(ModelBackend):
    def authenticate(self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any) -> Any:
        if not username or not password or not any(ch.isdigit() for ch in username[:4]):
            return None
        try:
            phone = clean_phone(username)
        except ValidationFailed:
            return None
        person = (Person.objects.select_related("user")
                  .filter(phone_hash=crypto.blind_index(phone, purpose="phone"), user__isnull=False).first())
        user = person.user if person is not None else None
        if user is not None and user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def axes_username(request: Any, credentials: dict[str, Any] | None = None) -> str:
    """The name django-axes counts sign-in failures under (AXES_USERNAME_CALLABLE). A phone number, however it is
    typed ("+86 138 0013 8001", "13800138001", full-width digits), is one name, its blind index: a different spelling
    neither escapes the lockout nor misses the reset on success, and axes' tables keep no phone in clear. A user name
    is counted as typed."""
    source = credentials or getattr(request, "POST", None) or {}
    typed = str(source.get("username") or "")
    if typed and any(ch.isdigit() for ch in typed[:4]):
        try:
            return _phone_key(crypto.blind_index(clean_phone(typed), purpose="phone"))
        except ValidationFailed:
            pass
    return typed


def _phone_key(phone_hash: str) -> str:
    return "phone:" + phone_hash[:24]


def reset_phone_failures(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """On a successful sign-in (user_logged_in), also forget the failures counted under the user's phone: axes
    resets those under the user name it is told, which for a resident who typed their phone is not the name
    the failures were counted under."""
    if not getattr(settings, "AXES_ENABLED", True):
        return
    phone_hash = Person.objects.filter(user=user).exclude(phone_hash="").values_list("phone_hash", flat=True).first()
    if phone_hash:
        from axes.utils import reset

        reset(username=_phone_key(phone_hash))
