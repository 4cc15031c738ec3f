"""The demo city's charity money, written through the charity services as real use would, in the order it
happened (`Timeline`, under the time bank's simulated clock): each entry is recorded on its day.

Every street's station raises for a community fund held in custody by 广州市慈善会 (as the city's
community charity funds are). The books run from 1 January of the year before the demo's year (`demo_year`):
gifts at donation points (cash recorded that evening or a few days later, transfers, goods given out again), the
Giving Day joint appeals of 5 September with a sponsor's matching pool (closed), a winter appeal that is open
now, a payout each quarter of each project (asked, approved, paid; this week's still waiting), receipts (one
voided and reissued), a refund, quarterly management fees, the disclosure reports on the days they fall due, and
a sealed ledger. A second run writes nothing.
"""

from __future__ import annotations

import datetime as dt
import heapq
import random
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.utils import timezone

from shanlian.charity import services as cs
from shanlian.charity.models import Campaign, CommunityFund, Donation, Project
from shanlian.charity.reports import reports_generate
from shanlian.core.errors import DomainError
from shanlian.ledger import sealing
from shanlian.ledger.models import Account
from shanlian.orgs.models import DonationPoint, Organization, Station

from . import data
from .timebank import SimulatedClock

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


def _on(day: dt.date, hhmm: str) -> dt.datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    return dt.datetime(day.year, day.month, day.day, h, m, tzinfo=TZ)


def demo_year(today: dt.date) -> int:
    """The year of the demo's latest Giving Day: this year once its appeal (25 August to 10 September) is over,
    else last year. The books run from 1 January of the year before it, so last year's income is a full year."""
    return today.year if today >= dt.date(today.year, 9, 15) else today.year - 1


