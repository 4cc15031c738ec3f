"""The beneficiaries' menu entry: stations' staff and area officers open it; each page checks the record in hand
(access.py, selectors.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from shanlian.core.navigation import Page

from .access import may_open_cases

PAGES = [Page("cases:beneficiaries", _("Beneficiaries"), may_open_cases, "cases:", 72)]
