"""The ledger's seals, published (no login): /public/seals/, one seal at /public/seals/<seq>/, and both as JSON.

A donor's proof ends with a seal hash; these pages are where the platform publishes the hashes to compare it
with, newest first. A seal holds only sequence numbers, entry ids, hashes and a time: nothing about anyone.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from shanlian.core.addresses import public_url
from shanlian.core.errors import NotFound
from shanlian.core.fields import INT64_MAX
from shanlian.core.inputs import int_in
from shanlian.ledger.models import Seal
from shanlian.ledger.selectors import SealPage, seal_get, seal_neighbours, seals_page

from .api_schemas import local_iso
from .selectors.give import seal_interval_minutes

PAGE_SIZE = 25


def _before(request: HttpRequest) -> int | None:
    raw = request.GET.get("before", "")
    return int_in(raw, field="before", minimum=1, maximum=INT64_MAX) if raw != "" else None


def _list_url(request: HttpRequest | None, name: str, before: int | None) -> str:
    """The list from `before` on: absolute in JSON (for programs), a path on the page."""
    path = reverse(name) + (f"?before={before}" if before is not None else "")
    return public_url(path, request=request) if request is not None else path


def seal_data(request: HttpRequest, seal: Seal) -> dict[str, Any]:
    return {
        "seq": seal.seq, "sealed_at": local_iso(seal.created_at), "first_entry_id": seal.first_entry_id,
        "last_entry_id": seal.last_entry_id, "entry_count": seal.entry_count, "merkle_root": seal.merkle_root,
        "prev_hash": seal.prev_hash, "seal_hash": seal.seal_hash,
        "url": public_url(reverse("public:seal", args=[seal.seq]), request=request),
    }


def _json(body: dict[str, Any]) -> JsonResponse:
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False, "indent": 2})


def _links(request: HttpRequest | None, page: SealPage, name: str) -> dict[str, str | None]:
    return {
        "newest": _list_url(request, name, None),
        "newer": _list_url(request, name, page.newer) if page.has_newer else None,
        "older": _list_url(request, name, page.older) if page.older is not None else None,
    }


@require_GET
def seal_list(request: HttpRequest) -> HttpResponse:
    before = _before(request)
    page = seals_page(before=before, size=PAGE_SIZE)
    return render(request, "charity/public/seals.html", {
        "page": page, "links": _links(None, page, "public:seal_list"), "seal_minutes": seal_interval_minutes(),
        "json_url": _list_url(None, "public:seal_list_json", before),
    })


@require_GET
def seal_list_json(request: HttpRequest) -> JsonResponse:
    page = seals_page(before=_before(request), size=PAGE_SIZE)  # a bad cursor: 400 with the JSON body (core.middleware)
    return _json({
        "count": page.total, "seal_every_minutes": seal_interval_minutes(), **_links(request, page, "public:seal_list_json"),
        "seals": [seal_data(request, s) for s in page.seals],
    })


def _seal(seq: int) -> Seal:
    seal = seal_get(seq=seq)
    if seal is None:
        raise NotFound("seal_not_found", _("There is no seal with this number yet."))
    return seal


@require_GET
def seal_page(request: HttpRequest, seq: int) -> HttpResponse:
    seal = _seal(seq)
    previous, following = seal_neighbours(seal=seal)
    return render(request, "charity/public/seal.html", {
        "seal": seal, "previous": previous, "following": following,
        "hash_text": f"{seal.seq}|{seal.first_entry_id}|{seal.last_entry_id}|{seal.entry_count}|{seal.merkle_root}|{seal.prev_hash}",
    })


@require_GET
def seal_page_json(request: HttpRequest, seq: int) -> JsonResponse:
    return _json(seal_data(request, _seal(seq)))
