"""The site's menus, assembled from what each app declares: every app with pages has a `permissions.py` whose
`PAGES` lists its menu entries, each with the one predicate (scope -> may open) its views check too, so a menu
offers only what opens. `web` shows `menu(scope)`; nothing here knows an app's pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from typing import Any

from django.apps import apps
from django.utils.translation import gettext_lazy as _

from .scoping import Scope


@dataclass(frozen=True)
class Page:
    """One menu entry: the URL name it opens, its label, who may open it and which view names mark it active.
    `order` places it among the other apps' entries (lower first)."""

    url_name: str
    label: Any
    may_open: Callable[[Scope], bool]
    active: str
    order: int
    public: bool = False  # also in the public pages' navigation (for anyone, signed in or not)
    group: str = ""  # a key of GROUPS: folded under it when an actor's menu is long; "" stays on the bar


# The menu's groups, for actors offered more than FLAT_MAX entries (officers, agency managers): one dropdown each, placed
# where its first entry would be.
GROUPS: dict[str, Any] = {"oversight": _("Oversight"), "charity": _("Charity"), "services": _("Services")}
FLAT_MAX = 8


@dataclass(frozen=True)
class Group:
    key: str
    label: Any
    pages: tuple[Page, ...]


@cache
def declared_pages() -> tuple[Page, ...]:
    pages: list[Page] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("shanlian."):
            continue
        try:
            module = import_module(f"{config.name}.permissions")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.permissions":
                raise
            continue
        pages.extend(getattr(module, "PAGES", ()))
    return tuple(sorted(pages, key=lambda p: (p.order, p.url_name)))


def menu(scope: Scope) -> list[Page]:
    """The entries this actor may open, in order."""
    return [page for page in declared_pages() if page.may_open(scope)]


def public_menu() -> list[Page]:
    return [p for p in declared_pages() if p.public]


def menu_bar(scope: Scope) -> list[Page | Group]:
    """The menu as the bar shows it: flat when short; else each group's entries folded into one item (a group of one
    stays a plain entry). The entries keep their order within and across groups."""
    pages = menu(scope)
    if len(pages) <= FLAT_MAX:
        return list(pages)
    folded: dict[str, list[Page]] = {}
    bar: list[Page | str] = []
    for page in pages:
        if page.group not in GROUPS:
            bar.append(page)
            continue
        if page.group not in folded:
            folded[page.group] = []
            bar.append(page.group)
        folded[page.group].append(page)
    return [item if isinstance(item, Page) else (Group(item, GROUPS[item], tuple(folded[item])) if len(folded[item]) > 1
                                                 else folded[item][0]) for item in bar]
