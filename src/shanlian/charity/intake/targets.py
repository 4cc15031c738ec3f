"""Where a gift's money goes: "campaign or fund" cells (a file's) and fund and campaign codes (an API batch's)
resolved once each against the funds, campaigns, their targets and their matching pools."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection

from shanlian.core.inputs import text_problem

from ..models import Campaign, CampaignTarget, CommunityFund, FundStatus, MatchPool, Project, ProjectStatus

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Target:
    """Where a row's money goes, resolved once per distinct cell value."""

    label: str
    fund_id: int
    fund_code: str
    fund_open: bool
    credit_account_id: int
    custodian_id: int
    campaign_id: int | None = None
    campaign_slug: str = ""
    campaign_status: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    pools: tuple[int, ...] = ()  # the campaign's active matching pools, by id
    project_id: int | None = None  # a restricted gift's project (pages and the API; not a file's or a batch's)
    project_active: bool = True


def target_of(fund: CommunityFund, project: Project | None, campaign: Campaign | None, *, goods: bool = False,
              pools: tuple[int, ...] = ()) -> Target:
    """One gift's target from the objects a page or the API named (read fresh by the caller): the account the gift
    credits is the fund's goods (goods), the project's restricted money, or the fund's general money."""
    credit = fund.goods_account_id if goods else project.restricted_account_id if project is not None else fund.account_id
    return Target(
        label=fund.code, fund_id=fund.pk, fund_code=fund.code, fund_open=fund.status == FundStatus.OPEN,
        credit_account_id=credit, custodian_id=fund.custodian_id,
        campaign_id=campaign.pk if campaign is not None else None, campaign_slug=campaign.slug if campaign is not None else "",
        campaign_status=campaign.status if campaign is not None else "",
        starts_at=campaign.starts_at if campaign is not None else None, ends_at=campaign.ends_at if campaign is not None else None,
        pools=pools, project_id=project.pk if project is not None else None,
        project_active=project is None or project.status == ProjectStatus.ACTIVE,
    )


@dataclass(frozen=True)
class _FundRow:
    pk: int
    code: str
    status: str
    account_id: int
    custodian_id: int


@dataclass(frozen=True)
class _CampaignRow:
    pk: int
    slug: str
    status: str
    starts_at: datetime
    ends_at: datetime


