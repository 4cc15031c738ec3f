"""The demo city's charity money, written through the charity services as real use would.

Every street's station raises for a community fund held in custody by 广州市慈善会 (as the city's
community charity funds are). The year shows gifts at donation points (cash, transfer, goods), the
Giving Day joint appeal of 5 September with a sponsor's matching pool (closed), a winter appeal that
is open now, payouts at every stage, receipts (one voided and reissued), a refund, quarterly
management fees, and a sealed ledger. A second run writes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.utils import timezone

from shanlian.charity import services as cs
from shanlian.charity.models import Campaign, CommunityFund, Donation, Project
from shanlian.core.errors import DomainError
from shanlian.ledger import sealing
from shanlian.orgs.models import DonationPoint, Organization, Station

from . import data

TZ = ZoneInfo("Asia/Shanghai")

# (title, purpose, budget range in yuan, what the money buys: budget lines)
PROJECTS: tuple[tuple[str, str, tuple[int, int], tuple[str, ...]], ...] = (
    ("长者饭堂助餐补贴", "elderly", (30000, 90000), ("助餐补贴", "送餐上门人工", "餐具与保温箱")),
    ("独居长者探访关爱", "elderly", (15000, 40000), ("探访交通补贴", "关爱物资", "紧急呼叫器")),
    ("困境儿童四点半课堂", "children", (20000, 60000), ("课业辅导老师课酬", "学习用品", "场地水电")),
    ("残障人士康复支持", "disability", (20000, 50000), ("康复训练课程", "辅具租借", "家属喘息服务")),
    ("困难家庭应急救助", "hardship", (10000, 50000), ("应急生活补助", "医疗救助", "临时住宿")),
    ("社区微心愿圆梦", "hardship", (8000, 20000), ("微心愿物资", "志愿者保险")),
    ("社区议事与邻里互助", "governance", (8000, 25000), ("议事会活动", "邻里节物资", "宣传印刷")),
)

GOODS = (("大米", "袋", Decimal("55.00")), ("食用油", "桶", Decimal("68.00")), ("棉被", "床", Decimal("120.00")),
         ("书包", "个", Decimal("45.00")), ("纸尿裤", "包", Decimal("39.90")), ("牛奶", "箱", Decimal("59.00")))

SPONSORS = ("广州粤秀善源科技有限公司", "广州市穗港联合贸易有限公司")
COMPANIES = ("广州市越秀区东风餐饮有限公司", "广东信和物业管理有限公司", "广州天河华景药房", "广州市北京路商会",
             "华润万家北京路店", "广州市五羊建筑工程有限公司")
ONLINE_AMOUNTS = (10, 20, 20, 30, 50, 50, 66, 88, 100, 100, 120, 200, 200, 300, 500, 1000)
POINT_AMOUNTS = (50, 100, 100, 200, 200, 300, 500, 500, 800, 1000, 2000, 5000)


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, rng.randint(8, 21), rng.randint(0, 59), rng.randint(0, 59), tzinfo=TZ)


def _day_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, max((end - start).days, 0)))


class CharitySeeder:
    def __init__(self, *, seed: int, names: list[str]) -> None:
        self.rng = random.Random(seed + 7)
        self.names = names or ["陈志强", "李秀兰", "黄伟明", "张丽娟"]
        self.counts: Counter[str] = Counter()
        User = get_user_model()
        self.admin = User.objects.get(username="admin")
        self.finance = User.objects.get(username="finance")
        self.worker = User.objects.filter(username="station_worker").first()
        self.donor = User.objects.filter(username="donor").first()
        self.today = timezone.localdate()

    def name(self) -> str:
        return self.rng.choice(self.names)

    def run(self) -> Counter[str]:
        if CommunityFund.objects.filter(code__startswith="gz-").exists():
            return self.counts
        federation = Organization.objects.get(name=data.CITY_FEDERATION)
        stations = list(Station.objects.select_related("street__parent").order_by("street__code"))
        points: dict[int, list[DonationPoint]] = {}
        for p in DonationPoint.objects.filter(active=True).order_by("pk"):
            points.setdefault(p.station_id, []).append(p)
        funds: list[CommunityFund] = []
        for station in stations:
            fund = self.fund(station, federation)
            funds.append(fund)
            self.projects(fund)
            self.point_gifts(fund, points.get(station.pk, []))
        self.restricted_fund(next((s for s in stations if s.street.name == "北京街道"), stations[0] if stations else None), federation)
        self.giving_day(funds, federation)
        self.winter_appeal(funds, federation)
        self.payouts(funds)
        self.receipts()
        self.fees(funds)
        sealing.seal_create()
        self.counts["ledger_seals"] += 1
        return self.counts

    def actor_for(self, fund: CommunityFund) -> Any:
        """Who asks for a fund's money: the demo station worker for their own station, else the admin."""
        if self.worker is not None and fund.station is not None and fund.station.street.name == "北京街道":
            return self.worker
        return self.admin

    def fund(self, station: Station, federation: Organization) -> CommunityFund:
        street = station.street
        fund = cs.fund_create(
            actor=self.admin, code=f"gz-{street.code}", name=f"{street.name}社区慈善基金", division=street, custodian=federation,
            station=station, opened_on=dt.date(self.rng.randint(2019, 2023), self.rng.randint(1, 12), 1),
            fee_rate=self.rng.choice(["0", "0.03", "0.05"]), seed=self.rng.choice([5000, 10000, 20000, 30000]),
            description=f"由{street.name}社工站发起、{federation.name}托管的社区慈善基金，用于本街道长者、困境儿童、残障人士和困难家庭的帮扶。",
        )
        self.counts["charity_funds"] += 1
        return fund

    def projects(self, fund: CommunityFund) -> None:
        for title, purpose, (low, high), _lines in self.rng.sample(PROJECTS, 2):
            start = dt.date(self.rng.choice([2025, 2026]), self.rng.randint(1, 3), 1)
            cs.project_create(
                actor=self.admin, fund=fund, title=f"{fund.division.name.removesuffix('街道')}{title}", purpose=purpose,
                budget=self.rng.randrange(low, high, 1000), starts_on=start,
                ends_on=dt.date(start.year + 1, 12, 31) if start.year == 2025 else dt.date(2027, 6, 30),
            )
            self.counts["charity_projects"] += 1

    def point_gifts(self, fund: CommunityFund, at: list[DonationPoint]) -> None:
        if not at:
            return
        projects = list(fund.projects.all())
        start = max(dt.date(2025, 12, 1), fund.opened_on)
        for _ in range(self.rng.randint(4, 9)):
            company = self.rng.random() < 0.2
            donor = self.rng.choice(COMPANIES) if company else self.name()
            point = self.rng.choice(at)
            channels = [c for c, ok in (("cash", point.accepts_cash), ("transfer", point.accepts_transfer)) if ok]
            if not channels:
                continue
            cs.donation_record(
                actor=self.admin, fund=fund, amount=self.rng.choice(POINT_AMOUNTS) * (5 if company else 1),
                channel=self.rng.choice(channels), donor_name=donor, show_name=company or self.rng.random() < 0.3,
                project=self.rng.choice(projects) if projects and self.rng.random() < 0.3 else None, point=point,
                received_at=_at(_day_between(self.rng, start, self.today - dt.timedelta(days=1)), self.rng),
            )
            self.counts["charity_gifts"] += 1
        goods_points = [p for p in at if p.accepts_goods]
        if not goods_points:
            return
        point = self.rng.choice(goods_points)
        for item, unit, price in self.rng.sample(GOODS, 2):
            qty = Decimal(self.rng.randint(10, 60))
            cs.donation_record(
                actor=self.admin, fund=fund, amount=(price * qty).quantize(Decimal("0.01")), channel="goods",
                donor_name=self.rng.choice(COMPANIES), show_name=True, point=point, goods=cs.Goods(item=item, quantity=qty, unit=unit),
                received_at=_at(_day_between(self.rng, start, self.today - dt.timedelta(days=20)), self.rng),
            )
            cs.goods_give_out(actor=self.admin, point=point, fund=fund, item=item, quantity=qty // 3,
                              recipient=f"{self.name()[0]}**（困难家庭）", note="社工入户发放")
            self.counts["charity_goods"] += 1

    def restricted_fund(self, station: Station | None, federation: Organization) -> None:
        if station is None:
            return
        fund = cs.fund_create(
            actor=self.admin, code=f"gz-{station.street.code}-elderly", name=f"{station.street.name}长者助餐专项基金",
            division=station.street, custodian=federation, station=station, opened_on=dt.date(2024, 3, 1), restricted=True,
            purpose="elderly", seed=20000, description="专项用于辖内长者饭堂助餐与送餐服务的定向基金。",
        )
        cs.project_create(actor=self.admin, fund=fund, title="长者送餐上门", purpose="elderly", budget=60000,
                          starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31))
        self.counts["charity_funds"] += 1
        self.counts["charity_projects"] += 1

    def _campaign(self, *, slug: str, title: str, federation: Organization, goal: int, start: dt.datetime, end: dt.datetime,
                  targets: list[tuple[CommunityFund, Project | None]], description: str, record: str) -> Campaign:
        campaign = cs.campaign_create(actor=self.admin, slug=slug, title=title, organizer=federation, goal=goal,
                                      starts_at=start, ends_at=end, targets=targets, description=description, record_number=record)
        self.counts["charity_campaigns"] += 1
        return cs.campaign_open(actor=self.admin, campaign=campaign)

    def _online(self, campaign: Campaign, targets: list[tuple[CommunityFund, Project | None]], n: int,
                start: dt.datetime, end: dt.datetime, source: str) -> None:
        seconds = int((end - start).total_seconds())
        for i in range(n):
            fund, project = self.rng.choice(targets)
            mine = self.donor is not None and i % 40 == 0
            when = start + dt.timedelta(seconds=self.rng.randint(0, seconds))
            cs.donation_record(
                actor=None, fund=fund, project=project, campaign=campaign, amount=self.rng.choice(ONLINE_AMOUNTS), channel="online",
                donor_name="谢永强" if mine else self.name(), show_name=self.rng.random() < 0.25,
                donor_user=self.donor if mine else None, donor_key=f"demo-payer-{self.rng.randint(1, n // 2)}",
                received_at=when, source=source, external_id=f"{campaign.slug}-{i:05d}", late_ok=True, _skip_access=True,
            )
            self.counts["charity_gifts"] += 1

    def giving_day(self, funds: list[CommunityFund], federation: Organization) -> None:
        picked = [f for f in funds if f.division.parent is not None and f.division.parent.name in ("越秀区", "天河区")][:12] or funds[:8]
        targets: list[tuple[CommunityFund, Project | None]] = [(f, None) for f in picked]
        first = picked[0].projects.first() if picked else None
        if first is not None:
            targets.append((picked[0], first))
        start, end = dt.datetime(2026, 8, 25, tzinfo=TZ), dt.datetime(2026, 9, 10, 23, 59, 59, tzinfo=TZ)
        campaign = self._campaign(
            slug="gz-charity-day-2026", title="2026年广州慈善日 · 社区慈善基金联合劝募", federation=federation, goal=300000,
            start=start, end=end, targets=targets, record="53440100MJK0000000A2026090501",
            description="9月5日中华慈善日，广州市慈善会联合各街道社工站为社区慈善基金联合劝募，爱心企业按1:1配捐。",
        )
        cs.match_pool_create(actor=self.admin, campaign=campaign, sponsor_name=SPONSORS[0], ratio="1", per_donor_cap="200",
                             per_day_cap="20000", total_cap="50000", deposit="50000")
        self._online(campaign, targets, 240, start, end, "pay:fakepay")
        late = Donation.objects.filter(campaign=campaign, channel="online").order_by("-id").first()
        if late is not None:  # one gift the donor asked back before any receipt
            cs.donation_refund(actor=self.finance, donation=late, reason="捐赠人重复支付，申请退回")
            self.counts["charity_refunds"] += 1
        cs.campaign_close(actor=self.admin, campaign=campaign)

    def winter_appeal(self, funds: list[CommunityFund], federation: Organization) -> None:
        now = timezone.now()
        start = dt.datetime(2026, 11, 15, tzinfo=TZ)
        if now <= start + dt.timedelta(days=1):
            start = now - dt.timedelta(days=7)
        end = max(dt.datetime(2026, 12, 31, 23, 59, 59, tzinfo=TZ), now + dt.timedelta(days=30))
        elderly = [(p.fund, p) for p in Project.objects.filter(fund__in=funds, purpose="elderly").select_related("fund")[:6]]
        targets: list[tuple[CommunityFund, Project | None]] = elderly + [(f, None) for f in funds[:4]]
        campaign = self._campaign(
            slug="gz-winter-2026", title="2026冬日暖心 · 长者助餐联合劝募", federation=federation, goal=150000, start=start, end=end,
            targets=targets, record="53440100MJK0000000A2026111501",
            description="为独居、高龄长者筹集冬季助餐与送餐经费，每捐1元，爱心企业配捐0.5元。",
        )
        cs.match_pool_create(actor=self.admin, campaign=campaign, sponsor_name=SPONSORS[1], ratio="0.5", per_donor_cap="100",
                             per_day_cap="5000", total_cap="30000", deposit="30000")
        self._online(campaign, targets, 100, start, min(now - dt.timedelta(minutes=5), end), "pay:fakepay")

    def payouts(self, funds: list[CommunityFund]) -> None:
        lines_for = {title: lines for title, _p, _b, lines in PROJECTS}
        for n, fund in enumerate(funds):
            fund.account.refresh_from_db()
            for project in fund.projects.all():
                base = next((t for t in lines_for if project.title.endswith(t)), "")
                items = lines_for.get(base, ("项目支出",))
                available = fund.account.balance + project.restricted_account.balance
                stages = ["paid"] + (["approved"] if n % 4 == 0 else []) + (["requested"] if n % 3 == 0 else [])
                if n % 11 == 5:
                    stages.append("rejected")
                for k, stage in enumerate(stages):
                    amount = (available * Decimal(self.rng.choice(["0.08", "0.12", "0.15"]))).quantize(Decimal("1"))
                    if amount < 200:
                        continue
                    first_line = (amount * Decimal("0.6")).quantize(Decimal("0.01"))
                    split = [first_line, amount - first_line]
                    month = ["3月", "6月", "9月", "11月", "12月"][k % 5]
                    try:
                        payout = cs.payout_request(
                            actor=self.actor_for(fund), fund=fund, project=project, title=f"{project.title}（2026年{month}）",
                            payee=f"{fund.division.name}社工服务站" if k % 2 == 0 else "广州市穗安餐饮服务有限公司",
                            lines=list(zip(items[:2], split, strict=False)),
                        )
                        self.counts["charity_payouts"] += 1
                        if stage == "rejected":
                            cs.payout_reject(actor=self.finance, payout=payout, note="预算明细不全，请补充报价单后重新提交")
                        elif stage in ("paid", "approved"):
                            payout = cs.payout_approve(actor=self.finance, payout=payout, note="预算合理，同意拨付")
                            if stage == "paid":
                                cs.payout_pay(actor=self.finance, payout=payout,
                                              payment_reference=f"ICBC{self.rng.randint(10**11, 10**12 - 1)}")
                    except DomainError:
                        continue
                    available -= amount

    def receipts(self) -> None:
        gifts = list(Donation.objects.filter(status="confirmed", amount__gte=100).exclude(channel="seed").order_by("received_at", "pk"))
        voided = False
        for gift in gifts:
            if self.rng.random() > 0.3:
                continue
            receipt = cs.receipt_issue(actor=self.finance, donation=gift)
            self.counts["charity_receipts"] += 1
            if not voided and gift.channel == "transfer":
                cs.receipt_void(actor=self.finance, receipt=receipt, reason="抬头填写有误，作废后重开")
                cs.receipt_issue(actor=self.finance, donation=gift)
                self.counts["charity_receipts"] += 1
                voided = True

    def fees(self, funds: list[CommunityFund]) -> None:
        quarters = [(dt.date(2026, m, 1), dt.date(2026, m + 2, 30 if m + 2 in (6, 9) else 31)) for m in (1, 4, 7)]
        for fund in funds:
            if not fund.fee_rate:
                continue
            for start, end in quarters:
                if end >= self.today:
                    continue
                try:
                    cs.fee_charge(actor=self.finance, fund=fund, period_start=start, period_end=end)
                    self.counts["charity_fees"] += 1
                except DomainError:
                    continue


def charity_totals() -> Counter[str]:
    from shanlian.charity.models import Payout, Receipt

    return Counter({
        "charity_funds": CommunityFund.objects.count(), "charity_projects": Project.objects.count(),
        "charity_campaigns": Campaign.objects.count(), "charity_gifts": Donation.objects.exclude(channel="seed").count(),
        "charity_payouts": Payout.objects.count(), "charity_receipts": Receipt.objects.count(),
    })


def seed_charity(*, seed: int, names: list[str]) -> tuple[Counter[str], Counter[str]]:
    """(created, already there) by kind."""
    before = charity_totals()
    created = CharitySeeder(seed=seed, names=names).run()
    return created, before
