"""The HTTP API: django-ninja, OpenAPI at /api/openapi.json, bearer tokens for machines and the
session for pages. Domain errors become JSON bodies with a code and messages in Chinese and English."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

import shanlian.core.converters  # noqa: F401  (the `{id:...}` path converter of the routers)
from shanlian.core.errors import DomainError, ValidationFailed, lazy_format
from shanlian.core.inputs import find_bad_text
from shanlian.core.middleware import TooLarge


class TokenAuth(HttpBearer):
    """`Authorization: Bearer sl_...`: a machine's token, looked up by its SHA-256."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from shanlian.people.services import token_user  # people's models: loaded once the apps are

        user = token_user(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(NinjaSessionAuth):
    """The session of a signed-in page, CSRF-checked. A request with no session cookie has nothing for CSRF to
    protect: it is simply not signed in, so a machine whose token failed gets 401 `not_authenticated` (not a
    CSRF refusal, which is what a real server answered before: the test client skips CSRF)."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)


class CheckedParser(Parser):
    """JSON bodies only, sent as JSON, with no NUL or control characters in any string: refused as a whole with
    a 4xx before an operation runs, except where an operation checks each item itself (PER_ITEM_TEXT_CHECKS)."""

    def parse_body(self, request: HttpRequest) -> Any:
        content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise UnsupportedMediaType()
        try:
            body = json.loads(request.body)
        except RequestDataTooBig:
            raise TooLarge() from None
        except (ValueError, UnicodeDecodeError):
            raise ValidationFailed("invalid_json", _("The body is not valid JSON.")) from None
        match = getattr(request, "resolver_match", None)
        if match is None or match.url_name not in PER_ITEM_TEXT_CHECKS:
            problem = find_bad_text(body)
            if problem is not None:
                raise ValidationFailed(problem[0], problem[1])
        return body


# A batch refuses one bad gift alone (services.batch checks every gift's text), so its body is not refused whole.
PER_ITEM_TEXT_CHECKS = {"donations_batch"}


class UnsupportedMediaType(DomainError):
    status = 415
    default_code = "unsupported_media_type"

    def default_message(self) -> Any:
        return _("Send the body as JSON (Content-Type: application/json).")


class ReadableJSONRenderer(JSONRenderer):
    """Chinese stays readable in answers: UTF-8 text rather than \\u escapes."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    renderer=ReadableJSONRenderer(),
    parser=CheckedParser(),
    title="Shanlian API",
    version="1",
    description="善联 Shanlian: divisions, organizations, stations, people, charity and the time bank; the donor's "
    "(/api/give) and the volunteer's (/api/timebank) journeys for apps such as a WeChat mini-program, which sign in at "
    "POST /api/auth/token. Every answer is scoped to the caller's roles; personal identifiers are masked.",
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
        fields.setdefault(loc or "request", []).append(_field_problem(err))
    wrapped = ValidationFailed("invalid_request", _("The request is not valid."), fields=fields)
    return api.create_response(request, wrapped.as_dict(), status=400)


def _field_problem(err: dict[str, Any]) -> tuple[str, Any]:
    """Pydantic's complaint about one field as our code and a message in the reader's language."""
    kind, ctx = err.get("type", "invalid"), err.get("ctx") or {}
    if kind == "missing":
        return "required", _("This field is required.")
    if kind == "string_too_long":
        return "too_long", lazy_format(_("At most %(max)s characters."), {"max": ctx.get("max_length")})
    if kind == "string_too_short":
        return "too_short", lazy_format(_("At least %(min)s characters."), {"min": ctx.get("min_length")})
    if kind in ("less_than_equal", "less_than", "greater_than", "greater_than_equal"):
        bound = ctx.get("le", ctx.get("lt", ctx.get("ge", ctx.get("gt"))))
        return "out_of_range", lazy_format(_("Out of range (limit %(limit)s)."), {"limit": bound})
    if kind.startswith(("int_", "float_", "decimal_")):
        return "invalid_number", _("Enter a whole number.") if kind.startswith("int_") else _("Enter a number.")
    if kind.startswith(("datetime_", "date_", "time_")):
        return "invalid_date", _("Enter a date (and time) such as 2026-09-05T10:23:11+08:00.")
    if kind in ("literal_error", "enum"):
        return "invalid_choice", lazy_format(_("Choose one of: %(choices)s."), {"choices": ctx.get("expected", "")})
    return kind, _("This value is not valid here.")


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    err = DomainError("not_authenticated", _("Sign in or send a valid API token."))
    return api.create_response(request, err.as_dict(), status=401)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, DomainError):  # CheckedParser's refusal, which Ninja wraps as "Cannot parse request body"
        return _domain_error(request, exc.__cause__)
    err = DomainError("http_error", str(exc))
    return api.create_response(request, err.as_dict(), status=exc.status_code)


def _register_routers() -> None:
    from shanlian.accounts.api import router as auth_router
    from shanlian.cases import api_cycle  # noqa: F401  (the case cycle's operations, on the cases router)
    from shanlian.cases.api import router as cases_router
    from shanlian.charity.api import router as charity_router
    from shanlian.charity.api_give import router as give_router
    from shanlian.evaluation.api import router as evaluation_router
    from shanlian.grants.api_agreements import router as grants_agreements_router
    from shanlian.grants.api_people import router as grants_people_router
    from shanlian.grants.api_projects import router as grants_projects_router
    from shanlian.grants.api_public import router as grants_public_router
    from shanlian.grants.api_staff import router as grants_staff_router
    from shanlian.groupwork.api import router as groupwork_router
    from shanlian.orgs.api import router as orgs_router
    from shanlian.people.api import me_router
    from shanlian.people.api import router as people_router
    from shanlian.places.api import router as places_router
    from shanlian.reports.api import router as reports_router
    from shanlian.resources import api_partner  # noqa: F401  (the partners' own operations, on the resources router)
    from shanlian.resources.api import router as resources_router
    from shanlian.timebank.api import router as timebank_router
    from shanlian.timebank.api_credits import router as credits_router
    from shanlian.timebank.api_volunteer import router as volunteer_router
    from shanlian.wishes.api import router as wishes_router

    api.add_router("/auth", auth_router)
    api.add_router("/divisions", places_router)
    api.add_router("/", orgs_router)
    api.add_router("/people", people_router)
    api.add_router("/", me_router)
    api.add_router("/charity", charity_router)
    api.add_router("/give", give_router)
    api.add_router("/timebank", timebank_router)
    api.add_router("/timebank", volunteer_router)
    api.add_router("/timebank", credits_router)
    api.add_router("/grants", grants_public_router)
    api.add_router("/grants", grants_people_router)
    api.add_router("/grants", grants_staff_router)
    api.add_router("/grants", grants_agreements_router)
    api.add_router("/grants", grants_projects_router)
    api.add_router("/evaluation", evaluation_router)
    api.add_router("/resources", resources_router)
    api.add_router("/cases", cases_router)
    api.add_router("/wishes", wishes_router)
    api.add_router("/groupwork", groupwork_router)
    api.add_router("/reports", reports_router)


_register_routers()
