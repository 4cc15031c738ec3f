"""Request context for the audit log, and the mapping of domain errors to pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from .context import RequestMeta, current
from .errors import DomainError, ValidationFailed, lazy_format
from .inputs import text_problem

_PREFIX = re.compile(r"[A-Za-z0-9_-]{1,8}")


def credential_of(authorization: str, has_session: bool) -> str:
    """What a request is signed in with, for its audit rows: a bearer token by its prefix (the first 8 characters,
    which the token list shows; never the rest), else "session" when it carries a session cookie."""
    if authorization.startswith("Bearer "):
        prefix = authorization[7:].strip()[:8]
        return f"token:{prefix}" if _PREFIX.fullmatch(prefix) else "token"
    return "session" if has_session else ""


def client_ip(request: HttpRequest) -> str:
    # Behind a trusted proxy, set SECURE_PROXY_SSL_HEADER and let the proxy overwrite REMOTE_ADDR.
    return request.META.get("REMOTE_ADDR", "")


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        via = "api" if request.path.startswith("/api/") else "page"
        token = current.set(
            RequestMeta(
                ip=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
                path=request.path,
                via=via,
                credential=credential_of(request.META.get("HTTP_AUTHORIZATION", ""), settings.SESSION_COOKIE_NAME in request.COOKIES),
            )
        )
        try:
            return self.get_response(request)
        finally:
            current.reset(token)


class DomainErrorMiddleware:
    """A DomainError escaping a page view becomes an error page with its status, code and message; a bare 405
    (a view that takes POST only, opened by a link) becomes the same page, or the API's JSON body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # (Django's decorators answer with no body; Django Ninja with "Method not allowed")
        if response.status_code == 405 and response.get("Content-Type", "").startswith("text/html") and len(response.content) < 64:
            allowed = response.get("Allow", "")
            response = error_response(request, MethodNotAllowed())
            if allowed:
                response["Allow"] = allowed
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        return error_response(request, exception)


class MethodNotAllowed(DomainError):
    status = 405
    default_code = "method_not_allowed"

    def default_message(self) -> Any:
        return _("This address cannot be opened this way: use the page's buttons and links.")


class TooLarge(DomainError):
    status = 413
    default_code = "request_too_large"

    def default_message(self) -> Any:
        return _("The request is too large.")


def error_response(request: HttpRequest, error: DomainError) -> HttpResponse:
    """A refusal in the shape the caller reads: the API's JSON body under /api/ and for a .json address (a proof,
    the published seals), the error page elsewhere."""
    if request.path.startswith("/api/") or request.path.endswith(".json"):
        return JsonResponse(error.as_dict(), status=error.status, json_dumps_params={"ensure_ascii": False})
    return render(request, "web/error.html", {"error": error}, status=error.status)


class InputGuardMiddleware:
    """Input no view can store is refused at the door, the same way on every page and endpoint: a query string
    or form field with NUL or control characters (PostgreSQL cannot store NUL; nothing anyone types has them),
    and a body over DATA_UPLOAD_MAX_MEMORY_SIZE that is not a file upload. JSON bodies are checked by the API's
    parser (shanlian.api), so a batch can refuse one bad gift alone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = self.check(request)
        return error_response(request, refused) if refused is not None else self.get_response(request)

    def check(self, request: HttpRequest) -> DomainError | None:
        content_type = request.META.get("CONTENT_TYPE", "")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit and not content_type.startswith("multipart/"):
            return TooLarge("request_too_large", lazy_format(_("The request is too large: at most %(kb)s KB."), {"kb": limit // 1024}))
        for name, values in request.GET.lists():
            for text in (name, *values):
                problem = text_problem(text, max_length=None)
                if problem is not None:
                    return ValidationFailed(problem[0], problem[1], fields={name[:40] or "query": [problem]})
        if request.method == "POST" and content_type.startswith(("application/x-www-form-urlencoded", "multipart/")):
            for name, values in request.POST.lists():
                for text in (name, *values):
                    problem = text_problem(text, max_length=None, multiline=True)
                    if problem is not None:
                        return ValidationFailed(problem[0], problem[1], fields={name[:40] or "form": [problem]})
        return None
