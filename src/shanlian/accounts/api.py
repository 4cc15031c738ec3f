"""Signing in from an app (the WeChat mini-program): credentials for an API token, and signing out (the token revoked).
Each way of signing in is a `LoginProvider` (accounts.login); failures are counted and locked out by django-axes as on
the login page (SHANLIAN_LOGIN_FAILURE_LIMIT failures of one phone from one address)."""

from __future__ import annotations

from typing import Any

from ninja import Field, Router, Schema, Status

from shanlian.core.schemas import ApiRequest, errors
from shanlian.people.models import ApiToken
from shanlian.people.services import api_token_revoke, token_hash

from . import services
from .login import PROVIDERS, login_provider

router = Router(tags=["sign-in"])


class TokenIn(Schema):
    provider: str = Field("phone_password", max_length=32, description="How the person signs in: "
                          + ", ".join(sorted(PROVIDERS)) + ".")
    phone: str = Field("", max_length=32, description="The phone number the resident signed up with.",
                       examples=["13912345678"])
    password: str = Field("", max_length=128)
    client: str = Field("", max_length=40, description="A name for the device or app, shown in the person's list of tokens.",
                        examples=["wechat-miniprogram"])


class TokenOut(Schema):
    token: str = Field(..., description="Send it as `Authorization: Bearer <token>`. Shown only this once; it stays "
                       "valid until signed out (or revoked).")
    token_type: str = Field("Bearer")
    username: str
    display_name: str


class SignedOutOut(Schema):
    revoked: bool = Field(..., description="False when the call was signed in by a session, not a token.")


@router.post("/token", auth=None, response={201: TokenOut, **errors(400, 401, 403, 429)}, summary="Sign in: an API token")
def token_create(request: ApiRequest, payload: TokenIn) -> Any:
    """Exchanges a resident's phone number and password for an API token (no session, no CSRF). A wrong phone or
    password is 401 `invalid_credentials` and counts as a failed sign-in; after SHANLIAN_LOGIN_FAILURE_LIMIT of them for
    one phone from one address, 429 `login_locked` (even with the right password) until the cool-off has passed. A
    login an administrator made must first choose its own password on the website: 403 `password_change_required`."""
    provider = login_provider(payload.provider)
    user, _token, secret = services.token_sign_in(request=request, provider=provider, client=payload.client,
                                                  credentials={"phone": payload.phone, "password": payload.password})
    return Status(201, {"token": secret, "token_type": "Bearer", "username": user.get_username(),
                 "display_name": user.get_full_name() or user.first_name or user.get_username()})


@router.post("/signout", response={200: SignedOutOut, **errors(401)}, summary="Sign out: revoke this token")
def token_signout(request: ApiRequest) -> Any:
    """Revokes the bearer token this request was sent with; it stops working at once."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, secret = header.partition(" ")
    row = None
    if scheme.lower() == "bearer" and secret.strip():
        row = ApiToken.objects.filter(key_hash=token_hash(secret.strip()), user=request.auth, revoked_at__isnull=True).first()
    if row is not None:
        api_token_revoke(actor=request.auth, token=row)
    return {"revoked": row is not None}
