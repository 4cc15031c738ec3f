"""The micro-wishes' menu entries: the stations' wish lists for their staff and area officers; the public wall for
everybody (in the menu of residents, donors and volunteers, and of the public pages)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from shanlian.core.navigation import Page

from .access import may_open_station_wishes, shows_wall_in_menu

PAGES = [
    Page("wishes:list", _("Micro-wishes"), may_open_station_wishes, "wishes:", 73, group="services"),
    Page("wishes_public:wall", _("Wish wall"), shows_wall_in_menu, "wishes_public:", 82, public=True),
]
