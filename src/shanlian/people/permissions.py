"""Who may open residents' records and the role grants: one predicate each, used by the views and the menus."""

from django.utils.translation import gettext_lazy as _

from shanlian.core.navigation import Page
from shanlian.core.scoping import ADMIN_ROLES, PEOPLE_ROLES, Scope


def may_open_people(scope: Scope) -> bool:
    return scope.is_superuser or bool(scope.roles & PEOPLE_ROLES)


def may_manage_roles(scope: Scope) -> bool:
    return scope.is_superuser or bool(scope.roles & ADMIN_ROLES)


def may_keep_pool(scope: Scope) -> bool:
    return scope.is_superuser or bool(scope.roles & ADMIN_ROLES)


PAGES = [
    Page("people:person_list", _("People"), may_open_people, "people:person", 40, group="oversight"),
    Page("people:role_list", _("Roles"), may_manage_roles, "people:role", 50, group="oversight"),
]
