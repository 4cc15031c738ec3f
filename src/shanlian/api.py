"""The HTTP API: django-ninja, OpenAPI at /api/openapi.json, bearer tokens for machines and the
session for pages. Domain errors become JSON bodies with a code and messages in Chinese and English."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from shanlian.core.errors import DomainError, ValidationFailed


class TokenAuth(HttpBearer):
    """`Authorization: Bearer sl_...`: a machine's token, looked up by its SHA-256."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_user(token)
        if user is not None:
            request.user = user
        return user


def token_user(token: str) -> Any:
    """The active user whose unrevoked API token this is, or None; notes the token's use (at most once a minute)."""
    from shanlian.people.models import ApiToken
    from shanlian.people.services import token_hash

    row = ApiToken.objects.select_related("user").filter(key_hash=token_hash(token), revoked_at__isnull=True).first()
    if row is None or not row.user.is_active:
        return None
    now = timezone.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


class SessionAuth(NinjaSessionAuth):
    """The session of a signed-in page, CSRF-checked. A request with no session cookie has nothing for CSRF to
    protect: it is simply not signed in, so a machine whose token failed gets 401 `not_authenticated` (not a
    CSRF refusal, which is what a real server answered before: the test client skips CSRF)."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)


class ReadableJSONRenderer(JSONRenderer):
    """Chinese stays readable in answers: UTF-8 text rather than \\u escapes."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    renderer=ReadableJSONRenderer(),
    title="Shanlian API",
    version="1",
    description="善联 Shanlian: divisions, organizations, stations, people. Every answer is scoped to the caller's roles; "
    "personal identifiers are masked.",
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields: dict[str, list[Any]] = {}
    for err in exc.errors:
        loc = ".".join(str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload"))
        fields.setdefault(loc or "request", []).append((err.get("type", "invalid"), err.get("msg", "")))
    wrapped = ValidationFailed("invalid_request", _("The request is not valid."), fields=fields)
    return api.create_response(request, wrapped.as_dict(), status=400)


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    err = DomainError("not_authenticated", _("Sign in or send a valid API token."))
    return api.create_response(request, err.as_dict(), status=401)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    err = DomainError("http_error", str(exc))
    return api.create_response(request, err.as_dict(), status=exc.status_code)


def _register_routers() -> None:
    from shanlian.charity.api import router as charity_router
    from shanlian.orgs.api import router as orgs_router
    from shanlian.people.api import me_router
    from shanlian.people.api import router as people_router
    from shanlian.places.api import router as places_router
    from shanlian.timebank.api import router as timebank_router

    api.add_router("/divisions", places_router)
    api.add_router("/", orgs_router)
    api.add_router("/people", people_router)
    api.add_router("/", me_router)
    api.add_router("/charity", charity_router)
    api.add_router("/timebank", timebank_router)


_register_routers()
