"""What the time bank's ledger entries say, in the site's language (`core.i18n.site_text`)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop

from shanlian.core.i18n import site_text

_HOURS = gettext_noop("Service hours of volunteer %(number)s on %(day)s")
_GIVE = gettext_noop("Credits given by volunteer %(number)s to %(to)s")
_POOL = gettext_noop("the community pool")
_REDEEM = gettext_noop("Credits spent on %(item)s × %(quantity)s")
_CANCEL = gettext_noop("Redemption no. %(redemption)s cancelled")


def hours(number: str, day: Any) -> str:
    return site_text(_HOURS, number=number, day=day)


def give(number: str, to: str | None) -> str:
    return site_text(_GIVE, number=number, to=to if to else site_text(_POOL))


def redeem(item: str, quantity: int) -> str:
    return site_text(_REDEEM, item=item[:100], quantity=quantity)


def cancel(redemption_id: int) -> str:
    return site_text(_CANCEL, redemption=redemption_id)
