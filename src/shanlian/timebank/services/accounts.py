"""The ledger accounts of the time bank (unit HOUR): credits are issued from one account, held by
volunteers, spent into another, and what goes above a balance cap is given to the community pool."""

from __future__ import annotations

from shanlian.ledger.models import Account, AccountType, Unit
from shanlian.ledger.services import account_open


def issuing() -> Account:
    return account_open(code="tb:issue", name="时间银行 积分发行", unit=Unit.HOUR, type=AccountType.EQUITY)


def redeemed() -> Account:
    return account_open(code="tb:redeemed", name="时间银行 积分兑换", unit=Unit.HOUR, type=AccountType.INCOME)


def community_pool() -> Account:
    return account_open(code="tb:pool", name="时间银行 社区积分池", unit=Unit.HOUR, type=AccountType.LIABILITY, guarded=True)


def volunteer_account(number: str, name: str) -> Account:
    return account_open(code=f"tb:vol:{number}", name=f"志愿者 {name}", unit=Unit.HOUR, type=AccountType.LIABILITY, guarded=True)