def _quarters(first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.date]]:
    out, day = [], dt.date(first.year, (first.month - 1) // 3 * 3 + 1, 1)
    while day <= last:
        end_month = day.month + 2
        end = dt.date(day.year, end_month, 30 if end_month in (6, 9) else 31)
        out.append((day, end))
        day = end + dt.timedelta(days=1)
    return out


class Timeline:
    """The demo's charity history as events, run in the order they happened under the simulated clock: each
    service sees "now" as on the day (a fee for a quarter that is over, a payout approved after it was asked
    for), and each ledger entry is recorded when it happened, so the ledger's order is the order of time."""

    def __init__(self, clock: SimulatedClock, now: dt.datetime) -> None:
        self.clock, self.now = clock, now
        self.events: list[tuple[dt.datetime, int, Callable[..., Any], tuple[Any, ...]]] = []
        self.n = 0

    def at(self, moment: dt.datetime, work: Callable[..., Any], *args: Any) -> None:
        """Schedule `work(*args)` at `moment`; a moment still to come is not part of the history and is dropped."""
        if moment <= self.now:
            heapq.heappush(self.events, (moment, self.n, work, args))
            self.n += 1

    def run(self) -> None:
        with self.clock.installed():
            done: dt.datetime | None = None  # the simulated time the last event ended at
            while self.events:
                moment, _n, work, args = heapq.heappop(self.events)
                self.clock.at(moment if done is None else max(moment, done))  # never back: events of one minute keep their order
                work(*args)
                done = timezone.now()


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
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.year = demo_year(self.today)
        self.history_start = dt.date(self.year - 1, 1, 1)
        self.timeline = Timeline(SimulatedClock(), self.now - dt.timedelta(minutes=2))
        self.voided = False
        self.refunded: set[int] = set()  # gifts given back (only this seeder refunds, so no need to read each status again)

    def name(self) -> str:
        return self.rng.choice(self.names)

    def run(self) -> Counter[str]:
        if CommunityFund.objects.filter(code__startswith="gz-").exists():
            return self.counts
        federation = Organization.objects.get(name=data.CITY_FEDERATION)
        stations = list(Station.objects.select_related("street__parent").order_by("street__code"))
        points: dict[int, list[DonationPoint]] = {}
        for p in DonationPoint.objects.filter(active=True).select_related("station__street").order_by("pk"):
            points.setdefault(p.station_id, []).append(p)
        # Funds and projects first (their days are drawn now; they are written in time order with the rest).
        plans = [self.plan_fund(i, station, federation, points.get(station.pk, [])) for i, station in enumerate(stations)]
        self.restricted_fund(next((s for s in stations if s.street.name == "北京街道"), stations[0] if stations else None), federation)
        self.giving_day(self.year - 1, plans, federation, gifts=160)
        self.giving_day(self.year, plans, federation, gifts=240)
        self.winter_appeal(plans, federation)
        self.fees(plans)
        for start, _end in _quarters(dt.date(self.year - 1, 4, 1), self.today):
            self.timeline.at(_on(start + dt.timedelta(days=4), "02:00"), self.reports, start)
        self.timeline.run()
        sealing.seal_create()
        self.counts["ledger_seals"] += 1
        return self.counts

    def actor_for(self, fund: CommunityFund) -> Any:
        """Who asks for a fund's money and records its gifts: the demo station worker for their own station, else the admin."""
        if self.worker is not None and fund.station is not None and fund.station.street.name == "北京街道":
            return self.worker
        return self.admin

    # -- funds and their projects ------------------------------------------------------------------------

    def plan_fund(self, i: int, station: Station, federation: Organization, at: list[DonationPoint]) -> dict[str, Any]:
        street = station.street
        # The funds opened in the first months of the books (so every yearly figure covers the whole of their history).
        opened = dt.date(self.year - 1, self.rng.randint(1, 3), 1)
        # What is still on the finance desk today: a request (every third fund, and the demo worker's), an approval
        # waiting for the bank (every fourth).
        waiting = "requested" if i % 3 == 0 or street.name == "北京街道" else ("approved" if i % 4 == 0 else "")
        plan: dict[str, Any] = {"i": i, "fund": None, "waiting": waiting, "busy": street.name == "北京街道", "projects": []}
        args: dict[str, Any] = {
            "actor": self.admin, "code": f"gz-{street.code}", "name": f"{street.name}社区慈善基金", "division": street,
            "custodian": federation, "station": station, "opened_on": opened, "fee_rate": self.rng.choice(["0", "0.03", "0.05"]),
            "seed": self.rng.choice([5000, 10000, 20000, 30000]),
            "description": (f"由{street.name}社工站发起、{federation.name}托管的社区慈善基金，"
                            "用于本街道长者、困境儿童、残障人士和困难家庭的帮扶。"),
        }

        def create() -> None:
            plan["fund"] = cs.fund_create(**args)
            self.counts["charity_funds"] += 1

        self.timeline.at(_on(opened, "10:00"), create)
        for n, (title, purpose, (low, high), lines) in enumerate(self.rng.sample(PROJECTS, 2)):
            start = dt.date(self.rng.choice([self.year - 1, self.year]), self.rng.randint(1, 3), 1)
            project = {"title": f"{street.name.removesuffix('街道').removesuffix('镇')}{title}", "purpose": purpose,
                       "budget": self.rng.randrange(low, high, 1000), "starts_on": start, "lines": lines, "turn": n,
                       "ends_on": dt.date(self.year, 12, 31) if start.year < self.year else dt.date(self.year + 1, 6, 30)}
            planned = max(_on(opened, "10:30"), _on(start - dt.timedelta(days=self.rng.randint(5, 20)), "10:30"))
            self.timeline.at(planned, self.project, plan, project)
        self.point_gifts(plan, at, opened)
        return plan

    def project(self, plan: dict[str, Any], spec: dict[str, Any]) -> None:
        project = cs.project_create(actor=self.admin, fund=plan["fund"], title=spec["title"], purpose=spec["purpose"],
                                    budget=spec["budget"], starts_on=spec["starts_on"], ends_on=spec["ends_on"])
        self.counts["charity_projects"] += 1
        plan.setdefault("projects", []).append(project)
        self.payouts(plan, project, spec["lines"], spec["turn"])

    # -- gifts -------------------------------------------------------------------------------------------

    def point_gifts(self, plan: dict[str, Any], at: list[DonationPoint], opened: dt.date) -> None:
        if not at:
            return
        start = max(self.history_start, opened)
        # The demo station worker's street is a busy one: its donation points take a gift every week or two.
        for _ in range(self.rng.randint(60, 80) if plan.get("busy") else self.rng.randint(10, 20)):
            company = self.rng.random() < 0.2
            point = self.rng.choice(at)
            channels = [c for c, ok in (("cash", point.accepts_cash), ("transfer", point.accepts_transfer)) if ok]
            if not channels:
                continue
            received = _at(_day_between(self.rng, start, self.today - dt.timedelta(days=1)), self.rng)
            # Cash is counted and recorded that evening or the next working day; a transfer when the bank's notice comes.
            lag = dt.timedelta(days=self.rng.choice([0, 0, 1, 1, 3]))
            recorded = max(received + dt.timedelta(minutes=20), _on((received + lag).date(), "19:30"))
            gift = {"amount": self.rng.choice(POINT_AMOUNTS) * (5 if company else 1), "channel": self.rng.choice(channels),
                    "donor_name": self.rng.choice(COMPANIES) if company else self.name(), "show_name": company or self.rng.random() < 0.3,
                    "point": point, "received_at": received, "to_project": self.rng.random() < 0.3}
            self.timeline.at(recorded, self.point_gift, plan, gift)
        goods_points = [p for p in at if p.accepts_goods]
        if not goods_points:
            return
        point = self.rng.choice(goods_points)
        for item, unit, price in self.rng.sample(GOODS, 2):
            qty = Decimal(self.rng.randint(10, 60))
            received = _at(_day_between(self.rng, start, self.today - dt.timedelta(days=20)), self.rng)
            goods = {"item": item, "unit": unit, "price": price, "qty": qty, "point": point, "received_at": received,
                     "donor_name": self.rng.choice(COMPANIES), "recipient": f"{self.name()[0]}**（困难家庭）"}
            self.timeline.at(received + dt.timedelta(minutes=30), self.goods_gift, plan, goods)
            self.timeline.at(_on((received + dt.timedelta(days=self.rng.randint(3, 12))).date(), "15:00"), self.goods_out, plan, goods)

    def point_gift(self, plan: dict[str, Any], gift: dict[str, Any]) -> None:
        fund = plan["fund"]
        # The fund's active projects begun by the gift's day, in the model's order (starts_on, id): kept as they are
        # made (the demo ends none) rather than read again for each gift.
        day = gift["received_at"].date()
        projects = sorted((p for p in plan["projects"] if p.status == "active" and p.starts_on <= day), key=lambda p: (p.starts_on, p.pk))
        donation = cs.donation_record(
            actor=self.actor_for(fund), fund=fund, amount=gift["amount"], channel=gift["channel"], donor_name=gift["donor_name"],
            show_name=gift["show_name"], project=self.rng.choice(projects) if projects and gift["to_project"] else None,
            point=gift["point"], received_at=gift["received_at"],
        )
        self.counts["charity_gifts"] += 1
        self.receipt_later(donation, fund)

    def goods_gift(self, plan: dict[str, Any], goods: dict[str, Any]) -> None:
        cs.donation_record(
            actor=self.actor_for(plan["fund"]), fund=plan["fund"], amount=(goods["price"] * goods["qty"]).quantize(Decimal("0.01")),
            channel="goods", donor_name=goods["donor_name"], show_name=True, point=goods["point"],
            goods=cs.Goods(item=goods["item"], quantity=goods["qty"], unit=goods["unit"]), received_at=goods["received_at"],
        )
        self.counts["charity_goods"] += 1

    def goods_out(self, plan: dict[str, Any], goods: dict[str, Any]) -> None:
        cs.goods_give_out(actor=self.actor_for(plan["fund"]), point=goods["point"], fund=plan["fund"], item=goods["item"],
                          quantity=goods["qty"] // 3, recipient=goods["recipient"], note="社工入户发放")

    def receipt_later(self, donation: Donation, fund: CommunityFund) -> None:
        """About a third of the gifts of ¥100 or more get a receipt from the federation's finance office within two weeks;
        the first transfer's is voided (wrong payer name) and issued again the next day."""
        if donation.amount.amount < 100 or self.rng.random() > 0.3:
            return
        day = (donation.received_at + dt.timedelta(days=self.rng.randint(2, 14))).date()
        donation.fund = fund  # the fund the gift was recorded to, so the services need not read it again

        def issue() -> None:
            if donation.pk in self.refunded:  # (refunded meanwhile)
                return
            receipt = cs.receipt_issue(actor=self.finance, donation=donation)
            self.counts["charity_receipts"] += 1
            if not self.voided and donation.channel == "transfer":
                self.voided = True
                self.timeline.at(_on(day, "16:40"), void, receipt)
                self.timeline.at(_on(day + dt.timedelta(days=1), "09:50"), reissue)

        def void(receipt: Any) -> None:
            cs.receipt_void(actor=self.finance, receipt=receipt, reason="抬头填写有误，作废后重开")

        def reissue() -> None:
            cs.receipt_issue(actor=self.finance, donation=donation)
            self.counts["charity_receipts"] += 1

        self.timeline.at(_on(day, "15:20"), issue)

    def restricted_fund(self, station: Station | None, federation: Organization) -> None:
        if station is None:
            return
        opened = dt.date(self.year - 1, 1, 1)

        def create() -> None:
            fund = cs.fund_create(
                actor=self.admin, code=f"gz-{station.street.code}-elderly", name=f"{station.street.name}长者助餐专项基金",
                division=station.street, custodian=federation, station=station, opened_on=opened, restricted=True,
                purpose="elderly", seed=20000, description="专项用于辖内长者饭堂助餐与送餐服务的定向基金。",
            )
            self.counts["charity_funds"] += 1
            plan = {"fund": fund, "i": -1, "waiting": ""}
            self.timeline.at(_on(dt.date(self.year, 1, 1) - dt.timedelta(days=12), "10:30"), self.project, plan, {
                "title": "长者送餐上门", "purpose": "elderly", "budget": 60000, "starts_on": dt.date(self.year, 1, 1),
                "ends_on": dt.date(self.year, 12, 31), "lines": ("送餐上门人工", "餐具与保温箱"), "turn": 0})

        self.timeline.at(_on(opened, "10:00"), create)

    # -- joint appeals -----------------------------------------------------------------------------------

    def _campaign(self, *, slug: str, title: str, federation: Organization, goal: int, start: dt.datetime, end: dt.datetime,
                  targets: list[tuple[CommunityFund, Project | None]], description: str, record: str) -> Campaign:
        campaign = cs.campaign_create(actor=self.admin, slug=slug, title=title, organizer=federation, goal=goal,
                                      starts_at=start, ends_at=end, targets=targets, description=description, record_number=record)
        self.counts["charity_campaigns"] += 1
        return cs.campaign_open(actor=self.admin, campaign=campaign)

    def _online(self, state: dict[str, Any], n: int, start: dt.datetime, end: dt.datetime, source: str) -> None:
        seconds = max(int((end - start).total_seconds()), 1)
        for i in range(n):
            mine = self.donor is not None and i % 40 == 0
            gift = {"i": i, "mine": mine, "amount": self.rng.choice(ONLINE_AMOUNTS), "name": "谢永强" if mine else self.name(),
                    "show": self.rng.random() < 0.25, "key": f"demo-payer-{self.rng.randint(1, n // 2)}", "pick": self.rng.random()}
            # Mostly in the day and the evening, as people give from their phones.
            day = (start + dt.timedelta(seconds=self.rng.randint(0, seconds))).date()
            when = max(start, min(end, _on(day, f"{self.rng.choice([7, 8, 9, 10, 12, 12, 13, 17, 19, 20, 20, 21, 21, 22, 23])}:"
                                                f"{self.rng.randint(0, 59):02d}") + dt.timedelta(seconds=self.rng.randint(0, 59))))
            gift["when"] = when
            self.timeline.at(when, self._online_gift, state, gift, source)

    def _online_gift(self, state: dict[str, Any], gift: dict[str, Any], source: str) -> None:
        campaign, targets = state["campaign"], state["targets"]
        fund, project = targets[int(gift["pick"] * len(targets))]
        donation = cs.donation_record(
            actor=None, fund=fund, project=project, campaign=campaign, amount=gift["amount"], channel="online",
            donor_name=gift["name"], show_name=gift["show"], donor_user=self.donor if gift["mine"] else None, donor_key=gift["key"],
            received_at=gift["when"], source=source, external_id=f"{campaign.slug}-{gift['i']:05d}", _skip_access=True,
        )
        state["last"] = donation
        self.counts["charity_gifts"] += 1
        self.receipt_later(donation, fund)

    def giving_day(self, year: int, plans: list[dict[str, Any]], federation: Organization, gifts: int) -> None:
        start, end = dt.datetime(year, 8, 25, tzinfo=TZ), dt.datetime(year, 9, 10, 23, 59, 59, tzinfo=TZ)
        state: dict[str, Any] = {}
        sponsor = SPONSORS[year % 2]

        def create() -> None:
            funds = [p["fund"] for p in plans if p["fund"] is not None]
            central = [f for f in funds if f.division.parent is not None and f.division.parent.name in ("越秀区", "天河区")]
            picked = central[:12] or funds[:8]
            targets: list[tuple[CommunityFund, Project | None]] = [(f, None) for f in picked]
            first = Project.objects.filter(fund__in=picked, status="active").order_by("pk").first()
            if first is not None:
                targets.append((first.fund, first))
            state["targets"] = targets
            state["campaign"] = self._campaign(
                slug=f"gz-charity-day-{year}", title=f"{year}年广州慈善日 · 社区慈善基金联合劝募", federation=federation,
                goal=300000 if year == self.year else 200000, start=start, end=end, targets=targets,
                record=f"53440100MJK0000000A{year}090501",
                description="9月5日中华慈善日，广州市慈善会联合各街道社工站为社区慈善基金联合劝募，爱心企业按1:1配捐。",
            )
            cs.match_pool_create(actor=self.admin, campaign=state["campaign"], sponsor_name=sponsor, ratio="1", per_donor_cap="200",
                                 per_day_cap="20000", total_cap="50000", deposit="50000")

        def close() -> None:
            cs.campaign_close(actor=self.admin, campaign=state["campaign"])

        def refund() -> None:  # one gift the donor asked back before any receipt
            late = state.get("last")
            if late is not None and not late.receipts.exists():
                cs.donation_refund(actor=self.finance, donation=late, reason="捐赠人重复支付，申请退回")
                self.refunded.add(late.pk)
                self.counts["charity_refunds"] += 1

        self.timeline.at(_on(dt.date(year, 8, 3), "10:00"), create)
        self._online(state, gifts, start, end, "pay:fakepay")
        self.timeline.at(_on(dt.date(year, 9, 11), "09:00"), close)
        if year == self.year:
            self.timeline.at(_on(dt.date(year, 9, 11), "10:20"), refund)

    def winter_appeal(self, plans: list[dict[str, Any]], federation: Organization) -> None:
        start = dt.datetime(self.year, 11, 15, tzinfo=TZ)
        if self.now <= start + dt.timedelta(days=1):
            start = self.now - dt.timedelta(days=7)
        end = max(dt.datetime(self.year, 12, 31, 23, 59, 59, tzinfo=TZ), self.now + dt.timedelta(days=30))
        state: dict[str, Any] = {}

        def create() -> None:
            funds = [p["fund"] for p in plans if p["fund"] is not None]
            elderly = [(p.fund, p) for p in Project.objects.filter(fund__in=funds, purpose="elderly", status="active")
                       .select_related("fund").order_by("pk")[:6]]
            state["targets"] = elderly + [(f, None) for f in funds[:4]]
            state["campaign"] = self._campaign(
                slug=f"gz-winter-{self.year}", title=f"{self.year}冬日暖心 · 长者助餐联合劝募", federation=federation, goal=150000,
                start=start, end=end, targets=state["targets"], record=f"53440100MJK0000000A{self.year}111501",
                description="为独居、高龄长者筹集冬季助餐与送餐经费，每捐1元，爱心企业配捐0.5元。",
            )
            cs.match_pool_create(actor=self.admin, campaign=state["campaign"], sponsor_name=SPONSORS[1], ratio="0.5",
                                 per_donor_cap="100", per_day_cap="5000", total_cap="30000", deposit="30000")

        self.timeline.at(start - dt.timedelta(days=5), create)
        self._online(state, 100, start, min(self.now - dt.timedelta(minutes=5), end), "pay:fakepay")

    # -- spending ----------------------------------------------------------------------------------------

    def payouts(self, plan: dict[str, Any], project: Project, items: tuple[str, ...], turn: int) -> None:
        """A tranche every other quarter of the project's run, the fund's two projects taking turns (so each quarter
        the fund pays one): asked for mid-quarter, approved by the federation's finance office a few days later and
        paid after that. The latest ones are still waiting, as on any day."""
        first = max(project.starts_on, self.history_start)
        quarters = _quarters(first, min(project.ends_on, self.today))
        for k, (q_start, _q_end) in enumerate(quarters):
            if (q_start.year * 4 + q_start.month // 3) % 2 != turn:
                continue
            hhmm = f"{self.rng.randint(9, 17)}:{self.rng.choice(['05', '20', '40'])}"
            asked = _on(q_start + dt.timedelta(days=self.rng.randint(15, 45)), hhmm)
            waiting = plan["waiting"] if k == len(quarters) - 1 and project.ends_on > self.today else ""
            if waiting:
                asked = self.now - dt.timedelta(days=self.rng.randint(1, 9), hours=self.rng.randint(0, 6))
            approve = asked + dt.timedelta(days=self.rng.randint(1, 4), hours=self.rng.randint(0, 5))
            pay = approve + dt.timedelta(days=self.rng.randint(1, 5))
            spec = {"k": k, "share": self.rng.choice(["0.36", "0.44", "0.52"]), "ref": f"ICBC{self.rng.randint(10**11, 10**12 - 1)}",
                    "reject": plan["i"] % 11 == 5 and k in (1, 2), "payee_station": k % 2 == 0,
                    "approve": None if waiting == "requested" else min(approve, self.now - dt.timedelta(minutes=30)),
                    "pay": None if waiting else pay}
            self.timeline.at(asked, self.payout, plan, project, items, spec)

    def payout(self, plan: dict[str, Any], project: Project, items: tuple[str, ...], spec: dict[str, Any]) -> None:
        fund = plan["fund"]
        # Both balances as they are now, in one read.
        fresh = {a.pk: a for a in Account.objects.filter(pk__in=[fund.account_id, project.restricted_account_id])}
        fund.account, project.restricted_account = fresh[fund.account_id], fresh[project.restricted_account_id]
        available = (fund.account.balance - fund.account.held) / 3 + project.restricted_account.balance - project.restricted_account.held
        amount = (available * Decimal(spec["share"])).quantize(Decimal("1"))
        if amount < 200:
            return
        first_line = (amount * Decimal("0.6")).quantize(Decimal("0.01"))
        asked_on = timezone.localdate()
        try:
            payout = cs.payout_request(
                actor=self.actor_for(fund), fund=fund, project=project, title=f"{project.title}（{asked_on.year}年{asked_on.month}月）",
                payee=f"{fund.division.name}社工服务站" if spec["payee_station"] else "广州市穗安餐饮服务有限公司",
                lines=list(zip(items[:2], [first_line, amount - first_line], strict=False)),
            )
        except DomainError:
            return
        self.counts["charity_payouts"] += 1

        def decide() -> None:
            if spec["reject"]:
                cs.payout_reject(actor=self.finance, payout=payout, note="预算明细不全，请补充报价单后重新提交")
                return
            try:
                approved = cs.payout_approve(actor=self.finance, payout=payout, note="预算合理，同意拨付")
            except DomainError:
                return
            if spec["pay"] is not None:
                self.timeline.at(spec["pay"], self.pay, approved, spec["ref"])

        if spec["approve"] is not None:
            self.timeline.at(spec["approve"], decide)

    def pay(self, payout: Any, reference: str) -> None:
        cs.payout_pay(actor=self.finance, payout=payout, payment_reference=reference)

    def fees(self, plans: list[dict[str, Any]]) -> None:
        """Each quarter's management fee, taken by the federation's finance office ten days after the quarter."""
        for plan in plans:
            for start, end in _quarters(self.history_start, self.today):
                self.timeline.at(_on(end + dt.timedelta(days=10), "11:00"), self.fee, plan, start, end)

    def fee(self, plan: dict[str, Any], start: dt.date, end: dt.date) -> None:
        fund = plan["fund"]
        if not fund.fee_rate:
            return
        try:
            cs.fee_charge(actor=self.finance, fund=fund, period_start=start, period_end=end)
            self.counts["charity_fees"] += 1
        except DomainError:
            pass

    def reports(self, day: dt.date) -> None:
        """The daily job's disclosure reports, on the day they fall due."""
        self.counts["charity_reports"] += reports_generate(today=day)


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
