"""Who may open the evaluation pages: one predicate per menu entry. Each view checks the object in hand (`access`,
`selectors`): published frameworks are read by anyone signed in, drafts by their region's administrators."""

from django.utils.translation import gettext_lazy as _

from shanlian.core.navigation import Page
from shanlian.core.scoping import Scope

from .access import ADMIN_ROLES


def manages_frameworks(scope: Scope) -> bool:
    return scope.is_superuser or scope.has(*ADMIN_ROLES)


def nobody_signed_in(scope: Scope) -> bool:
    return scope.user_id is None


PAGES = [
    Page("evaluation:frameworks", _("Evaluation"), manages_frameworks, "evaluation:", 75),
    Page("evaluation_public:frameworks", _("Evaluation standards"), nobody_signed_in, "evaluation_public:", 87, public=True),
]
