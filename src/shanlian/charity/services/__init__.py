"""Every write of the charity app, one typed function each (`<noun>_<verb>`), in a transaction."""

from .campaigns import campaign_close, campaign_create, campaign_open, match_pool_create
from .donations import (
    ANONYMOUS,
    Goods,
    donation_record,
    donation_refund,
    gift_amount_in,
    gift_row,
    goods_give_out,
    goods_in,
    goods_stock,
    target_resolve,
)
from .funds import fund_close, fund_create, fund_reserve, project_create, project_end, project_grant
from .payouts import fee_base, fee_charge, payout_approve, payout_pay, payout_reject, payout_request, payouts_lapse_expired
from .receipts import receipt_issue, receipt_void

__all__ = [
    "ANONYMOUS", "Goods", "campaign_close", "campaign_create", "campaign_open", "donation_record", "donation_refund",
    "fee_base", "fee_charge", "fund_close", "fund_create", "fund_reserve", "gift_amount_in",
    "gift_row", "goods_give_out", "goods_in", "goods_stock", "target_resolve",
    "match_pool_create", "payout_approve", "payout_pay", "payout_reject", "payout_request", "payouts_lapse_expired",
    "project_create", "project_end", "project_grant", "receipt_issue", "receipt_void",
]
