"""What the gift writer takes (`writer.gifts_write`) and the intake's rules compare (`rules.same_gift`): a checked
gift as a row, and what the gifts of one set share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from shanlian.core.context import RequestMeta

ZERO = Decimal("0.00")


@dataclass(slots=True)
class GiftRow:
    """One checked gift, as the writer records it: every check has passed (see the callers), the match is decided."""

    external_id: str
    received_at: datetime
    donor: str
    amount: Decimal
    fund_id: int
    custodian_id: int
    credit_account_id: int  # the fund's money, a project's restricted money, or (goods) the fund's goods
    campaign_id: int | None = None
    match: Decimal = ZERO
    pool_id: int | None = None
    donor_key: str = ""
    project_id: int | None = None
    point_id: int | None = None
    show_name: bool = False
    message: str = ""
    donor_user_id: int | None = None
    goods: tuple[str, Decimal, str] | None = None  # (item, quantity, unit): the custodian's goods account is debited
    request: RequestMeta | None = None  # where the gift came from; None: the current request (core.context)


@dataclass(frozen=True)
class RowSpec:
    """What the gifts of one set share: the gift's source (the entry's is "charity.<source>"), its channel and who
    recorded it."""

    source: str
    channel: str
    recorded_by_id: int | None = None
