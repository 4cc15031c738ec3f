"""A small set of books shared by the ledger tests (files with other needs define their own `books`)."""

import pytest

from shanlian.ledger.services import account_open


@pytest.fixture
def books(db):
    return {
        "bank": account_open(code="fed:bank", name="银行存款", unit="CNY", type="asset"),
        "fund": account_open(code="fund:北京街", name="北京街社区慈善基金", unit="CNY", type="liability", guarded=True),
        "income": account_open(code="income:gifts", name="捐赠收入", unit="CNY", type="income"),
        "issue": account_open(code="tb:issue", name="时间银行发行", unit="HOUR", type="equity"),
        "vol": account_open(code="tb:vol:1", name="志愿者1", unit="HOUR", type="liability", guarded=True),
    }
