"""Who may open the micro-venture rounds' pages: one predicate per menu entry, used by the menus. Each view checks the
object in hand with `access` (a round's staff, an organization's managers, a resident of the round's area)."""


from django.utils.translation import gettext_lazy as _

from shanlian.core.navigation import Page
from shanlian.core.scoping import AREA_ROLES, Role, Scope

STAFF_ROLES = (Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.STREET_OFFICER, Role.STATION_WORKER, Role.AGENCY_MANAGER,
               Role.FEDERATION_FINANCE)
APPLICANT_ROLES = (Role.ORG_MANAGER, Role.AGENCY_MANAGER)


def may_run_rounds(scope: Scope) -> bool:
    """The staff of rounds: the area's administrators and officers, stations' workers and agencies' managers, and the
    federation's finance officers (each round's page then checks that the round is theirs)."""
    return scope.is_superuser or scope.has(*STAFF_ROLES)


def may_propose(scope: Scope) -> bool:
    """Managers of community groups and organizations propose projects for them."""
    return scope.is_superuser or scope.has(*APPLICANT_ROLES)


def may_review(scope: Scope) -> bool:
    return scope.is_superuser or scope.has(Role.EXPERT)


def takes_part(scope: Scope) -> bool:
    """A resident on record: names needs, supports them and votes in the rounds of their area."""
    return scope.user_id is not None and scope.person_id is not None and not (scope.is_superuser or scope.roles & AREA_ROLES)


def nobody_signed_in(scope: Scope) -> bool:
    """The public rounds are in the public pages' navigation; signed in, each audience has its own entry (a
    resident's page links the public round pages)."""
    return scope.user_id is None


def manages_an_organization(scope: Scope) -> bool:
    """The applicants' pages list the proposals of the organizations one manages (the superuser manages none)."""
    return scope.has(*APPLICANT_ROLES)


PAGES = [
    # One entry for the staff's grants pages and one for applicants'; tabs on those pages lead to the agreements, the
    # projects and the brand list (templatetags/grants_tabs.py).
    Page("grants:staff_rounds", _("Micro-venture"), may_run_rounds, "grants:", 65, group="charity"),
    Page("grants:applicant_home", _("My proposals"), lambda s: manages_an_organization(s) and not may_run_rounds(s),
         "grants:", 68),
    Page("grants:expert_reviews", _("My reviews"), may_review, "grants:expert", 69),
    Page("grants:resident_home", _("Community projects"), takes_part, "grants:resident", 72),
    Page("grants_public:round_list", _("Micro-venture rounds"), nobody_signed_in, "grants_public:", 85, public=True),
]
