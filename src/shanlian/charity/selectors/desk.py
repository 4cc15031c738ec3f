"""What a federation's finance officer starts the day with: payouts waiting for a decision they may take (four
eyes: not their own requests), gifts still without a receipt, and this year's compliance warnings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists
from django.utils import timezone

from shanlian.core.pagination import CappedPaginator
from shanlian.core.scoping import Scope

from ..models import Donation, DonationStatus, Payout, PayoutStatus
from .compliance_rules import ComplianceReport, compliance_federations, compliance_many
from .staff import _issued_receipts, donations_list, payouts_list


@dataclass(frozen=True)
class FinanceDesk:
    to_approve: list[Payout]
    to_approve_count: int
    to_pay: list[Payout]
    to_pay_count: int
    unreceipted: list[Donation]
    unreceipted_count: int
    reports: list[ComplianceReport]

    @property
    def warnings(self) -> list[tuple[Any, Any]]:
        return [(r.federation, w) for r in self.reports for w in r.warnings]


def finance_desk(*, scope: Scope, rows: int = 8) -> FinanceDesk:
    """A bounded number of queries whatever the size of the books: counts are capped, lists are short."""
    approvable = payouts_list(scope=scope, status=PayoutStatus.REQUESTED).exclude(requested_by_id=scope.user_id)
    approved = payouts_list(scope=scope, status=PayoutStatus.APPROVED)
    unreceipted = (donations_list(scope=scope).filter(status=DonationStatus.CONFIRMED).exclude(channel="seed")
                   .filter(~Exists(_issued_receipts())))
    feds = list(compliance_federations(scope=scope))
    return FinanceDesk(
        to_approve=list(approvable.order_by("requested_at", "id")[:rows]), to_approve_count=CappedPaginator(approvable, 1).count,
        to_pay=list(approved.order_by("decided_at", "id")[:rows]), to_pay_count=CappedPaginator(approved, 1).count,
        unreceipted=list(unreceipted[:rows]), unreceipted_count=CappedPaginator(unreceipted, 1).count,
        reports=compliance_many(federations=feds, year=timezone.localdate().year) if feds else [],
    )
