"""Residents sign in with their phone number and password: the phone's blind index finds their person record and
its login (no phone is stored in clear). Staff keep signing in with their user name (Django's ModelBackend)."""

from __future__ import annotations

from typing import Any

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
