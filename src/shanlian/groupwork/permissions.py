"""The group and community work menu entry: stations' teams and area officers open it; each page checks the programme in
hand (access.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from shanlian.core.navigation import Page

from .access import may_open

PAGES = [Page("groupwork:programmes", _("Groups and activities"), may_open, "groupwork:", 73, group="services")]
