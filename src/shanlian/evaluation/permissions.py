"""Who may open the evaluation pages: one predicate per entry. The menu has one entry, the evaluation home, which
lists the sections the actor may open (`SECTIONS`); each view checks the object in hand (`access`, `selectors`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from shanlian.core.navigation import Page
from shanlian.core.scoping import Role, Scope

from .access import ADMIN_ROLES, ORG_ROLES
from .selectors_capacity import may_open_capacity
from .selectors_satisfaction import may_open_satisfaction
from .selectors_supervision import may_open_supervision


def manages_frameworks(scope: Scope) -> bool:
    return scope.is_superuser or scope.has(*ADMIN_ROLES)


def takes_part(scope: Scope) -> bool:
    """Administrators, organizations' managers, experts: those grade and brand evaluation involves."""
    return scope.is_superuser or scope.has(*ADMIN_ROLES, *ORG_ROLES, Role.EXPERT)


def nobody_signed_in(scope: Scope) -> bool:
    return scope.user_id is None


@dataclass(frozen=True)
class Section:
    url_name: str
    label: Any
    about: Any
    may_open: Any


SECTIONS: list[Section] = [
    Section("evaluation:dashboard", _("Evaluation dashboard"), _("Valid grades by area, assessments by year, brand organizations."),
            manages_frameworks),
    Section("evaluation:calls", _("Grade assessment and brand evaluation"),
            _("Calls, self-assessments with evidence, expert reviews, decisions on notice, certificates."), takes_part),
    Section("evaluation:capacity", _("Capacity diagnosis"),
            _("Organizations diagnosed by dimension: radar beside peers, advice, action plans, PDF reports."), may_open_capacity),
    Section("evaluation:competency", _("Core-staff competency"),
            _("Staff assessed against the competency framework, individual trends, coaching sessions and person-times."),
            may_open_capacity),
    Section("evaluation:supervision_tasks", _("Supervision calendar"),
            _("Monthly self-checks, quarterly spot-checks, half-yearly self-assessments, rectifications, 1+N groups."),
            may_open_supervision),
    Section("evaluation:satisfaction_surveys", _("Satisfaction surveys"),
            _("Beneficiaries' and residents' surveys on a phone; rates by station and project."), may_open_satisfaction),
    Section("evaluation:frameworks", _("Indicator frameworks"), _("The indicator trees assessments are scored by, as data."),
            manages_frameworks),
    Section("people:expert_pool", _("Expert pool"), _("Experts' fields, ceilings, time away and ties."), manages_frameworks),
    Section("people:expert_me", _("My expert profile"), _("What you know, how much you take on, when you are away, your ties."),
            lambda scope: scope.has(Role.EXPERT)),
]


def sections_for(scope: Scope) -> list[Section]:
    return [s for s in SECTIONS if s.may_open(scope)]


def opens_evaluation(scope: Scope) -> bool:
    return bool(sections_for(scope))


PAGES = [
    Page("evaluation:home", _("Evaluation"), opens_evaluation, "evaluation:", 75, group="oversight"),
    Page("evaluation_public:notices", _("Evaluation notices"), nobody_signed_in, "evaluation_public:notice", 86, public=True),
    Page("evaluation_public:frameworks", _("Evaluation standards"), nobody_signed_in, "evaluation_public:framework", 87, public=True),
]
