"""Request context for the audit log, and the mapping of domain errors to pages."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .context import RequestMeta, current
from .errors import DomainError


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
            )
        )
        try:
            return self.get_response(request)
        finally:
            current.reset(token)


class DomainErrorMiddleware:
    """A DomainError escaping a page view becomes an error page with its status, code and message."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        return render(request, "web/error.html", {"error": exception}, status=exception.status)
