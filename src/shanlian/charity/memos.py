"""What the charity ledger's entries say, in the site's language (`core.i18n.site_text`). One place, so a gift
recorded at a station, through the API, by the gateway's batches or by a file import says the same (its memo is
part of its content hash)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop

from shanlian.core.i18n import site_text

_GIFT = gettext_noop("Gift from %(donor)s")  # (the fund is the entry's credit leg)
_PAYOUT = gettext_noop("Payout: %(title)s")
_FEE = gettext_noop("Management fee of fund %(fund)s, %(start)s to %(end)s")
_LEFTOVER = gettext_noop("Leftover of project %(project)s moved to %(target)s")
_GOODS_OUT = gettext_noop("Goods given out: %(item)s × %(quantity)s to %(recipient)s")
_REFUND = gettext_noop("Refund of gift no. %(gift)s: %(reason)s")
_MATCH_DEPOSIT = gettext_noop("Matching funds deposited by %(sponsor)s")
_GRANT = gettext_noop("Grant awarded to project %(project)s")

MAX = 300  # the ledger's memo column


def _fit(text: str) -> str:
    return text if len(text) <= MAX else text[: MAX - 1] + "…"


def gift(donor: str) -> str:
    return _fit(site_text(_GIFT, donor=donor[:20]))


def payout(title: str) -> str:
    return _fit(site_text(_PAYOUT, title=title))


def fee(fund_code: str, start: Any, end: Any) -> str:
    return _fit(site_text(_FEE, fund=fund_code, start=start, end=end))


def leftover(project: str, target: str) -> str:
    return _fit(site_text(_LEFTOVER, project=project, target=target))


def goods_out(item: str, quantity: Any, recipient: str) -> str:
    return _fit(site_text(_GOODS_OUT, item=item, quantity=quantity, recipient=recipient[:30]))


def refund(gift_id: int, reason: str) -> str:
    return _fit(site_text(_REFUND, gift=gift_id, reason=reason))


def match_deposit(sponsor: str) -> str:
    return _fit(site_text(_MATCH_DEPOSIT, sponsor=sponsor[:30]))


def grant(project: str) -> str:
    return _fit(site_text(_GRANT, project=project))
