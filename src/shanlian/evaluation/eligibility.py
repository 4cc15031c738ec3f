"""Who may be evaluated, read from the registration authority's records (orgs.StandingRecord), one function per
kind of call. Each returns the reasons an organization is not eligible on a day (none: eligible), so the pages can
say why and the services refuse with the same words."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _

from shanlian.core.conf import domain_setting
from shanlian.core.errors import Conflict, lazy_format
from shanlian.orgs.models import Grade, Organization
from shanlian.orgs.selectors import organization_standing

from .models import FrameworkKind


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _common(org: Organization, on: dt.date, *, registered_years: int, penalty_years: int) -> list[Any]:
    standing = organization_standing(organization=org, on=on)
    out: list[Any] = []
    if standing.registered_on > years_before(on, registered_years):
        out.append(lazy_format(_("registered on %(date)s, less than %(n)s years ago"),
                               {"date": standing.registered_on.isoformat(), "n": registered_years}))
    if not standing.passed_inspection(on.year - 1):
        out.append(lazy_format(_("no passed annual inspection for %(year)s on record"), {"year": on.year - 1}))
    if standing.abnormal_since is not None:
        out.append(lazy_format(_("on the abnormal-activity list since %(date)s"), {"date": standing.abnormal_since.isoformat()}))
    if standing.last_penalty is not None and standing.last_penalty > years_before(on, penalty_years):
        out.append(lazy_format(_("an administrative penalty on %(date)s, within %(n)s years"),
                               {"date": standing.last_penalty.isoformat(), "n": penalty_years}))
    return out


def grade_ineligibility(org: Organization, on: dt.date) -> list[Any]:
    return _common(org, on, registered_years=domain_setting("EVALUATION_MIN_REGISTERED_YEARS"),
                   penalty_years=domain_setting("EVALUATION_PENALTY_YEARS"))


def brand_ineligibility(org: Organization, on: dt.date) -> list[Any]:
    out = _common(org, on, registered_years=domain_setting("BRAND_MIN_REGISTERED_YEARS"),
                  penalty_years=domain_setting("BRAND_PENALTY_YEARS"))
    if org.grade_current(on) not in (Grade.A4, Grade.A5):
        out.append(_("no valid 4A or 5A grade"))
    return out


def ineligibility(kind: str, org: Organization, on: dt.date) -> list[Any]:
    """Why an organization may not apply (a station call: none; the agency is evaluated through its stations' work)."""
    if kind == FrameworkKind.STATION:
        return []
    return brand_ineligibility(org, on) if kind == FrameworkKind.BRAND else grade_ineligibility(org, on)


def require_eligible(kind: str, org: Organization, on: dt.date) -> None:
    reasons = ineligibility(kind, org, on)
    if reasons:
        raise Conflict("not_eligible", lazy_format(_("%(org)s is not eligible: %(reasons)s."),
                                                   {"org": org.name, "reasons": "；".join(str(r) for r in reasons)}))
