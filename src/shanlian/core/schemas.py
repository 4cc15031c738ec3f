"""Shared API pieces: the error body every app returns, the page envelope, and paging itself.

Paging is count + one slice, so a list endpoint costs the same two queries however many rows match.
"""

from math import ceil
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema

from .errors import field_error
from .pagination import CappedPaginator


class ApiRequest(HttpRequest):
    """The request an API operation receives: ninja sets `auth` to what TokenAuth or SessionAuth returned,
    the signed-in user; an operation never runs without one (the only one that opts out with auth=None is signing
    in, POST /api/auth/token, which does not read `auth`)."""

    auth: Any


class ErrorFieldOut(Schema):
    code: str
    message: str
    message_en: str


class ErrorOut(Schema):
    """The body of every 4xx answer: a stable code, the message in the active language, Chinese and English."""

    code: str = Field(..., examples=["permission_denied"])
    message: str
    message_zh: str
    message_en: str
    fields: dict[str, list[ErrorFieldOut]] | None = Field(None, description="Per-field errors, when the input was at fault.")


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """`response={200: X, **errors(400, 401, 404)}`: document which error bodies an endpoint may return."""
    return dict.fromkeys(statuses, ErrorOut)


class PageIn(Schema):
    page: int = Field(1, description="1-based page number.")
    page_size: int | None = Field(
        None, description="Rows per page; default SHANLIAN['PAGE_SIZE'], at most SHANLIAN['API_PAGE_SIZE_MAX']."
    )


class PageOut(Schema):
    """The list envelope; each list endpoint subclasses it with a typed `results`."""

    count: int = Field(..., description="Rows matching the filters, over all pages, counted up to SHANLIAN['COUNT_CAP'].")
    count_capped: bool = Field(False, description="True when more rows match than `count` says: narrow the filters.")
    page: int
    page_size: int
    results: list[Any]


def paginate(qs: QuerySet[Any], params: PageIn) -> dict[str, Any]:
    """One page of `qs` as the envelope. An empty result is page 1 of 1; any other page past the end is a 400."""
    size_max = int(settings.SHANLIAN["API_PAGE_SIZE_MAX"])
    size = params.page_size if params.page_size is not None else min(int(settings.SHANLIAN["PAGE_SIZE"]), size_max)
    if not 1 <= size <= size_max:
        raise field_error(
            "page_size", "invalid_page_size",
            format_lazy(_("The page size must be between 1 and {max}."), max=size_max),
        )
    if params.page < 1:
        raise field_error("page", "invalid_page", _("Page numbers start at 1."))
    paginator = CappedPaginator(qs, size)
    count = paginator.count
    last = max(1, ceil(count / size))
    if params.page > last:
        raise field_error(
            "page", "page_out_of_range", format_lazy(_("There are only {last} pages."), last=last),
        )
    start = (params.page - 1) * size
    return {"count": count, "count_capped": paginator.capped, "page": params.page, "page_size": size,
            "results": list(qs[start : start + size])}
