"""Who may open the charity pages: one predicate each, used by the views and the menus."""

from django.utils.translation import gettext_lazy as _

from shanlian.core.navigation import Page
from shanlian.core.scoping import AREA_ROLES, Role, Scope


def may_open_staff_pages(scope: Scope) -> bool:
    """Funds, gifts and payouts are for the roles that work with a fund: area staff and finance officers."""
    return scope.is_superuser or bool(scope.roles & AREA_ROLES)


def may_keep_receipts(scope: Scope) -> bool:
    return scope.is_superuser or scope.has(Role.FEDERATION_FINANCE)


def may_see_compliance(scope: Scope) -> bool:
    """Finance officers their federations; city and district administrators the federations in their area."""
    return scope.is_superuser or scope.has(Role.FEDERATION_FINANCE, Role.CITY_ADMIN, Role.DISTRICT_ADMIN)


def gives_as_resident(scope: Scope) -> bool:
    """The donor's pages in the menu: for residents, not for staff at work (who can still open them)."""
    return not scope.is_staff_role


def gives_by_api(scope: Scope) -> bool:
    """The donor's journey in an app (/api/give): residents, who hold the donor role from sign-up. Staff logins and
    their machine tokens work with funds, not as donors."""
    return scope.is_superuser or scope.has(Role.DONOR)


def anyone(scope: Scope) -> bool:
    return True


PAGES = [
    Page("charity:fund_list", _("Community funds"), may_open_staff_pages, "charity:fund", 60, group="charity"),
    Page("charity:gift_list", _("Gifts"), may_open_staff_pages, "charity:gift", 61, group="charity"),
    Page("charity:payout_list", _("Payouts"), may_open_staff_pages, "charity:payout", 62, group="charity"),
    Page("charity:receipt_list", _("Receipts"), may_keep_receipts, "charity:receipt", 63, group="charity"),
    Page("compliance:dashboard", _("Compliance"), may_see_compliance, "compliance:", 64, group="charity"),
    Page("give:campaign_list", _("Give"), gives_as_resident, "give:campaign", 80, public=True),
    Page("give:mine", _("My gifts"), gives_as_resident, "give:mine", 81),
    Page("public:index", _("Disclosure"), anyone, "public:", 90, public=True),
]
