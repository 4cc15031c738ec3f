"""One domain error type: a stable code, a translated message, an HTTP status.

Services and selectors raise these; pages and the API map them to 400/403/404/409 without
leaking anything the caller may not see.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _


def _formatted(message: Any, params: dict[str, Any]) -> str:
    return str(message) % params


# `_("... %(x)s") % params` would format once, in the language active at that moment, so an error's
# English message could come out Chinese: this formats again in whichever language the text is read in.
lazy_format = lazy(_formatted, str)


class DomainError(Exception):
    status = 400
    default_code = "invalid"

    def __init__(
        self,
        code: str | None = None,
        message: str | Promise | None = None,
        *,
        fields: dict[str, list[Any]] | None = None,
    ) -> None:
        self.code = code or self.default_code
        self.message = message if message is not None else self.default_message()
        self.fields = fields or {}
        super().__init__(f"{self.code}: {self.message_in('en')}")

    def default_message(self) -> str | Promise:
        return _("The request is not valid.")

    def message_in(self, language: str) -> str:
        with translation.override(language):
            return str(self.message)

    def as_dict(self) -> dict[str, Any]:
        """The body the API returns: the message in the active language, plus Chinese and English."""
        body: dict[str, Any] = {
            "code": self.code,
            "message": str(self.message),
            "message_zh": self.message_in("zh-hans"),
            "message_en": self.message_in("en"),
        }
        if self.fields:
            body["fields"] = {
                name: [{"code": c, "message": str(m), "message_en": _in_en(m)} for c, m in errs]
                for name, errs in self.fields.items()
            }
        return body


def _in_en(message: Any) -> str:
    with translation.override("en"):
        return str(message)


class ValidationFailed(DomainError):
    status = 400
    default_code = "invalid"


def field_error(field: str, code: str, message: str | Promise) -> ValidationFailed:
    """A ValidationFailed about one form or API field."""
    return ValidationFailed(code, message, fields={field: [(code, message)]})


class PermissionDenied(DomainError):
    status = 403
    default_code = "permission_denied"

    def default_message(self) -> str | Promise:
        return _("You do not have permission to do this.")


class NotFound(DomainError):
    """Also raised for objects outside the actor's scope, so existence does not leak."""

    status = 404
    default_code = "not_found"

    def default_message(self) -> str | Promise:
        return _("Not found, or not within your scope.")


class Conflict(DomainError):
    status = 409
    default_code = "conflict"

    def default_message(self) -> str | Promise:
        return _("This conflicts with existing data.")
