"""Evaluation at city scale: scoring a 1,000-point assessment and the city dashboard. Targets: p95 < 100 ms each.

Builds a fresh database (SQLite by default, in a temporary file; PostgreSQL with DATABASE_URL): a city of 11
districts, 10,000 organizations (a third holding a valid grade), a 1,000-point grade framework of four levels and
~150 leaves (saved and published through the service, so every rule holds), five yearly city calls with 2,000
assessments each (set-based, as if decided: status, score and grade), and one assessment marked in full by its
organization, three experts and a site inspector (~750 marks); 187 streets with a station each (17 a district, run by
agencies), a station call a year with every station's evaluation decided; 2,000 reported capacity diagnoses over the
years (seven dimensions).

Times, with DEBUG off:
- scoring: `decisions.reviewed_total(assessment)`: the framework's leaves and the experts' and inspector's marks
  read, each leaf's mean, the total (what the committee's decision and the board compute), beside reading the same
  marks alone (one query) as the baseline;
- the dashboard: `selectors_dashboard.dashboard(city)` (grades by district, assessments by year: grouped queries),
  and GET /evaluation/dashboard/ through the test Client as the city's administrator (which adds the stations'
  results by district and the capacity by year), beside a full-scan aggregate
  measured in the same run: every organization and every assessment loaded and counted in Python.
Prints p50/p95 and each p95's ratio to its baseline; exit status 1 when a target is missed.

    .venv/bin/python bench/evaluation.py [--orgs 10000] [--years 5] [--per-year 2000] [--repeat 100]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shanlian_bench_evaluation .venv/bin/python bench/evaluation.py
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
from collections import Counter
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanlian.settings")
from bench._timing import fresh_database, pct, timed  # noqa: E402 - after the paths it needs

os.environ["SHANLIAN_DEBUG"] = "0"
SQLITE_FILE = Path(tempfile.gettempdir()) / "shanlian_bench_evaluation.sqlite3"
TARGET_P95_MS = 100
FIRST_LEVEL = (("基础条件", 60), ("内部治理", 420), ("工作绩效", 400), ("社会评价", 120))
BANDS = [("5A", "951"), ("4A", "901"), ("3A", "851"), ("2A", "801"), ("1A", "751")]


def split(total: int, parts: int) -> list[int]:
    """`total` points over `parts` children, whole numbers adding up."""
    base = [total // parts] * parts
    for i in range(total - sum(base)):
        base[i] += 1
    return base


def tree(rng: random.Random) -> list:
    """Four levels: each heading 3-4 second-level, each 3 third-level, each 3-4 leaves (~150 leaves)."""
    from shanlian.evaluation.services import Node

    def leaf(name: str, points: int, n: int) -> Node:
        kind = ("points", "levels", "yes_no")[n % 3]
        if kind == "levels":
            steps = [(Decimal(points) * k / 4).quantize(Decimal("0.01")) for k in (1, 2, 3)]
            return Node(name=name, points=points, scoring="levels",
                        levels=[("未达标", steps[0]), ("基本达标", steps[1]), ("达标", steps[2]), ("优秀", points)])
        return Node(name=name, points=points, scoring=kind, evidence_required=n % 4 == 0)

    roots = []
    for h, (name, points) in enumerate(FIRST_LEVEL):
        seconds = []
        for i, p2 in enumerate(split(points, 3 + h % 2), start=1):
            thirds = []
            for j, p3 in enumerate(split(p2, 3), start=1):
                leaves = split(p3, 3 + (i + j) % 2)
                thirds.append(Node(name=f"{name}{i}.{j}", points=p3,
                                   children=[leaf(f"{name}{i}.{j}.{k}", p, h + i + j + k) for k, p in enumerate(leaves, start=1)]))
            seconds.append(Node(name=f"{name}{i}", points=p2, children=thirds))
        roots.append(Node(name=name, points=points, children=seconds))
    return roots


def build(n_orgs: int, years: int, per_year: int, seed: int) -> tuple[int, int]:
    """Returns (the city's id, the fully marked assessment's id)."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from shanlian.core.scoping import Role
    from shanlian.evaluation import services as es
    from shanlian.evaluation.models import Assessment, Call, RaterKind, Rating
    from shanlian.evaluation.services.assessments import leaves_of
    from shanlian.orgs.models import Organization
    from shanlian.people import services as people_services
    from shanlian.people.selectors import actor_scope
    from shanlian.places.models import Level
    from shanlian.places.services import division_create

    rng = random.Random(seed)
    User = get_user_model()
    root = User.objects.create_superuser("root", password="x")
    city = division_create(actor=root, name="广州市", level=Level.CITY, code="440100", parent=None)
    districts = [division_create(actor=root, name=f"第{i}区", level=Level.DISTRICT, code=f"4401{i:02d}", parent=city)
                 for i in range(1, 12)]
    admin = User.objects.create_user("city_admin", password="x")
    people_services.role_grant(actor=root, scope=actor_scope(root), user=admin, role=Role.CITY_ADMIN, target=city)
    today = timezone.localdate()
    kinds = ("service_institution", "association", "foundation")
    orgs = []
    for n in range(n_orgs):
        grade = rng.choice(("1A", "2A", "3A", "4A", "5A")) if rng.random() < 0.35 else ""
        start = today - dt.timedelta(days=rng.randrange(1, 1800)) if grade else None
        orgs.append(Organization(name=f"社会组织{n:05d}", kind=kinds[n % 3], credit_code=f"B{n:017d}", registered_on=dt.date(2010, 1, 1),
                                 division=districts[n % 11], grade=grade, grade_valid_from=start,
                                 grade_valid_until=start + dt.timedelta(days=5 * 365) if start else None))
    with transaction.atomic():
        Organization.objects.bulk_create(orgs, batch_size=2000)
    framework = es.framework_publish(actor=admin, framework=es.framework_save(
        actor=admin, region=city, kind="grade", year=today.year, title="等级评估指标（基准）", total=1000, tree=tree(rng),
        bands=BANDS))
    ids = list(Organization.objects.values_list("id", flat=True))
    with transaction.atomic():
        for y in range(years):
            year = today.year - y
            call = Call.objects.create(region=city, year=year, title=f"{year}年等级评估", opens_on=dt.date(year, 3, 1),
                                       closes_on=dt.date(year, 5, 31), review_until=dt.date(year, 8, 31), status="closed")
            rows = []
            for org_id in rng.sample(ids, per_year):
                total = Decimal(rng.randrange(6800, 9900)) / 10
                grade = next((g for g, m in BANDS if total >= Decimal(m)), "")
                decided = dt.datetime(year, 9, 1, tzinfo=dt.UTC)
                status = "awarded" if grade else "not_graded"
                rows.append(Assessment(call=call, organization_id=org_id, framework=framework, status=status, total=total,
                                       self_total=total + 15, grade=grade, decided_at=decided,
                                       notice_until=decided + dt.timedelta(days=7), awarded_on=dt.date(year, 9, 10) if grade else None,
                                       certificate_no=f"440100-{year}-{grade}-{org_id:05d}" if grade else ""))
            Assessment.objects.bulk_create(rows, batch_size=2000)
    marked = Assessment.objects.filter(call__year=today.year).first()
    leaves = leaves_of(framework)
    raters = [User.objects.create_user(f"rater{k}", password="x") for k in range(5)]
    marks = []
    for kind, user in zip(("self", "expert", "expert", "expert", "site"), raters, strict=True):
        for leaf in leaves:
            marks.append(Rating(assessment=marked, indicator_id=leaf.id, kind=kind, rater=user,
                                points=(leaf.points * Decimal(rng.randrange(60, 100)) / 100).quantize(Decimal("0.01"))))
    Rating.objects.bulk_create(marks)
    assert RaterKind.EXPERT in {m.kind for m in marks}
    stations_and_capacity(rng, admin, root, city, districts, orgs=ids[:400], years=years)
    return city.pk, marked.pk


