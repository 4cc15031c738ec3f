"""The monthly report at city scale: the city's page for ~200 stations, each with a month's realistic volume behind
every section. Target: p95 of the city page under 300 ms.

Builds a fresh database (SQLite by default, in a temporary file; PostgreSQL with DATABASE_URL): a city of 11
districts with 18 streets each (198 stations, one agency per district), written through the services where they are
cheap (divisions, organizations, stations, funds, projects, the city's administrator), and set-based (bulk_create)
for the volume, over the report month and the month before it (which the report must leave out):
- the resource hub: four categories, two partners a district with an offer per category, six needs a station, each
  matched, and 25 deliveries a station a month (four in five confirmed; a tenth of them money);
- the time bank: 25 volunteers a station (people, ledger accounts), three activities with 10 shifts a month, and
  300 approved hour records a station a month, each with its ledger entry (the contract of an approved record);
- charity: a community fund per street with two projects, 8 paid payouts a station a month and 2 only approved;
- whatever other sections are declared count their own (empty) tables: their queries still run.

Times, with DEBUG off, p50/p95 of `--repeat` runs after one to warm up:
- baseline: a station read by its primary key (the floor of any page's database work);
- baseline: the naive report, each section counted station by station (the N+1 the contract forbids);
- the selector `monthly_report` for the city, GET /reports/monthly/ for the city (its page), GET /api/reports/monthly
  with view=tree (every level), and the XLSX export.
Prints each p95's ratio to the primary-key baseline and to the naive report; exit status 1 when the target is missed.

    .venv/bin/python bench/monthly_report.py [--stations 198] [--repeat 50]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shanlian_bench_reports .venv/bin/python bench/monthly_report.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanlian.settings")
from bench._timing import fresh_database, pct, timed  # noqa: E402 - after the paths it needs

os.environ["SHANLIAN_DEBUG"] = "0"
SQLITE_FILE = Path(tempfile.gettempdir()) / "shanlian_bench_reports.sqlite3"
TARGET_P95_MS = 300
CITY = "449700"
PER_DISTRICT = 18
DELIVERIES, HOURS, PAYOUTS, VOLUNTEERS, NEEDS = 25, 300, 8, 25, 6


def build(n_stations: int, month: dt.date, seed: int) -> dict[str, int]:
    from django.db import transaction
    from django.utils import timezone

    from shanlian.charity import services as cs
    from shanlian.charity.models import Payout, PayoutStatus, Project
    from shanlian.core.scoping import Role
    from shanlian.ledger.models import Account, Entry
    from shanlian.people.models import Person
    from shanlian.resources.models import Category, Delivery, Match, Need, Offer, Partner
    from shanlian.timebank.models import Activity, HoursRecord, Shift, Volunteer
    from tests import factories as f

    rng = random.Random(seed)
    tz = timezone.get_default_timezone()
    months = [month, (month - dt.timedelta(days=1)).replace(day=1)]  # the report's and the one before
    with transaction.atomic():
        city = f.division("基准市", "city", CITY)
        admin = f.user_with_role("city_admin", Role.CITY_ADMIN, city, name="市管理员")
        federation = f.organization("基准市慈善会", district=city, kind="association", public_fundraising=True,
                                    is_charity_federation=True)
        f.user_with_role("federation_finance", Role.FEDERATION_FINANCE, federation, name="慈善会财务")
        from django.contrib.auth import get_user_model

        finance = get_user_model().objects.get(username="federation_finance")
        stations, communities = [], []
        for n in range(n_stations):
            d, s = divmod(n, PER_DISTRICT)
            if s == 0:
                district = f.division(f"基准{d + 1}区", "district", f"{CITY[:4]}{d + 1:02d}", city)
                agency = f.organization(f"基准{d + 1}区社会工作服务中心", district=district, is_agency=True)
            street = f.division(f"基准{d + 1}区{s + 1}街道", "street", f"{district.code}{s + 1:03d}", district)
            communities.append(f.division(f"{street.name}社区", "community", f"{street.code}001", street))
            stations.append(f.station(street, agency))
        # resources
        cats = Category.objects.bulk_create([Category(name=n, kind=k, unit=u) for n, k, u in (
            ("基准义诊", "service", "人次"), ("基准课业辅导", "skill", "小时"), ("基准粮油", "goods", "袋"), ("基准资金", "money", ""))])
        districts = sorted({s.street.parent_id for s in stations})
        partners = Partner.objects.bulk_create([Partner(name=f"基准合作方{d}-{k}", kind="firm", division_id=d)
                                                for d in districts for k in range(2)])
        offers = Offer.objects.bulk_create([Offer(partner=p, category=c, kind=c.kind, title=f"{p.name}{c.name}",
                                                  quantity=10**9, committed=10**8, division_id=p.division_id,
                                                  available_from=dt.date(2025, 1, 1)) for p in partners for c in cats])
        by_district: dict[int, list] = {}
        for o in offers:
            by_district.setdefault(o.division_id, []).append(o)
        needs = Need.objects.bulk_create([Need(station=s, category=cats[k % 4], kind=cats[k % 4].kind, title=f"需求{k}",
                                               quantity=10**6, committed=10**5, division=s.street, needed_by=month)
                                          for s in stations for k in range(NEEDS)])
        matches = Match.objects.bulk_create([Match(offer=next(o for o in by_district[n.division.parent_id]
                                                              if o.category_id == n.category_id),
                                                   need=n, committed=10**5, delivered=10**4, outstanding=9 * 10**4,
                                                   confirmed=0, reason="基准") for n in needs])
        by_station: dict[int, list] = {}
        for m in matches:
            by_station.setdefault(m.need.station_id, []).append(m)
        deliveries = []
        for s in stations:
            for first in months:
                for k in range(DELIVERIES):
                    confirmed = timezone.now() if k % 5 else None
                    deliveries.append(Delivery(match=by_station[s.pk][k % NEEDS], quantity=rng.randint(1, 50),
                                               delivered_on=first + dt.timedelta(days=k % 28), confirmed_at=confirmed,
                                               confirmed_by=admin if confirmed else None))
        Delivery.objects.bulk_create(deliveries, batch_size=5000)
        # the time bank
        people = Person.objects.bulk_create([Person(real_name=f"志愿者{n}", division=communities[n // VOLUNTEERS])
                                             for n in range(n_stations * VOLUNTEERS)], batch_size=5000)
        accounts = Account.objects.bulk_create([Account(code=f"tb:vol:bench{n}", name=f"bench{n}", unit="HOUR",
                                                        type="liability", guarded=True) for n in range(len(people))],
                                               batch_size=5000)
        vols = Volunteer.objects.bulk_create([Volunteer(person=p, number=f"ZYB{n:09d}", station=stations[n // VOLUNTEERS],
                                                        account=a) for n, (p, a) in enumerate(zip(people, accounts, strict=True))],
                                             batch_size=5000)
        activities = Activity.objects.bulk_create([Activity(title=f"志愿服务{k}", category="elderly", station=s,
                                                            division=communities[i], place="服务点", created_by=admin)
                                                   for i, s in enumerate(stations) for k in range(3)])
        shifts = Shift.objects.bulk_create([
            Shift(activity=a, starts_at=dt.datetime.combine(first + dt.timedelta(days=2 * k), dt.time(9), tzinfo=tz),
                  ends_at=dt.datetime.combine(first + dt.timedelta(days=2 * k), dt.time(17), tzinfo=tz), headcount=30,
                  qr_secret=f"b{a.pk}-{first}-{k}") for a in activities for first in months for k in range(10)], batch_size=5000)
        shifts_of: dict[tuple[int, dt.date], list] = {}
        for sh in shifts:
            shifts_of.setdefault((sh.activity.station_id, sh.starts_at.astimezone(tz).date().replace(day=1)), []).append(sh)
        plan = []
        for i, s in enumerate(stations):
            own = vols[i * VOLUNTEERS:(i + 1) * VOLUNTEERS]
            for first in months:
                slots = shifts_of[(s.pk, first)]
                pairs = [(sh, v) for sh in slots for v in own][:HOURS]
                plan.extend(pairs)
        entries = Entry.objects.bulk_create([Entry(source="timebank.hours", external_id=f"bench-{n}", content_hash="0" * 64,
                                                   booked_on=sh.starts_at.date()) for n, (sh, _v) in enumerate(plan)],
                                            batch_size=5000)
        HoursRecord.objects.bulk_create([
            HoursRecord(volunteer=v, shift=sh, day=sh.starts_at.astimezone(tz).date(), hours=Decimal(rng.randint(1, 8)) / 2,
                        status="approved", recorded_by=admin, approved_by=admin, decided_at=timezone.now(), entry=e)
            for (sh, v), e in zip(plan, entries, strict=True)], batch_size=5000)
        # charity
        projects = []
        for s in stations:
            fund = cs.fund_create(actor=finance, code=f"bench-{s.pk}", name=f"{s.street.name}社区慈善基金", division=s.street,
                                  custodian=federation, station=s, opened_on=dt.date(2025, 1, 1))
            projects.append([cs.project_create(actor=finance, fund=fund, title=f"{s.street.name}助老{k}", purpose="elderly",
                                               budget="500000", starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2027, 12, 31))
                             for k in range(2)])
        payouts = []
        for s, (p1, p2) in zip(stations, projects, strict=True):
            for first in months:
                for k in range(PAYOUTS + 2):
                    paid = k < PAYOUTS
                    at = dt.datetime.combine(first + dt.timedelta(days=k * 3), dt.time(10), tzinfo=tz)
                    payouts.append(Payout(fund_id=p1.fund_id, project=p1 if k % 2 else p2, station=s, title="助餐",
                                          payee="长者饭堂", amount=Decimal(rng.randint(10000, 900000)) / 100,
                                          status=PayoutStatus.PAID if paid else PayoutStatus.APPROVED, requested_by=admin,
                                          decided_by=finance, decided_at=at, paid_by=finance if paid else None,
                                          paid_at=at if paid else None))
        Payout.objects.bulk_create(payouts, batch_size=5000)
        assert Project.objects.count() >= 2 * n_stations
    return {"city": city.pk, "deliveries": len(deliveries), "hours": len(plan), "payouts": len(payouts)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stations", type=int, default=198)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    url = fresh_database(SQLITE_FILE)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    settings.AXES_ENABLED = False
    call_command("migrate", verbosity=0)
    setup_test_environment()
    from django.contrib.auth import get_user_model

    from shanlian.core.monthly import declared_sections
    from shanlian.orgs.models import Station
    from shanlian.reports.months import default_month, next_month
    from shanlian.reports.selectors import monthly_report

    month = default_month()
    started = time.perf_counter()
    made = build(args.stations, month, args.seed)
    if connection.vendor == "postgresql":  # a live database has its statistics; tables just filled have none yet
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    built = time.perf_counter() - started
    admin = get_user_model().objects.get(username="city_admin")
    client = Client()
    client.force_login(admin)
    query = f"?month={month:%Y-%m}&area={made['city']}"
    report = monthly_report(admin, month=month, area=str(made["city"]))
    f = report.area.figures
    assert report.area.stations == args.stations and len(report.levels["station"]) == args.stations
    assert f["volunteering.person_times"] == args.stations * HOURS, f
    assert f["resources.deliveries"] == args.stations * (DELIVERIES - DELIVERIES // 5) and f["charity.payouts"] == args.stations * PAYOUTS
    ids = list(Station.objects.values_list("pk", flat=True))
    one = ids[len(ids) // 2]

    def naive() -> object:
        return [s.counts([pk], month, next_month(month)) for s in declared_sections() for pk in ids]

    def get(path: str) -> object:
        answer = client.get(path)
        assert answer.status_code == 200, answer.status_code
        return answer.content

    rows = [
        ("baseline: a station by primary key", timed(lambda: Station.objects.get(pk=one), args.repeat)),
        (f"baseline: naive report, {len(declared_sections())} sections × {len(ids)} stations", timed(naive, max(3, args.repeat // 10))),
        ("monthly_report(city) selector", timed(lambda: monthly_report(admin, month=month, area=str(made["city"])), args.repeat)),
        ("GET /reports/monthly/ (city administrator)", timed(lambda: get("/reports/monthly/" + query), args.repeat)),
        ("GET /api/reports/monthly?view=tree", timed(lambda: get("/api/reports/monthly" + query + "&view=tree"), args.repeat)),
        ("GET /reports/monthly.xlsx (every level)", timed(lambda: get("/reports/monthly.xlsx" + query), max(5, args.repeat // 5))),
    ]
    engine = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    print(f"\n{engine} ({url.split('@')[-1]}): {args.stations} stations, month {month:%Y-%m} and the one before: "
          f"{made['deliveries']:,} deliveries, {made['hours']:,} approved hour records, {made['payouts']:,} payouts; "
          f"built in {built:.0f} s")
    pk95, naive95 = pct(rows[0][1], 0.95), pct(rows[1][1], 0.95)
    print(f"| {'what':<52} | p50 ms | p95 ms | ÷ pk look-up | ÷ naive |\n|{'-' * 54}|-------:|-------:|-------------:|--------:|")
    for what, xs in rows:
        p95 = pct(xs, 0.95)
        print(f"| {what:<52} | {statistics.median(xs):6.1f} | {p95:6.1f} | {p95 / pk95:11.1f}× | {p95 / naive95:6.2f}× |")
    page = pct(rows[3][1], 0.95)
    met = page < TARGET_P95_MS
    print(f"\ncity page p95 {page:.1f} ms: target < {TARGET_P95_MS} ms {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
