"""How an app signs a person in, behind one small interface: a `LoginProvider` turns what the app sends into a user or
refuses. Today residents sign in with their phone and password (`PhonePasswordLogin`, through Django's
authentication, so django-axes counts the failures and locks as on the login page); WeChat's wx.login (a code the
server exchanges for the user's openid) or a text-message code is another class with the same `sign_in`, registered in
`PROVIDERS`, and the token endpoint does not change."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from shanlian.core.errors import DomainError, ValidationFailed, field_error

from .services import phone_in


class InvalidCredentials(DomainError):
    status = 401
    default_code = "invalid_credentials"

    def default_message(self) -> Any:
        return _("The phone number or the password is not right.")


class LoginLocked(DomainError):
    status = 429
    default_code = "login_locked"

    def default_message(self) -> Any:
        return _("This account is locked for a while from this address. Please try again later or ask your administrator.")


class LoginProvider(Protocol):
    name: str

    def sign_in(self, request: HttpRequest, credentials: Mapping[str, Any]) -> Any:
        """The active user these credentials belong to; otherwise a DomainError: `invalid_credentials` (401),
        `login_locked` (429) after too many failures, or a field error for input that is not even well formed."""


class PhonePasswordLogin:
    """A resident's phone number (as typed: spaces, +86, full-width digits) and password. Django's `authenticate`
    runs the same backends as the login page: django-axes refuses a locked phone and address and counts a failure,
    PhoneBackend finds the login by the phone's blind index."""

    name = "phone_password"

    def sign_in(self, request: HttpRequest, credentials: Mapping[str, Any]) -> Any:
        phone = phone_in(credentials.get("phone"))
        password = credentials.get("password")
        if not isinstance(password, str) or not password:
            raise field_error("password", "required", _("This field is required."))
        user = authenticate(request, username=phone, password=password)
        if getattr(request, "axes_locked_out", False):
            # Answered here in the API's shape; axes' middleware would otherwise replace the answer with its page.
            request.axes_locked_out = False  # type: ignore[attr-defined]
            raise LoginLocked()
        if user is None:
            raise InvalidCredentials()
        return user


PROVIDERS: dict[str, LoginProvider] = {PhonePasswordLogin.name: PhonePasswordLogin()}


def login_provider(name: str) -> LoginProvider:
    provider = PROVIDERS.get(name)
    if provider is None:
        raise ValidationFailed("unknown_login_provider", _("This way of signing in is not offered."),
                               fields={"provider": [("unknown_login_provider", _("This way of signing in is not offered."))]})
    return provider