DIMENSIONS = ("governance", "strategy", "finance", "people", "programme", "resources", "culture")


def stations_and_capacity(rng: random.Random, admin, root, city, districts: list, *, orgs: list[int], years: int) -> None:
    """17 streets a district with a station each, run by the first organizations (as agencies); a station call a
    year, every station's evaluation decided; 2,000 reported diagnoses of organizations over the years."""
    from django.db import transaction
    from django.utils import timezone

    from shanlian.evaluation import services as es
    from shanlian.evaluation.models import Assessment, Call, Diagnosis, Dimension, Questionnaire
    from shanlian.evaluation.services import Node
    from shanlian.orgs.models import Station
    from shanlian.places.models import Level
    from shanlian.places.services import division_create

    today = timezone.localdate()
    with transaction.atomic():
        streets = [division_create(actor=root, name=f"{d.name}第{k}街道", level=Level.STREET, code=f"{d.code}{k:03d}", parent=d)
                   for d in districts for k in range(1, 18)]
        stations = Station.objects.bulk_create([
            Station(name=f"{s.name}社工站", street=s, agency_id=orgs[n % len(orgs)], contract_start=dt.date(2024, 1, 1),
                    contract_end=dt.date(2026, 12, 31)) for n, s in enumerate(streets)])
    tree = [Node(name=name, points=p, children=[Node(name=f"{name}指标", points=p, scoring="points", source=src)])
            for name, p, src in (("专业评估", 700, ""), ("购买方评价", 200, "purchaser"), ("督导评价", 100, "supervisor"))]
    framework = es.framework_publish(actor=admin, framework=es.framework_save(
        actor=admin, region=city, kind="station", year=today.year, title="社工站评估指标（基准）", total=1000, tree=tree,
        bands=[("EX", "900"), ("GD", "800"), ("PS", "600")]))
    with transaction.atomic():
        for y in range(years):
            year = today.year - y
            call = Call.objects.create(region=city, kind="station", year=year, title=f"{year}年社工站评估", opens_on=dt.date(year, 3, 1),
                                       closes_on=dt.date(year, 5, 31), review_until=dt.date(year, 8, 31), status="closed")
            rows = []
            for st in stations:
                total = Decimal(rng.randrange(5500, 9900)) / 10
                grade = next((g for g, m in (("EX", 900), ("GD", 800), ("PS", 600)) if total >= m), "")
                decided = dt.datetime(year, 9, 1, tzinfo=dt.UTC)
                rows.append(Assessment(call=call, organization_id=st.agency_id, station=st, framework=framework,
                                       status="awarded" if grade else "not_graded", total=total, self_total=total, grade=grade,
                                       decided_at=decided, notice_until=decided + dt.timedelta(days=7),
                                       awarded_on=dt.date(year, 9, 10) if grade else None,
                                       certificate_no=f"440100-{year}-ST-{st.pk:04d}" if grade else ""))
            Assessment.objects.bulk_create(rows, batch_size=2000)
        questionnaire = Questionnaire.objects.create(region=city, kind="capacity", title="组织能力诊断问卷（基准）")
        Dimension.objects.bulk_create([Dimension(questionnaire=questionnaire, code=c, name=c, position=n)
                                       for n, c in enumerate(DIMENSIONS, start=1)])
        Diagnosis.objects.bulk_create([
            Diagnosis(organization_id=rng.choice(orgs), questionnaire=questionnaire, started_on=dt.date(today.year - n % years, 3, 1),
                      status="closed", closed_at=dt.datetime(today.year - n % years, 4, 1, tzinfo=dt.UTC),
                      scores={c: str(Decimal(rng.randrange(100, 400)) / 100) for c in DIMENSIONS}) for n in range(2000)],
            batch_size=1000)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=10_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--per-year", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    url = fresh_database(SQLITE_FILE)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    setup_test_environment()
    started = time.perf_counter()
    city_id, marked_id = build(args.orgs, args.years, args.per_year, args.seed)
    if connection.vendor == "postgresql":  # a live database has its statistics; a table just filled has none yet
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    built = time.perf_counter() - started

    from django.contrib.auth import get_user_model

    from shanlian.evaluation.models import Assessment, Indicator, RaterKind, Rating
    from shanlian.evaluation.selectors_dashboard import dashboard
    from shanlian.evaluation.services.decisions import reviewed_total
    from shanlian.orgs.models import Organization
    from shanlian.places.models import Division

    city = Division.objects.get(pk=city_id)
    marked = Assessment.objects.select_related("framework").get(pk=marked_id)
    leaves = Indicator.objects.filter(framework=marked.framework).exclude(pk__in=Indicator.objects.filter(
        framework=marked.framework, parent__isnull=False).values("parent_id")).count()
    today = timezone.localdate()

    def full_scan() -> object:
        """The naive dashboard: every organization and assessment loaded and counted in Python."""
        by_grade: Counter[tuple[int, str]] = Counter()
        for division_id, grade, start, until in Organization.objects.values_list("division_id", "grade", "grade_valid_from",
                                                                                 "grade_valid_until"):
            if grade and start <= today < until:
                by_grade[(division_id, grade)] += 1
        years: Counter[tuple[int, str]] = Counter()
        for year, status in Assessment.objects.values_list("call__year", "status"):
            years[(year, status)] += 1
        return by_grade, years

    client = Client()
    client.force_login(get_user_model().objects.get(username="city_admin"))
    assert client.get("/evaluation/dashboard/").status_code == 200
    d = dashboard(city, on=today)
    assert d.total.organizations == args.orgs and sum(y.applied for y in d.years) == args.years * args.per_year

    def page() -> object:
        answer = client.get("/evaluation/dashboard/")
        assert answer.status_code == 200
        return answer.content

    marks_only = Rating.objects.filter(assessment=marked, kind__in=[RaterKind.EXPERT, RaterKind.SITE])
    rows = [
        ("baseline: the marks read alone (one query)", timed(lambda: list(marks_only.values_list("indicator_id", "points")), args.repeat)),
        (f"scoring: reviewed_total ({leaves} leaves, {marks_only.count()} marks)", timed(lambda: reviewed_total(marked), args.repeat)),
        ("baseline: full scan of organizations and assessments", timed(full_scan, max(10, args.repeat // 5))),
        ("dashboard(city) selector", timed(lambda: dashboard(city, on=today), args.repeat)),
        ("GET /evaluation/dashboard/ (city administrator)", timed(page, args.repeat)),
    ]
    engine = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    print(f"\n{engine} ({url.split('@')[-1]}): {Organization.objects.count():,} organizations, "
          f"{Assessment.objects.count():,} assessments over {args.years} years; built in {built:.0f} s; {args.repeat} runs each")
    print(f"| {'what':<56} | p50 ms | p95 ms | p95 / baseline |\n|{'-' * 58}|-------:|-------:|---------------:|")
    bases = {0: pct(rows[0][1], 0.95), 1: pct(rows[0][1], 0.95), 2: pct(rows[2][1], 0.95), 3: pct(rows[2][1], 0.95),
             4: pct(rows[2][1], 0.95)}
    for n, (what, xs) in enumerate(rows):
        print(f"| {what:<56} | {statistics.median(xs):6.1f} | {pct(xs, 0.95):6.1f} | {pct(xs, 0.95) / bases[n]:13.2f}× |")
    scoring_p95, page_p95 = pct(rows[1][1], 0.95), pct(rows[4][1], 0.95)
    met = scoring_p95 < TARGET_P95_MS and page_p95 < TARGET_P95_MS
    print(f"\nscoring p95 {scoring_p95:.1f} ms, dashboard page p95 {page_p95:.1f} ms: target < {TARGET_P95_MS} ms "
          f"{'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
