"""The resource hub's menu entry: area officers, stations' staff and partner organizations' managers open it; each
page checks the object in hand (access.py, selectors.py). A partner's own staff open "My resources" (我的资源)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from shanlian.core.navigation import Page

from .access import is_partner_member, may_open_hub

PAGES = [Page("resources:needs", _("Resource hub"), may_open_hub, "resources:", 73, group="services"),
         Page("resources:mine_home", _("My resources"), is_partner_member, "resources:mine_", 74)]
