"""Signing in from an app: phone and password for an API token (POST /api/auth/token), failures counted and locked out
by django-axes as on the login page, and signing out (the token revoked)."""

from __future__ import annotations

import pytest

from shanlian.accounts.login import PROVIDERS, LoginProvider
from shanlian.accounts.models import LoginState
from shanlian.people.models import ApiToken
from tests.app import PASSWORD, App, code, resident, sign_in

pytestmark = pytest.mark.django_db

PHONE = "13800138001"


@pytest.fixture
def someone(city):
    return resident("linxh", "林晓红", city.communities["都府"], phone=PHONE)


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3


def token(body: dict):
    return App().post("/auth/token", body)


def test_phone_and_password_give_a_token_that_signs_in(someone):
    resp = token({"phone": "+86 138 0013 8001", "password": PASSWORD, "client": "wechat-miniprogram"})
    assert resp.status_code == 201
    body = resp.json()
    assert body["token"].startswith("sl_") and body["token_type"] == "Bearer" and body["display_name"] == "林晓红"
    row = ApiToken.objects.get(user=someone)
    assert row.name == "app:phone_password wechat-miniprogram" and body["token"] not in row.key_hash
    me = App(body["token"]).get("/me")
    assert me.status_code == 200 and me.json()["username"] == "linxh"
    assert "sessionid" not in resp.cookies  # a token, not a session
    someone.refresh_from_db()
    assert someone.last_login is not None


@pytest.mark.parametrize(("body", "status", "expected"), [
    ({"phone": PHONE, "password": "wrong-password"}, 401, "invalid_credentials"),
    ({"phone": "13900000000", "password": PASSWORD}, 401, "invalid_credentials"),
    ({"phone": "12345", "password": PASSWORD}, 400, "invalid_phone"),
    ({"phone": PHONE}, 400, "required"),
    ({"password": PASSWORD}, 400, "required"),
    ({"phone": PHONE, "password": PASSWORD, "provider": "wechat"}, 400, "unknown_login_provider"),
    ({"phone": PHONE, "password": "a\x00b"}, 400, "nul_character"),
    ({"phone": PHONE, "password": "p" * 129}, 400, "invalid_request"),
    ({"phone": "1" * 33, "password": PASSWORD}, 400, "invalid_request"),
    ({"phone": PHONE, "password": PASSWORD, "client": "c" * 41}, 400, "invalid_request"),
    ({"phone": 13800138001, "password": PASSWORD}, 400, "invalid_request"),
])
def test_wrong_or_bad_credentials_get_no_token(someone, body, status, expected):
    resp = token(body)
    assert resp.status_code == status and code(resp) == expected, resp.content
    assert not ApiToken.objects.exists()


def test_failures_are_counted_and_locked_like_the_login_page(someone, city, axes_on):
    resident("zhangm", "张敏", city.communities["西湖"], phone="13800138002")
    for _ in range(2):
        assert code(token({"phone": PHONE, "password": "wrong-password"})) == "invalid_credentials"
    resp = token({"phone": PHONE, "password": "wrong-password"})
    assert resp.status_code == 429 and code(resp) == "login_locked" and resp["Content-Type"] == "application/json; charset=utf-8"
    assert resp.json()["message_en"].startswith("This account is locked")
    # Locked: even the right password is refused, in the API's shape (not axes' page).
    resp = token({"phone": PHONE, "password": PASSWORD})
    assert resp.status_code == 429 and code(resp) == "login_locked"
    assert not ApiToken.objects.exists()
    # Another phone from the same address is not locked.
    assert token({"phone": "13800138002", "password": PASSWORD}).status_code == 201


def test_a_phone_counts_as_one_name_however_typed_and_axes_keeps_no_phone(someone, axes_on):
    from axes.models import AccessAttempt, AccessFailureLog

    for typed in ("13800138001", "+86 138 0013 8001", "１３８００１３８００１"):  # plain, spaced with the country code, full width
        token({"phone": typed, "password": "wrong-password"})
    assert code(token({"phone": PHONE, "password": PASSWORD})) == "login_locked"
    names = set(AccessAttempt.objects.values_list("username", flat=True)) | set(
        AccessFailureLog.objects.values_list("username", flat=True))
    assert len(AccessAttempt.objects.values_list("username", flat=True).distinct()) == 1
    assert names and all(n.startswith("phone:") and "138" not in n for n in names)


def test_a_success_resets_the_failures_of_every_spelling(someone, axes_on):
    from axes.models import AccessAttempt

    for typed in ("13800138001", "+86 138 0013 8001"):
        token({"phone": typed, "password": "wrong-password"})
    assert token({"phone": "+86-138-0013-8001", "password": PASSWORD}).status_code == 201
    assert not AccessAttempt.objects.filter(failures_since_start__gt=0).exists()


def test_a_login_that_must_change_its_password_or_is_deactivated_gets_no_token(someone):
    LoginState.objects.create(user=someone, must_change_password=True)
    resp = token({"phone": PHONE, "password": PASSWORD})
    assert resp.status_code == 403 and code(resp) == "password_change_required"
    LoginState.objects.filter(user=someone).update(must_change_password=False)
    someone.is_active = False
    someone.save(update_fields=["is_active"])
    assert code(token({"phone": PHONE, "password": PASSWORD})) == "invalid_credentials"
    assert not ApiToken.objects.exists()


def test_signing_out_revokes_the_token(someone, client):
    app = sign_in(PHONE)
    other = sign_in(PHONE)  # a second device
    resp = app.post("/auth/signout")
    assert resp.status_code == 200 and resp.json() == {"revoked": True}
    assert app.get("/me").status_code == 401 and app.post("/auth/signout").status_code == 401
    assert other.get("/me").status_code == 200
    assert App().post("/auth/signout").status_code == 401
    client.force_login(someone)
    resp = client.post("/api/auth/signout", "{}", content_type="application/json")
    assert resp.status_code == 200 and resp.json() == {"revoked": False}


def test_providers_are_behind_one_interface():
    assert set(PROVIDERS) == {"phone_password"}
    assert all(isinstance(p.name, str) and callable(p.sign_in) for p in PROVIDERS.values())
    provider: LoginProvider = PROVIDERS["phone_password"]
    assert provider.name == "phone_password"


def test_openapi_documents_sign_in(client, db):
    doc = client.get("/api/openapi.json").json()
    op = doc["paths"]["/api/auth/token"]["post"]
    assert "security" not in op or op["security"] in ([], [{}])
    assert {"201", "400", "401", "403", "429"} <= set(op["responses"])
    assert doc["paths"]["/api/auth/signout"]["post"]["security"] == [{"TokenAuth": []}, {"SessionAuth": []}]
