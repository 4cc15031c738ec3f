"""A social worker's caseload and a beneficiary's file at city scale. Target: p95 of each page under 50 ms.

Builds a fresh database (SQLite by default, in a temporary file; PostgreSQL with DATABASE_URL): a city of 11 districts
with 16 streets each (176 stations, one agency a district, 16 communities a street), written through the services
(divisions, organizations, stations, the logins that are timed) and set-based (bulk_create) for the volume:
- N residents (default 1,000,000) across the communities, with encrypted ID and phone;
- B beneficiaries (default 200,000), each at the station of their street, with one to two categories, a service
  consent on the current wording, an allowance (one in three) and a household member (one in two); sensitive fields
  encrypted (real ciphertexts, a handful reused: one per row would only time Fernet);
- a case for half of them, owned by one of the station's 8 social workers (about 70 each, six in ten still open),
  each with a Barthel assessment, a plan with three goals once past assessment (approved by the agency's manager),
  and R service records in all (default 2,000,000; about 20 a case, over the case's life, a third of them home visits).

Times, with DEBUG off, p50/p95 of `--repeat` requests after one to warm up, rotating over different records:
- the baseline: a beneficiary read by its primary key (the floor of any page's database work);
- GET /cases/caseload/ for a social worker (her cases and the visits due), for the same worker's whole station
  (?all=1), and for the street officer (masked, the street's cases);
- GET /cases/<id>/ (a beneficiary's file: values shown, the read logged) and GET /cases/cases/<id>/ (a case's file
  with its timeline), for the worker's own beneficiaries and cases.
Prints each p95 and its ratio to the primary-key look-up; exit status 1 when a social worker's page misses the target.

    .venv/bin/python bench/caseload.py [--people 1000000] [--beneficiaries 200000] [--records 2000000] [--repeat 100]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shanlian_bench_caseload .venv/bin/python bench/caseload.py
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanlian.settings")
from bench._timing import fresh_database, pct, timed  # noqa: E402 - after the paths it needs

os.environ["SHANLIAN_DEBUG"] = "0"
SQLITE_FILE = Path(tempfile.gettempdir()) / "shanlian_bench_caseload.sqlite3"
TARGET_P95_MS = 50
CITY = "449800"
DISTRICTS, STREETS, COMMUNITIES, WORKERS = 11, 16, 16, 8
BATCH = 10_000
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
            "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国玉志淑惠珍凤琼桂英德福"
GOALS = ("每周两次上门协助洗浴与清洁", "链接长者饭堂助餐，解决一日三餐", "每月一次情绪支持与倾听", "协助申请居家适老化改造",
         "联系家属，恢复每周电话联系", "陪同每月复诊并整理用药")


def _bulk(model, rows, label: str) -> list:
    made = model.objects.bulk_create(rows, batch_size=BATCH)
    print(f"  {label}: {len(made):,}", flush=True)
    return made


def build(n_people: int, n_beneficiaries: int, n_records: int, seed: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from shanlian.cases.models import (
        Allowance,
        Assessment,
        Beneficiary,
        Case,
        Category,
        Consent,
        ConsentText,
        Goal,
        HouseholdMember,
        Instrument,
        Plan,
        ServiceRecord,
    )
    from shanlian.cases.models.cycle import OPEN_STATUSES, CareKind, CaseStatus, RecordKind
    from shanlian.core import crypto
    from shanlian.core.scoping import Role
    from shanlian.people.models import Person
    from tests import factories as f

    rng = random.Random(seed)
    today = timezone.localdate()
    User = get_user_model()
    with transaction.atomic():
        city = f.division("基准市", "city", CITY)
        stations, communities_of = [], {}
        for d in range(DISTRICTS):
            district = f.division(f"基准{d + 1}区", "district", f"{CITY[:4]}{d + 1:02d}", city)
            agency = f.organization(f"基准{d + 1}区社会工作服务中心", district=district, is_agency=True)
            for s in range(STREETS):
                street = f.division(f"基准{d + 1}区{s + 1}街道", "street", f"{district.code}{s + 1:03d}", district)
                station = f.station(street, agency)
                stations.append(station)
                communities_of[station.pk] = [f.division(f"{street.name}{c + 1}社区", "community", f"{street.code}{c + 1:03d}",
                                                         street).pk for c in range(COMMUNITIES)]
        first = stations[0]
        worker = f.user_with_role("bench_worker", Role.STATION_WORKER, first, name="林晓彤")
        officer = f.user_with_role("bench_street", Role.STREET_OFFICER, first.street, name="街道民政专干")
        f.user_with_role("bench_manager", Role.AGENCY_MANAGER, first.agency, name="督导")
        managers = {first.agency_id: User.objects.get(username="bench_manager")}
        for station in stations:
            if station.agency_id not in managers:
                managers[station.agency_id] = User.objects.create_user(username=f"mgr{station.agency_id}", password=None)
        others = _bulk(User, [User(username=f"sw{s.pk}-{k}", first_name=f"社工{k}", password="!")
                              for s in stations for k in range(WORKERS) if (s, k) != (first, 0)], "social workers")
        team = {s.pk: ([worker] if s == first else []) for s in stations}
        for u in others:
            station_pk = int(u.username[2:].split("-")[0])
            team[station_pk].append(u)
    t0 = time.perf_counter()
    rid, tel = crypto.encrypt("440100195203150026"), crypto.encrypt("13912345678")
    station_ids = [s.pk for s in stations]
    home: list[int] = []  # station of each person
    rows = []
    for i in range(n_people):
        station = station_ids[i % len(station_ids)]
        home.append(station)
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
        rows.append(Person(real_name=name, name_initials="x", division_id=rng.choice(communities_of[station]),
                           birth_year=rng.randint(1930, 2020), resident_id_enc=rid, resident_id_hash=f"bench{i}",
                           phone_enc=tel))
    people = _bulk(Person, rows, "residents")
    del rows
    elderly = list(Category.objects.filter(area="elderly"))
    other_cats = list(Category.objects.exclude(area="elderly"))
    enc = {k: crypto.encrypt(v) for k, v in {
        "birth": "1941-03-08", "address": "越秀区登峰街道麓湖路12号3栋502房", "health": "高血压、膝关节退行性病变，行走需助行器",
        "finances": "低保，月收入约1,200元", "disability": "肢体二级", "name": "陈志强", "amount": "1338.00",
        "problem": "独居，子女在外地，近月两次跌倒，饮食不规律", "notes": "上门探访，测量血压正常，协助整理药盒，情绪平稳",
        "answers": '{"feeding": 10}', "summary": "以居家安全与助餐为重点，链接长者饭堂与志愿者探访"}.items()}
    bens = _bulk(Beneficiary, [
        Beneficiary(person=people[i], station_id=home[i], living_situation="alone" if i % 3 == 0 else "family",
                    birth_date_enc=enc["birth"], address_enc=enc["address"], health_enc=enc["health"],
                    finances_enc=enc["finances"] if i % 2 else "", disability_enc=enc["disability"] if i % 7 == 0 else "")
        for i in range(n_beneficiaries)], "beneficiaries")
    through = Beneficiary.categories.through
    links = [through(beneficiary_id=b.pk, category_id=(elderly[0] if k % 3 == 0 else rng.choice(elderly + other_cats)).pk)
             for k, b in enumerate(bens)]
    links += [through(beneficiary_id=b.pk, category_id=other_cats[k % len(other_cats)].pk) for k, b in enumerate(bens) if k % 4 == 1
              and other_cats[k % len(other_cats)].pk != links[k].category_id]
    _bulk(through, links, "category links")
    text = ConsentText.objects.filter(purpose="service").order_by("-version").first()
    _bulk(Consent, [Consent(beneficiary=b, purpose="service", text=text, recipients=["station", "agency"],
                            given_on=today - dt.timedelta(days=200 + k % 300), expires_on=today + dt.timedelta(days=500),
                            given_by="self") for k, b in enumerate(bens)], "consents")
    _bulk(Allowance, [Allowance(beneficiary=b, kind="dibao", monthly_amount_enc=enc["amount"], starts_on=dt.date(2024, 1, 1))
                      for k, b in enumerate(bens) if (k // len(stations)) % 3 == 0], "allowances")
    _bulk(HouseholdMember, [HouseholdMember(beneficiary=b, name_enc=enc["name"], relation="child", lives_together=False)
                            for k, b in enumerate(bens) if (k // len(stations)) % 2 == 1], "household members")
    # cases: half the beneficiaries, six in ten still open, spread over the station's workers
    barthel = Instrument.objects.get(code="barthel")
    later = [CaseStatus.IN_SERVICE] * 6 + [CaseStatus.ASSESSED, CaseStatus.PLAN_SUBMITTED, CaseStatus.REVIEWING, CaseStatus.INTAKE]
    turn = dict.fromkeys(station_ids, 0)
    cases = []
    for b in (b for k, b in enumerate(bens) if (k // len(stations)) % 2 == 0):  # half of each station's
        opened = today - dt.timedelta(days=rng.randint(20, 1000))
        closed = rng.random() < 0.4
        status = CaseStatus.CLOSED if closed else rng.choice(later)
        staff = team[b.station_id]
        owner = staff[turn[b.station_id] % len(staff)]
        turn[b.station_id] += 1
        cases.append(Case(beneficiary=b, station_id=b.station_id, owner=owner, opened_by=owner, opened_on=opened,
                          source="outreach", problem_enc=enc["problem"], status=status,
                          closed_on=min(today, opened + dt.timedelta(days=rng.randint(10, 400))) if closed else None))
    cases = _bulk(Case, cases, "cases")
    _bulk(Assessment, [Assessment(case=c, instrument=barthel, kind="baseline", assessed_on=c.opened_on, answers_enc=enc["answers"],
                                  score=rng.randint(20, 95), band="中度依赖", recorded_by=c.owner) for c in cases], "assessments")
    agency_of = {s.pk: s.agency_id for s in stations}
    planned = [c for c in cases if c.status not in (CaseStatus.INTAKE, CaseStatus.ASSESSED)]
    now = timezone.now()
    plans = _bulk(Plan, [Plan(case=c, status="submitted" if c.status == CaseStatus.PLAN_SUBMITTED else "approved",
                              summary_enc=enc["summary"], starts_on=c.opened_on, ends_on=c.opened_on + dt.timedelta(days=365),
                              submitted_by=c.owner, submitted_at=now, written_by=c.owner,
                              decided_by=None if c.status == CaseStatus.PLAN_SUBMITTED else managers[agency_of[c.station_id]],
                              decided_at=None if c.status == CaseStatus.PLAN_SUBMITTED else now) for c in planned], "plans")
    kinds = list(CareKind.values)
    _bulk(Goal, [Goal(plan=p, order=k + 1, text=GOALS[(p.pk + k) % len(GOALS)], care_kind=kinds[k % 4]) for p in plans
                 for k in range(3)], "goals")
    # service records: about n_records / cases each, from the opening to the closing (or today)
    per_case = n_records / max(1, len(cases))
    other_kinds = [k for k in RecordKind.values if k != RecordKind.HOME_VISIT]
    made, batch = 0, []
    for n, c in enumerate(cases):
        want = round(per_case * (n + 1)) - round(per_case * n)
        last = c.closed_on or today
        span = max(1, (last - c.opened_on).days)
        for k in range(want):
            kind = RecordKind.HOME_VISIT if k % 3 == 0 else rng.choice(other_kinds)
            batch.append(ServiceRecord(case=c, station_id=c.station_id, kind=kind,
                                       care_kind=kinds[k % 4], served_on=c.opened_on + dt.timedelta(days=span * k // max(1, want)),
                                       minutes=rng.choice((30, 45, 60, 90)), worker=c.owner, recorded_by=c.owner,
                                       notes_enc=enc["notes"]))
        if len(batch) >= BATCH:
            ServiceRecord.objects.bulk_create(batch)
            made += len(batch)
            batch.clear()
    ServiceRecord.objects.bulk_create(batch)
    made += len(batch)
    print(f"  service records: {made:,}", flush=True)
    mine = [c for c in cases if c.owner_id == worker.pk]
    return {"worker": worker.pk, "officer": officer.pk, "cases": len(cases), "records": made, "plans": len(plans),
            "open_mine": sum(c.status in OPEN_STATUSES for c in mine), "mine": [c.pk for c in mine],
            "mine_beneficiaries": [c.beneficiary_id for c in mine], "beneficiaries": len(bens),
            "people": len(people), "seconds": time.perf_counter() - t0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--beneficiaries", type=int, default=200_000)
    parser.add_argument("--records", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    if not 0 < args.beneficiaries <= args.people:
        parser.error("--beneficiaries must be between 1 and --people")
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

    from shanlian.cases.models import Beneficiary

    started = time.perf_counter()
    made = build(args.people, args.beneficiaries, args.records, args.seed)
    with connection.cursor() as cursor:  # a live database has its statistics; tables just filled have none yet
        cursor.execute("ANALYZE")
    built = time.perf_counter() - started
    users = get_user_model().objects.in_bulk([made["worker"], made["officer"]])
    clients = {}
    for pk, user in users.items():
        clients[pk] = Client()
        clients[pk].force_login(user)
    rng = random.Random(args.seed)
    every_beneficiary = list(Beneficiary.objects.values_list("pk", flat=True)[:: max(1, made["beneficiaries"] // 5000)])

    def rotate(ids: list[int]):
        order = ids[:]
        rng.shuffle(order)
        state = {"n": 0}

        def next_id() -> int:
            state["n"] += 1
            return order[state["n"] % len(order)]
        return next_id

    def get(who: int, path: str, marker: str = "") -> object:
        answer = clients[who].get(path)
        assert answer.status_code == 200, (path, answer.status_code)
        assert marker.encode() in answer.content, (path, marker)
        return answer.content

    pk_id, ben_id, case_id = rotate(every_beneficiary), rotate(made["mine_beneficiaries"]), rotate(made["mine"])
    w, o, row, sens, name = made["worker"], made["officer"], 'data-testid="case-row"', 'data-testid="sensitive"', 'data-testid="case-name"'
    rows = [
        ("baseline: a beneficiary by primary key", timed(lambda: Beneficiary.objects.get(pk=pk_id()), args.repeat), False),
        ("GET /cases/caseload/ (a social worker's own)", timed(lambda: get(w, "/cases/caseload/", row), args.repeat), True),
        ("GET /cases/caseload/?all=1 (her station's)", timed(lambda: get(w, "/cases/caseload/?all=1", row), args.repeat), False),
        ("GET /cases/caseload/ (street officer, masked)", timed(lambda: get(o, "/cases/caseload/", row), args.repeat), False),
        ("GET /cases/<id>/ (a beneficiary's file)", timed(lambda: get(w, f"/cases/{ben_id()}/", sens), args.repeat), True),
        ("GET /cases/cases/<id>/ (a case's file)", timed(lambda: get(w, f"/cases/cases/{case_id()}/", name), args.repeat), True),
    ]
    engine = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    print(f"\n{engine} ({url.split('@')[-1]}): {made['people']:,} residents, {made['beneficiaries']:,} beneficiaries, "
          f"{made['cases']:,} cases ({made['plans']:,} with a plan), {made['records']:,} service records; the worker owns "
          f"{len(made['mine'])} cases, {made['open_mine']} open; built in {built:.0f} s")
    base = pct(rows[0][1], 0.95)
    print(f"| {'what':<48} | p50 ms | p95 ms | ÷ pk look-up |\n|{'-' * 50}|-------:|-------:|-------------:|")
    missed = []
    for what, xs, targeted in rows:
        p95 = pct(xs, 0.95)
        print(f"| {what:<48} | {statistics.median(xs):6.1f} | {p95:6.1f} | {p95 / base:11.1f}× |")
        if targeted and p95 >= TARGET_P95_MS:
            missed.append(what)
    print(f"\nthe social worker's pages: p95 target < {TARGET_P95_MS} ms {'met' if not missed else 'NOT met: ' + '; '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
