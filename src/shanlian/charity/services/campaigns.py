"""Joint appeals (联合劝募) and the sponsors' matching pools."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log
from shanlian.core.conf import domain_setting
from shanlian.core.errors import Conflict, field_error
from shanlian.core.inputs import amount_in
from shanlian.core.transitions import transition
from shanlian.ledger.services import entry_post
from shanlian.orgs.models import Organization

from .. import memos
from ..accounts import custody_account, federation_cash
from ..models import Campaign, CampaignStatus, CampaignTally, CampaignTarget, CommunityFund, FundStatus, MatchPool, Project
from ._access import require_fund_admin


@transaction.atomic
def campaign_create(
    *,
    actor: Any,
    slug: str,
    title: str,
    organizer: Organization,
    goal: Any,
    starts_at: datetime,
    ends_at: datetime,
    targets: list[tuple[CommunityFund, Project | None]],
    description: str = "",
    record_number: str = "",
) -> Campaign:
    require_fund_admin(actor, division_path=organizer.division.path, custodian_id=organizer.pk)
    if not organizer.public_fundraising:
        raise field_error("organizer", "no_public_fundraising",
                          _("Only an organization with a public-fundraising qualification may run an online appeal."))
    if ends_at <= starts_at:
        raise field_error("ends_at", "invalid_period", _("The end is before the start."))
    if not targets:
        raise field_error("targets", "targets_required", _("Name at least one fund the campaign raises for."))
    if Campaign.objects.filter(slug=slug).exists():
        raise Conflict("campaign_code_taken", _("A campaign with this code exists."))
    campaign = Campaign(slug=slug, title=title.strip(), organizer=organizer, goal=amount_in(goal, field="goal"), starts_at=starts_at,
                        ends_at=ends_at, description=description, record_number=record_number)
    campaign.full_clean()
    campaign.save()
    for fund, project in targets:
        if fund.status != FundStatus.OPEN:
            raise field_error("targets", "fund_closed", _("This fund is closed and takes no gifts."))
        if project is not None and project.fund_id != fund.pk:
            raise field_error("targets", "project_not_in_fund", _("This project does not belong to the fund."))
        CampaignTarget.objects.get_or_create(campaign=campaign, fund=fund, project=project)
    CampaignTally.objects.bulk_create(
        [CampaignTally(campaign=campaign, slot=s) for s in range(domain_setting("CHARITY_TALLY_SLOTS"))], ignore_conflicts=True
    )
    audit_log(actor=actor, action="charity.campaign.create", obj=campaign, after={"goal": str(campaign.goal)})
    return campaign


def _transition(actor: Any, campaign: Campaign, to: str, allowed_from: set[str]) -> Campaign:
    require_fund_admin(actor, division_path=campaign.organizer.division.path, custodian_id=campaign.organizer_id)
    return transition(campaign, to=to, allowed_from=allowed_from, actor=actor, action=f"charity.campaign.{to}")


@transaction.atomic
def campaign_open(*, actor: Any, campaign: Campaign) -> Campaign:
    return _transition(actor, campaign, CampaignStatus.OPEN, {CampaignStatus.DRAFT})


@transaction.atomic
def campaign_close(*, actor: Any, campaign: Campaign) -> Campaign:
    return _transition(actor, campaign, CampaignStatus.CLOSED, {CampaignStatus.OPEN, CampaignStatus.DRAFT})


@transaction.atomic
def match_pool_create(
    *,
    actor: Any,
    campaign: Campaign,
    sponsor_name: str,
    ratio: Any,
    per_donor_cap: Any,
    per_day_cap: Any,
    total_cap: Any,
    deposit: Any,
) -> MatchPool:
    """A sponsor's pool: the sponsor's money is deposited with the federation into the pool's own
    guarded account, so a match can never promise more than was given."""
    require_fund_admin(actor, division_path=campaign.organizer.division.path, custodian_id=campaign.organizer_id)
    try:
        rate = Decimal(str(ratio)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise field_error("ratio", "invalid_ratio", _("The match ratio is a number such as 1 or 0.5.")) from exc
    if not Decimal("0") < rate <= Decimal("10"):
        raise field_error("ratio", "invalid_ratio", _("The match ratio is a number such as 1 or 0.5."))
    if not sponsor_name.strip():
        raise field_error("sponsor_name", "sponsor_required", _("Name the sponsor."))
    money = amount_in(deposit, field="deposit")
    pool = MatchPool(
        campaign=campaign, sponsor_name=sponsor_name.strip(), ratio=rate,
        per_donor_cap=amount_in(per_donor_cap, field="per_donor_cap"), per_day_cap=amount_in(per_day_cap, field="per_day_cap"),
        total_cap=amount_in(total_cap, field="total_cap"),
        account=custody_account(f"pool:{campaign.slug}:{uuid.uuid4().hex[:8]}", f"{sponsor_name} 配捐"),
    )
    pool.full_clean()
    pool.save()
    entry_post(legs=[(federation_cash(campaign.organizer), money.amount), (pool.account, -money.amount)],
               memo=memos.match_deposit(sponsor_name), source="charity.match_deposit", external_id=str(pool.pk),
               actor=actor)
    audit_log(actor=actor, action="charity.match_pool.create", obj=pool, after={"deposit": str(money), "ratio": str(rate)})
    return pool
