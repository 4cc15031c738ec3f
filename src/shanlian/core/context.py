"""Where the current request came from, for the audit log (set by middleware, read by services)."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestMeta:
    ip: str = ""
    user_agent: str = ""
    path: str = ""
    via: str = "system"  # page, api, command, system
    credential: str = ""  # what signed the request in: "token:<the token's prefix>", "session", or nothing


SYSTEM = RequestMeta()
current: ContextVar[RequestMeta] = ContextVar("shanlian_request_meta", default=SYSTEM)  # noqa: B039 (frozen)
