"""A login an administrator made signs in once with the password it was handed, then must choose its own: until
then every page but the password page (and signing out) leads there. Whether it must is read once, at sign-in,
into the session (no query on every request)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

SESSION_KEY = "must_change_password"


def note_at_sign_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """(user_logged_in) Remember in the session whether this login must change its password first."""
    from .services import must_change_password

    if must_change_password(user):
        request.session[SESSION_KEY] = True
    else:
        request.session.pop(SESSION_KEY, None)


class ForcePasswordChangeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.get(SESSION_KEY) and request.path not in (
                reverse("accounts:password_change"), reverse("logout")) and not request.path.startswith(("/static/", "/i18n/")):
            return redirect("accounts:password_change")
        return self.get_response(request)
