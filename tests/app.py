"""An app for the API tests: a resident who signed up (phone, password, the volunteer and donor roles), signed in
through POST /api/auth/token, calling the API with the bearer token and nothing else (no session)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client

from shanlian.core.scoping import Role
from shanlian.people.models import Person, RoleGrant
from shanlian.people.services import api_token_create

from . import factories as f

PASSWORD = "Gz-resident-2026"


def resident(username: str, name: str, community: Any, *, phone: str, roles: tuple[str, ...] = (Role.VOLUNTEER, Role.DONOR)) -> Any:
    """A resident's login as sign-up makes it: a person in their community with this phone, the roles of residents."""
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, first_name=name)
    person = f.person(name, community, phone=phone)
    Person.objects.filter(pk=person.pk).update(user=user)
    for role in roles:
        RoleGrant.objects.create(user=user, role=role, scope_kind="self")
    return user


class App:
    """A client that sends `Authorization: Bearer <token>` (or nothing: `App()` is anonymous)."""

    def __init__(self, token: str | None = None) -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api{path}", params, **self.headers)

    def post(self, path: str, body: Any = None, *, key: str | None = None) -> Any:
        extra = dict(self.headers)
        if key is not None:
            extra["HTTP_IDEMPOTENCY_KEY"] = key
        return self.client.post(f"/api{path}", json.dumps(body if body is not None else {}), content_type="application/json",
                                **extra)


def sign_in(phone: str, password: str = PASSWORD) -> App:
    """The app's sign-in: phone and password for a token."""
    resp = App().post("/auth/token", {"phone": phone, "password": password, "client": "test-app"})
    assert resp.status_code == 201, resp.content.decode()
    return App(resp.json()["token"])


def app_of(user: Any) -> App:
    """An app signed in as `user` (a token made for them), for logins without a phone (staff)."""
    return App(api_token_create(actor=None, user=user, name="test")[1])


def code(resp: Any) -> str:
    return str(resp.json()["code"])
