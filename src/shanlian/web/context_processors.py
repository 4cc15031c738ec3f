"""The menus: assembled from each app's declared pages (core.navigation), filtered by the actor's scope with the
same predicates the pages' views check, so a menu offers only what opens."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from shanlian.core.navigation import Page, menu_bar, public_menu
from shanlian.people.selectors import actor_scope


def navigation(request: HttpRequest) -> dict[str, Any]:
    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match is not None else ""
    user = getattr(request, "user", None)
    public = [{"url": reverse(p.url_name), "label": p.label, "active": view_name.startswith(p.active)} for p in public_menu()]
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "public_nav": public}
    scope = actor_scope(user)

    def entry(p: Page) -> dict[str, Any]:
        return {"url": reverse(p.url_name), "label": p.label, "active": view_name.startswith(p.active)}

    items: list[dict[str, Any]] = []
    for item in menu_bar(scope):
        if isinstance(item, Page):
            items.append(entry(item))
        else:
            entries = [entry(p) for p in item.pages]
            items.append({"group": item.key, "label": item.label, "entries": entries, "active": any(e["active"] for e in entries)})
    return {
        "nav_items": items,
        "public_nav": public,
        "actor_scope": scope,
    }
