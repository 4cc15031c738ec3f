"""The monthly report's menu entry: area officers and stations' staff open it; the selectors scope every row."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from shanlian.core.navigation import Page

from .access import may_open_report

PAGES = [Page("reports:monthly", _("Monthly report"), may_open_report, "reports:", 78, group="oversight")]