def _named(codes: set[str], slugs: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The named funds and campaigns in one plain SQL statement (PostgreSQL): a group committer reads them for every
    group it writes, and building the ORM's two queries costs more than running them."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT 'f', id, code, status, account_id, custodian_id, NULL::timestamptz, NULL::timestamptz
              FROM charity_communityfund WHERE code = ANY(%s)
            UNION ALL
            SELECT 'c', id, slug, status, NULL, NULL, starts_at, ends_at FROM charity_campaign WHERE slug = ANY(%s)""",
                       [sorted(codes), sorted(slugs)])
        rows = cursor.fetchall()
    funds = {r[2]: _FundRow(r[1], r[2], r[3], r[4], r[5]) for r in rows if r[0] == "f"}
    campaigns = {r[2]: _CampaignRow(r[1], r[2], r[3], r[6], r[7]) for r in rows if r[0] == "c"}
    return funds, campaigns


class Targets:
    """Resolves "campaign or fund" cells: fund code, campaign code, or CAMPAIGN/FUND."""

    def __init__(self, *, fund_codes: Iterable[str] | None = None, campaign_slugs: Iterable[str] | None = None) -> None:
        """Every fund and campaign (a file may name any), or only those named (an API batch: a few of a city's
        thousand funds, read for every group a committer writes)."""
        self.restricted = fund_codes is not None or campaign_slugs is not None
        # A code no fund or campaign can have is not looked up (a NUL would fail the whole query on PostgreSQL).
        fund_codes = None if fund_codes is None else {c for c in fund_codes if text_problem(c, max_length=60) is None}
        campaign_slugs = None if campaign_slugs is None else {c for c in campaign_slugs if text_problem(c, max_length=60) is None}
        if self.restricted and connection.vendor == "postgresql":
            self.funds, self.campaigns = _named(set(fund_codes or ()), set(campaign_slugs or ()))
        else:
            funds = CommunityFund.objects.only("pk", "code", "status", "account", "custodian")
            campaigns = Campaign.objects.only("pk", "slug", "status", "starts_at", "ends_at")
            if fund_codes is not None:
                funds = funds.filter(code__in=set(fund_codes))
            if campaign_slugs is not None:
                campaigns = campaigns.filter(slug__in=set(campaign_slugs))
            self.funds = {f.code: f for f in funds}
            self.campaigns = {c.slug: c for c in campaigns}
        self.cache: dict[str, Target | tuple[str, dict[str, Any]]] = {}
        self._targets: dict[int, list[tuple[int, int | None]]] | None = None
        self._pools: dict[int, tuple[int, ...]] | None = None

    def _campaign_targets(self, campaign_id: int) -> list[tuple[int, int | None]]:
        if self._targets is None:
            self._targets = defaultdict(list)
            rows = CampaignTarget.objects.all()
            if self.restricted:
                rows = rows.filter(campaign_id__in=[c.pk for c in self.campaigns.values()])
            for cid, fid, pid in rows.values_list("campaign_id", "fund_id", "project_id"):
                self._targets[cid].append((fid, pid))
        return self._targets.get(campaign_id, [])

    def _fund_by_pk(self, pk: int) -> CommunityFund:
        found = next((f for f in self.funds.values() if f.pk == pk), None)
        if found is None:  # a campaign's general fund the batch did not name
            found = CommunityFund.objects.only("pk", "code", "status", "account", "custodian").get(pk=pk)
            self.funds[found.code] = found
        return found

    def _campaign_pools(self, campaign_id: int) -> tuple[int, ...]:
        if self._pools is None:
            pools: dict[int, list[int]] = defaultdict(list)
            rows = MatchPool.objects.filter(active=True)
            if self.restricted:
                rows = rows.filter(campaign_id__in=[c.pk for c in self.campaigns.values()])
            for cid, pid in rows.order_by("pk").values_list("campaign_id", "pk"):
                pools[cid].append(pid)
            self._pools = {cid: tuple(ids) for cid, ids in pools.items()}
        return self._pools.get(campaign_id, ())

    def resolve(self, label: str) -> Target | tuple[str, dict[str, Any]]:
        hit = self.cache.get(label)
        if hit is None:
            hit = self.cache[label] = self._resolve(label)
        return hit

    def _fund_target(self, label: str, fund: CommunityFund, campaign: Campaign | None) -> Target:
        base: dict[str, Any] = {
            "label": label, "fund_id": fund.pk, "fund_code": fund.code, "fund_open": fund.status == FundStatus.OPEN,
            "credit_account_id": fund.account_id, "custodian_id": fund.custodian_id,
        }
        if campaign is None:
            return Target(**base)
        return Target(**base, campaign_id=campaign.pk, campaign_slug=campaign.slug, campaign_status=campaign.status,
                      starts_at=campaign.starts_at.astimezone(SHANGHAI), ends_at=campaign.ends_at.astimezone(SHANGHAI),
                      pools=self._campaign_pools(campaign.pk))

    def _resolve(self, label: str) -> Target | tuple[str, dict[str, Any]]:
        if not label:
            return ("target_missing", {})
        if "/" in label:
            slug, _sep, code = (part.strip() for part in label.partition("/"))
            campaign, fund = self.campaigns.get(slug), self.funds.get(code)
            if campaign is None or fund is None:
                return ("unknown_target", {"value": label})
            if (fund.pk, None) not in self._campaign_targets(campaign.pk):
                return ("campaign_target_mismatch", {"campaign": slug, "fund": code})
            return self._fund_target(label, fund, campaign)
        campaign, fund = self.campaigns.get(label), self.funds.get(label)
        if campaign is not None and fund is not None:
            return ("target_ambiguous", {"value": label})
        if fund is not None:
            return self._fund_target(label, fund, None)
        if campaign is None:
            return ("unknown_target", {"value": label})
        general = [fid for fid, pid in self._campaign_targets(campaign.pk) if pid is None]
        if len(general) != 1:
            return ("campaign_target_ambiguous", {"value": label})
        return self._fund_target(label, self._fund_by_pk(general[0]), campaign)
