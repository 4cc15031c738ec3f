"""The ledger accounts behind charity money. The custodian federation's books hold the cash and goods
(assets) and owe each fund its balance (liabilities); fees are the federation's income."""

from __future__ import annotations

from shanlian.ledger.models import Account, AccountType, Unit
from shanlian.ledger.services import account_open
from shanlian.orgs.models import Organization


def asset_code(org_id: int, *, goods: bool = False) -> str:
    """The code of a federation's cash (or goods) account."""
    return f"fed:{org_id}:{'goods' if goods else 'cash'}"


def federation_cash(org: Organization) -> Account:
    return account_open(code=asset_code(org.pk), name=f"{org.name} 银行存款", unit=Unit.CNY, type=AccountType.ASSET, guarded=True)


def federation_goods(org: Organization) -> Account:
    return account_open(code=asset_code(org.pk, goods=True), name=f"{org.name} 受赠物资", unit=Unit.CNY, type=AccountType.ASSET,
                        guarded=True)


def federation_fee_income(org: Organization) -> Account:
    return account_open(code=f"fed:{org.pk}:fee", name=f"{org.name} 管理费收入", unit=Unit.CNY, type=AccountType.INCOME)


def custody_account(code: str, name: str) -> Account:
    """Money the federation holds for a fund, a project or a sponsor's pool: never below zero."""
    return account_open(code=code, name=name, unit=Unit.CNY, type=AccountType.LIABILITY, guarded=True)
