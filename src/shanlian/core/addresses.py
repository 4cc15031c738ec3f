"""Absolute addresses for what leaves the screen: QR codes and links on receipts, certificates and check-in codes.

A phone must be able to open them, so they carry the address the page was asked for (its scheme, host and port,
as `request.build_absolute_uri` gives them), unless SHANLIAN_PUBLIC_BASE_URL names the site's public address.
"""

from __future__ import annotations

from django.http import HttpRequest

from .conf import domain_setting

# Only for a document made outside any request with no SHANLIAN_PUBLIC_BASE_URL (nothing does so today).
LOCAL_FALLBACK = "http://127.0.0.1:8000"


def public_url(path: str, *, request: HttpRequest | None = None) -> str:
    """`path` (starting with /) as an absolute URL: the setting when set, else the request's own address."""
    base = str(domain_setting("PUBLIC_BASE_URL") or "").strip().rstrip("/")
    if base:
        return base + path
    if request is not None:
        return request.build_absolute_uri(path)
    return LOCAL_FALLBACK + path
