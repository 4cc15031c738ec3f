"""The beneficiaries' menu entry: stations' staff and area officers open it; each page checks the record in hand
(access.py, selectors.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from shanlian.core.navigation import Page

from .access import may_open_cases, may_supervise

PAGES = [
    Page("cases:beneficiaries", _("Beneficiaries"), may_open_cases, "cases:benef", 72, group="services"),
    Page("cases:caseload", _("Caseload"), may_open_cases, "cases:case", 71, group="services"),
    Page("cases:approvals", _("Approvals"), may_supervise, "cases:approvals", 73, group="services"),
]
