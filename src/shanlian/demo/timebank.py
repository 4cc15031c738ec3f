"""The demo city's time bank, written through the time-bank services as real use would.

Four stations run activities (北京街道 and 石牌街道 fully, 人民街道 and 五山街道 lightly): a city quiz
bank every station draws from and the four stations' own questions, a few hundred volunteers (registered by
the station's social worker, or by themselves in the app), quiz attempts, weekly activities across categories
with months of past shifts (check-in and check-out by QR code, hours approved, some waiting, some declined,
paper sign-in sheets entered late with the agency's approval, one long day above 8 h), upcoming shifts with
sign-ups and a wait list, one shift under way now, a catalog with redemptions, credits given to family and to the
community pool, and a service certificate. A second run writes nothing.

The services check times against "now" (no shift can be published in the past, check-in uses the
server clock), so the past is written under a simulated clock (`SimulatedClock`): the same calls,
made as if on the day. The quiz draws from the city bank (CITY_QUESTIONS, no station) and each station's own.

Where things are: what the demo says (questions, activities, catalogs) in `timebank_data`; the volunteers and
their quiz in `timebank_volunteers` (a mixin of `TimebankSeeder`); the simulated clock in `timebank_clock`;
the seeder's steps (sites, catalog, past and upcoming shifts, spending) here.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from shanlian.core.errors import DomainError
from shanlian.orgs.models import Station
from shanlian.places.models import Division
from shanlian.timebank import services as tb
from shanlian.timebank.models import (
    Activity,
    CatalogItem,
    Category,
    FamilyLink,
    HoursRecord,
    QuizQuestion,
    Redemption,
    Shift,
    Signup,
    Volunteer,
)
from shanlian.timebank.services._access import is_agency, scope_of

from .timebank_clock import SimulatedClock, _local
from .timebank_data import CATALOG, FULL_DAY, LIGHT, LIGHT_STREETS, PAST_WEEKS, RICH, Recurring
from .timebank_volunteers import Site, VolunteersDemo


class TimebankSeeder(VolunteersDemo):
    def __init__(self, *, seed: int, password: str) -> None:
        self.rng = random.Random(seed + 11)
        self.password = password
        self.counts: Counter[str] = Counter()
        User = get_user_model()
        self.users = {
            u.username: u
            for u in User.objects.filter(
                username__in=["admin", "city_admin", "agency_manager", "station_worker", "station_worker2", "volunteer"])
        }
        self.admin = self.users["admin"]
        self.clock = SimulatedClock()
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.sites: dict[str, Site] = {}
        self.me: Volunteer | None = None
        self.usernames: set[str] = set(User.objects.values_list("username", flat=True))

    # -- helpers --

    def _user(self, name: str) -> Any:
        return self.users.get(name) or self.admin

    def _day_ago(self, days: int, hhmm: str = "10:00") -> dt.datetime:
        return _local(self.today - dt.timedelta(days=days), hhmm)

    def _place(self, pattern: str, site: Site, community: Division) -> str:
        district = site.station.street.parent
        roads = {"越秀区": ("北京路", "中山五路", "文德路", "西湖路"), "天河区": ("石牌西路", "天河路", "五山路", "石牌东路")}
        road = self.rng.choice(roads.get(district.name if district else "", ("中山大道",)))
        return pattern.format(c=community.name, n=self.rng.randint(2, 380), road=road, street=site.station.street.name)

    # -- the steps --

    def run(self) -> Counter[str]:
        if self.already_there():
            return self.counts
        with self.clock.installed():
            self.setup_sites()
            self.questions()
            self.app_volunteers()
            self.station_volunteers()
            self.quizzes()
            self.catalog()
            for name, (_, recurring) in RICH.items():
                if name in self.sites:
                    self.past(self.sites[name], recurring)
            for name in LIGHT_STREETS:
                if name in self.sites:
                    self.past(self.sites[name], LIGHT, weeks=4)
            self.full_day()
            self.late_entry()
            self.upcoming()
            self.spending()
        return self.counts

    def already_there(self) -> bool:
        return (
            QuizQuestion.objects.filter(station__street__name="北京街道").exists()
            or Activity.objects.filter(station__street__name="北京街道", title__contains="独居长者周六探访").exists()
        )

    def setup_sites(self) -> None:
        names = [*RICH, *LIGHT_STREETS]
        stations = {s.street.name: s for s in Station.objects.select_related("street__parent", "agency").filter(street__name__in=names)}
        manager = self.users.get("agency_manager")
        for name in names:
            station = stations.get(name)
            if station is None:
                continue
            manages = manager is not None and is_agency(scope_of(manager), station)
            if name in RICH:  # the station's social worker organizes; the agency (or the admin) confirms
                organizer = self._user(RICH[name][0])
                agency: Any = manager if manages else self.admin
            else:  # organized by the admin; without a manager of its agency, agency approvals wait
                organizer, agency = self.admin, manager if manages else None
            if agency is not None and agency.pk == organizer.pk:
                agency = None
            communities = list(Division.objects.filter(parent=station.street).order_by("code"))
            self.sites[name] = Site(station=station, organizer=organizer, agency=agency, communities=communities)

    def catalog(self) -> None:
        for name, items in CATALOG.items():
            site = self.sites.get(name)
            if site is None:
                continue
            self.clock.at(self._day_ago(120))
            for item_name, merchant, description, price, stock, limit in items:
                tb.catalog_item_create(
                    actor=site.organizer,
                    station=site.station,
                    name=item_name,
                    price=price,
                    stock=stock,
                    per_person_limit=int(limit),
                    merchant=merchant,
                    description=description,
                )
                self.counts["timebank_items"] += 1

    # -- past activity --

    def _publish(self, site: Site, spec: Recurring, days: list[dt.date], at: dt.datetime, community: Division) -> Activity:
        self.clock.at(at)
        shifts = []
        for day in days:
            start = _local(day, spec.start)
            shifts.append((start, start + dt.timedelta(hours=spec.hours), spec.headcount))
        activity = tb.activity_publish(
            actor=site.organizer,
            station=site.station,
            title=spec.title.format(c=community.name),
            category=spec.category,
            division=community,
            place=self._place(spec.place, site, community),
            shifts=shifts,
            description=spec.description,
            skills=list(spec.skills),
            quiz_required=spec.quiz,
        )
        self.counts["timebank_activities"] += 1
        self.counts["timebank_shifts"] += len(shifts)
        site.activities.append(activity)
        return activity

    def _weekly(self, weekday: int, weeks: int, ahead: int) -> list[dt.date]:
        """The last `weeks` occurrences of a weekday before today and the next `ahead` after it."""
        back = (self.today.weekday() - weekday) % 7 or 7
        last = self.today - dt.timedelta(days=back)
        past = [last - dt.timedelta(weeks=w) for w in range(weeks - 1, -1, -1)]
        nxt = self.today + dt.timedelta(days=(weekday - self.today.weekday()) % 7 or 7)
        return past + [nxt + dt.timedelta(weeks=w) for w in range(ahead)]

    def _attend(self, shift: Shift, volunteer: Volunteer, *, leave_early: bool = False) -> HoursRecord | None:
        user = volunteer.person.user
        self.clock.at(shift.starts_at - dt.timedelta(minutes=self.rng.randint(3, 15)))
        tb.check_in(actor=user, volunteer=volunteer, token=tb.qr_token(shift=shift))
        end = shift.starts_at + (shift.ends_at - shift.starts_at) * 0.4 if leave_early else shift.ends_at
        self.clock.at(end + dt.timedelta(minutes=self.rng.randint(1, 20)))
        _, record = tb.check_out(actor=user, volunteer=volunteer, token=tb.qr_token(shift=shift))
        return record

    def _signup(self, volunteer: Volunteer, shift: Shift, at: dt.datetime) -> Signup | None:
        self.clock.at(at)
        try:
            signup = tb.signup_create(actor=volunteer.person.user, volunteer=volunteer, shift=shift)
        except DomainError:
            return None  # overlapping or not certified: this volunteer skips the shift
        self.counts["timebank_signups"] += 1
        return signup

    def past(self, site: Site, recurring: tuple[Recurring, ...], weeks: int = PAST_WEEKS) -> None:
        certified = {v.pk for v in site.app if tb.is_certified(v)}
        for i, spec in enumerate(recurring):
            community = site.communities[i % len(site.communities)]
            days = self._weekly(spec.weekday, weeks, 2)
            first = _local(days[0], spec.start)
            activity = self._publish(site, spec, days, first - dt.timedelta(days=6, hours=3), community)
            shifts = list(activity.shifts.order_by("starts_at"))
            pool = [v for v in site.app if v.pk in certified or not spec.quiz]
            for n, shift in enumerate(shifts):
                if shift.starts_at > self.now:
                    self.upcoming_signups(shift, pool)
                    continue
                regular = (
                    bool(site.app)
                    and site.app[0] in pool
                    and n % spec.regular_every == 0
                    and not (spec.regular_skips_last and n == weeks - 1)
                )
                self.past_shift(site, shift, pool, recent=shift.starts_at > self.now - dt.timedelta(days=8), n=n, regular=regular)

    def past_shift(self, site: Site, shift: Shift, pool: list[Volunteer], *, recent: bool, n: int, regular: bool) -> None:
        lead = site.app[0] if site.app else None
        crowd = [v for v in pool if v is not lead]
        chosen = self.rng.sample(crowd, min(len(crowd), self.rng.choice((0, 0, 1, 1, 2))))
        if regular and lead is not None:
            chosen.insert(0, lead)
        records: list[HoursRecord] = []
        for v in chosen:
            if self._signup(v, shift, shift.starts_at - dt.timedelta(days=2, hours=self.rng.randint(0, 30))) is None:
                continue
            early = v is not lead and self.rng.random() < 0.05
            record = self._attend(shift, v, leave_early=early)
            if record is not None:
                records.append(record)
                self.counts["timebank_hours"] += 1
        decide = shift.ends_at + dt.timedelta(hours=self.rng.randint(14, 40))
        for record in records:
            if recent and record.volunteer_id != getattr(lead, "pk", None):
                continue  # waiting in the organizer's queue
            self.clock.at(decide)
            if record.volunteer_id != getattr(lead, "pk", None) and n % 9 == 4:
                tb.hours_decline(actor=site.organizer, record=record, reason="签到后未在岗服务，经现场负责人核实不予记录")
            else:
                tb.hours_approve(actor=site.organizer, record=record)
        # Older volunteers without a smartphone sign the paper sheet; the social worker enters them late.
        if site.paper and n % 3 == 0:
            for v in self.rng.sample(site.paper, min(len(site.paper), 1 if n % 2 else 2)):
                self._paper_hours(site, shift, v, approve=not recent)

    def _paper_hours(self, site: Site, shift: Shift, volunteer: Volunteer, *, approve: bool) -> None:
        length = Decimal((shift.ends_at - shift.starts_at).total_seconds()) / 3600
        self.clock.at(shift.ends_at + dt.timedelta(hours=self.rng.randint(2, 20)))
        try:
            record = tb.hours_late_entry(
                actor=site.organizer, volunteer=volunteer, shift=shift, hours=length, reason="长者志愿者无智能手机，按纸质签到表补录"
            )
        except DomainError:
            return
        self.counts["timebank_hours"] += 1
        if not approve:
            return
        record = tb.hours_approve(actor=site.organizer, record=record)
        if site.agency is not None:
            self.clock.at(timezone.now() + dt.timedelta(days=1, hours=2))
            tb.hours_agency_approve(actor=site.agency, record=record)

    def full_day(self) -> None:
        """The Double Ninth fair: a 10-hour day, which the organizer approves and the agency confirms."""
        site = self.sites.get("北京街道")
        if site is None:
            return
        day = dt.date(self.today.year, 10, 22) if self.today > dt.date(self.today.year, 10, 25) else self.today - dt.timedelta(days=35)
        day -= dt.timedelta(days=(day.weekday() - 3) % 7)  # a Thursday: no other activity of the station that day
        title, place, description = FULL_DAY
        community = site.communities[0]
        self.clock.at(_local(day - dt.timedelta(days=14), "11:00"))
        start = _local(day, "08:00")
        activity = tb.activity_publish(
            actor=site.organizer,
            station=site.station,
            title=title.format(street=site.station.street.name),
            category=Category.ELDERLY,
            division=community,
            place=place.format(street=site.station.street.name, c=community.name),
            shifts=[(start, start + dt.timedelta(hours=10), 12)],
            description=description,
            skills=["events", "medical"],
        )
        self.counts["timebank_activities"] += 1
        self.counts["timebank_shifts"] += 1
        shift = activity.shifts.get()
        crowd = [v for v in site.app if v is not self.me][:3]
        for v in [*([self.me] if self.me else []), *crowd]:
            if self._signup(v, shift, start - dt.timedelta(days=3)) is None:
                continue
            record = self._attend(shift, v)
            if record is None:
                continue
            self.counts["timebank_hours"] += 1
            self.clock.at(shift.ends_at + dt.timedelta(hours=16))
            record = tb.hours_approve(actor=site.organizer, record=record)  # above 8 h: waits for the agency
            if site.agency is not None and (v is self.me or v is crowd[0]):
                self.clock.at(shift.ends_at + dt.timedelta(days=2, hours=1))
                tb.hours_agency_approve(actor=site.agency, record=record)

    def late_entry(self) -> None:
        """The demo volunteer's phone died at a patrol: the worker enters the hours with a reason, the agency approves."""
        site = self.sites.get("北京街道")
        if site is None or self.me is None:
            return
        shift = (
            Shift.objects.filter(activity__station=site.station, activity__title__contains="平安巡逻", ends_at__lt=self.now)
            .exclude(hours__volunteer=self.me)
            .exclude(signups__volunteer=self.me)
            .order_by("-starts_at")
            .first()
        )
        if shift is None:
            return
        self.clock.at(shift.ends_at + dt.timedelta(days=1, hours=3))
        record = tb.hours_late_entry(
            actor=site.organizer, volunteer=self.me, shift=shift, hours=3, reason="当晚手机没电未能扫码签到，现场纸质签到表及巡逻照片为证"
        )
        record = tb.hours_approve(actor=site.organizer, record=record)
        self.counts["timebank_hours"] += 1
        if site.agency is not None:
            self.clock.at(timezone.now() + dt.timedelta(hours=20))
            tb.hours_agency_approve(actor=site.agency, record=record)

    # -- what is ahead --

    def upcoming_signups(self, shift: Shift, pool: list[Volunteer]) -> None:
        others = [v for v in pool if v is not self.me]
        wanted = [v for v in pool if v is self.me] + self.rng.sample(others, min(len(others), self.rng.randint(1, 2)))
        for v in wanted:
            self._signup(v, shift, self.now - dt.timedelta(hours=self.rng.randint(1, 70)))

    def upcoming(self) -> None:
        """A shift under way now (the QR page has something to show) and a popular one with a wait list."""
        for name in RICH:
            site = self.sites.get(name)
            if site is None:
                continue
            community = site.communities[-1]
            local = timezone.localtime(self.now)
            start = max(
                local.replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1),
                local.replace(hour=0, minute=0, second=0, microsecond=0),
            )
            end = min(start + dt.timedelta(hours=4), start.replace(hour=23, minute=59))
            if end <= local:
                end = local + dt.timedelta(hours=2)
            self.clock.at(self.now - dt.timedelta(days=2))
            today = tb.activity_publish(
                actor=site.organizer,
                station=site.station,
                title=f"{community.name}议事厅 · 加装电梯意见收集",
                category=Category.GOVERNANCE,
                division=community,
                place=f"{community.name}居委会议事厅",
                shifts=[(start, end, 6)],
                description="协助居委会收集加装电梯的居民意见，做好签到、记录和现场秩序维护。",
                skills=["events"],
            )
            self.counts["timebank_activities"] += 1
            self.counts["timebank_shifts"] += 1
            shift = today.shifts.get()
            for v in site.app[:3]:
                self._signup(v, shift, self.now - dt.timedelta(hours=30))
            # Checked in already: one app volunteer (not the demo login, who can try the QR code).
            first = next((v for v in site.app if v is not self.me), None)
            if first is not None and Signup.objects.filter(shift=shift, volunteer=first).exists() and start <= self.now:
                self.clock.at(max(start, self.now - dt.timedelta(minutes=20)))
                tb.check_in(actor=first.person.user, volunteer=first, token=tb.qr_token(shift=shift))
            # A popular one-off next Sunday afternoon: two places, the rest wait.
            day = self.today + dt.timedelta(days=(6 - self.today.weekday()) % 7 or 7)
            self.clock.at(self.now - dt.timedelta(days=3))
            start = _local(day, "14:00")
            popular = tb.activity_publish(
                actor=site.organizer,
                station=site.station,
                title=f"{site.station.street.name}“暖冬饺子宴”长者陪伴",
                category=Category.ELDERLY,
                division=site.communities[0],
                place=f"{site.station.street.name}长者饭堂",
                shifts=[(start, start + dt.timedelta(hours=3), 2)],
                description="和长者一起包饺子、表演节目，协助分餐和清洁。",
                skills=["elderly_care", "events"],
            )
            self.counts["timebank_activities"] += 1
            self.counts["timebank_shifts"] += 1
            shift = popular.shifts.get()
            for k, v in enumerate(site.app):
                self._signup(v, shift, self.now - dt.timedelta(hours=48 - k))

    def spending(self) -> None:
        """The demo volunteer spends: a haircut done, a meal voucher waiting, rice and oil cancelled;
        gives credits to family and to the pool, and takes a certificate."""
        site = self.sites.get("北京街道")
        if site is None or self.me is None:
            return
        me = Volunteer.objects.select_related("person__user", "account").get(pk=self.me.pk)
        user = me.person.user
        if tb.star_level(me.approved_hours) < 1:
            return
        items = {i.name: i for i in CatalogItem.objects.filter(station=site.station)}
        plan = (
            ("义剪理发一次", "fulfilled", 25),
            ("米面油套装（5kg米+1L油）", "cancelled", 12),
            ("社区食堂餐券（午餐一份）", "pending", 2),
        )
        for name, outcome, days in plan:
            item = items.get(name)
            if item is None:
                continue
            self.clock.at(self._day_ago(days, "18:30"))
            redemption = tb.redemption_create(
                actor=user, volunteer=me, item=item, quantity=2 if "餐券" in name else 1, idempotency_key=f"demo-{item.pk}"
            )
            self.counts["timebank_redemptions"] += 1
            self.clock.at(self._day_ago(days - 1, "10:00"))
            if outcome == "fulfilled":
                tb.redemption_fulfil(actor=site.organizer, redemption=redemption, pickup_code=redemption.pickup_code)
            elif outcome == "cancelled":
                tb.redemption_cancel(actor=user, redemption=redemption)
        # Family: the spouse also volunteers at the station.
        spouse = next(
            (
                v
                for v in site.paper
                if v.person.gender != me.person.gender
                and v.person.birth_year
                and abs(v.person.birth_year - (me.person.birth_year or 1999)) <= 4
            ),
            None,
        )
        spouse = spouse or next((v for v in site.paper if v.person.gender != me.person.gender), None)
        self.clock.at(self._day_ago(9, "21:00"))
        if spouse is not None:
            tb.family_link(actor=user, volunteer=me, member=spouse, relation=FamilyLink.Relation.SPOUSE)
            tb.credits_give(actor=user, volunteer=me, to=spouse, amount=3, external_id="demo-family-1")
            self.counts["timebank_gifts"] += 1
        self.clock.at(self._day_ago(8, "21:10"))
        tb.credits_give(actor=user, volunteer=me, to=None, amount=2, external_id="demo-pool-1")
        self.counts["timebank_gifts"] += 1
        self.clock.real()
        tb.certificate_issue(
            actor=user, volunteer=me, period_start=dt.date(self.today.year, 1, 1), period_end=self.today - dt.timedelta(days=1)
        )
        self.counts["timebank_certificates"] += 1
        # Another app volunteer in 石牌 spends too, if they have the stars (a redemption the station has to hand out).
        shipai = self.sites.get("石牌街道")
        if shipai is None:
            return
        for v in shipai.app:
            fresh = Volunteer.objects.get(pk=v.pk)
            if tb.star_level(fresh.approved_hours) >= 1:
                item = CatalogItem.objects.filter(station=shipai.station).order_by("price").first()
                if item is not None:
                    tb.redemption_create(actor=v.person.user, volunteer=fresh, item=item, idempotency_key="demo-1")
                    self.counts["timebank_redemptions"] += 1


def timebank_totals() -> Counter[str]:
    return Counter(
        {
            "timebank_questions": QuizQuestion.objects.count(),
            "timebank_volunteers": Volunteer.objects.count(),
            "timebank_activities": Activity.objects.count(),
            "timebank_hours": HoursRecord.objects.count(),
            "timebank_items": CatalogItem.objects.count(),
            "timebank_redemptions": Redemption.objects.count(),
        }
    )


def seed_timebank(*, seed: int, password: str) -> tuple[Counter[str], Counter[str]]:
    """(created, already there) by kind."""
    before = timebank_totals()
    created = TimebankSeeder(seed=seed, password=password).run()
    return created, before
