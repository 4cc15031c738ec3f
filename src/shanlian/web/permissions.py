"""The home page's entry in the menus: everyone signed in has a home (what it shows depends on the roles)."""

from django.utils.translation import gettext_lazy as _

from shanlian.core.navigation import Page
from shanlian.core.scoping import Scope


def may_open_home(scope: Scope) -> bool:
    return scope.user_id is not None


PAGES = [Page("web:home", _("Home"), may_open_home, "web:home", 0)]
