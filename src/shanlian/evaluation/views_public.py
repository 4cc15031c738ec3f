"""The published frameworks for everyone: what organizations and stations are assessed by, as the authorities
publish it (the tree, the cut-offs, the XLSX). Drafts are never shown here."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .framework_sheet import sheet_response
from .selectors import framework_public_get, framework_view, frameworks_public


def framework_list(request: HttpRequest) -> HttpResponse:
    rows = frameworks_public().order_by("-year", "kind", "org_kind", "-version")[:200]
    return render(request, "evaluation/public/frameworks.html", {"rows": rows})


def framework_page(request: HttpRequest, framework_id: int) -> HttpResponse:
    found = framework_public_get(framework_id)
    return render(request, "evaluation/public/framework.html", {"f": found, "v": framework_view(None, found)})


def framework_download(request: HttpRequest, framework_id: int) -> HttpResponse:
    return sheet_response(framework_public_get(framework_id))
