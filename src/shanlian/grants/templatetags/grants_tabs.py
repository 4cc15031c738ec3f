"""The tabs over the grants pages of staff and applicants (rounds, proposals, agreements, projects, the brand list),
offered by the same predicates as the menu: one menu entry leads to them all."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shanlian.grants.permissions import manages_an_organization, may_run_rounds

register = template.Library()


@register.simple_tag(takes_context=True)
def grants_tabs(context: Any, current: str) -> list[dict[str, Any]]:
    scope = context.get("actor_scope")
    if scope is None:
        return []
    tabs: list[tuple[str, Any]] = []
    if may_run_rounds(scope):
        tabs.append(("grants:staff_rounds", _("Rounds")))
    if manages_an_organization(scope):
        tabs.append(("grants:applicant_home", _("My proposals")))
    tabs += [("grants:agreement_list", _("Grant agreements")), ("grants:project_list", _("Service projects"))]
    if may_run_rounds(scope):
        tabs.append(("grants:brand_list", _("Brand list")))
    return [{"url": reverse(name), "label": label, "active": name == current} for name, label in tabs]
