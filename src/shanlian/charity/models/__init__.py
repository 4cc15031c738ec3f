"""Charity: community funds in custody, gifts, appeals with matching, payouts, receipts, disclosure.

Money itself lives in the ledger; these tables say what each entry means. Every row that carries
money points at the ledger entry that moved it, and money rows are never deleted (PROTECT).
"""

from .donations import (
    Campaign,
    CampaignStatus,
    CampaignTally,
    CampaignTarget,
    Channel,
    Donation,
    DonationStatus,
    GoodsMovement,
    MatchGift,
    MatchPool,
    PaymentIntent,
    PaymentStatus,
    WebhookEvent,
)
from .funds import CommunityFund, FundStatus, LeftoverRule, Project, ProjectStatus, Purpose
from .payouts import FeeCharge, Payout, PayoutAttachment, PayoutDraw, PayoutLine, PayoutStatus
from .receipts import DisclosureReport, Receipt, ReceiptSequence, ReceiptStatus
from .rollups import FundIncomeMonth

__all__ = [
    "Campaign", "CampaignStatus", "CampaignTally", "CampaignTarget", "Channel", "CommunityFund", "DisclosureReport",
    "Donation", "DonationStatus", "FeeCharge", "FundIncomeMonth", "FundStatus", "GoodsMovement", "LeftoverRule", "MatchGift", "MatchPool",
    "PaymentIntent", "PaymentStatus", "Payout", "PayoutAttachment", "PayoutDraw", "PayoutLine", "PayoutStatus", "Project",
    "ProjectStatus", "Purpose", "Receipt", "ReceiptSequence", "ReceiptStatus", "WebhookEvent",
]
