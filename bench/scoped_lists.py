"""How much does scoping cost? People-list pages at city scale, on PostgreSQL.

Builds a city of 11 districts, 176 streets, ~2,800 communities and N residents (default 1,000,000),
then times the first page (25 rows + the total count) of the people list as each role sees it, through
`people.selectors.people_list` (materialised-path prefix filters), beside a baseline measured in the
same run: the hand-written query for the same rows (`division_id IN (...)` with the ids known in
advance). Prints p50/p95 and the ratio to the baseline.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shanlian_bench .venv/bin/python bench/scoped_lists.py [--people N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanlian.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shanlian_bench")


def ensure_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def build(n_people: int) -> None:
    import random

    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from shanlian.core import crypto
    from shanlian.people.models import Person
    from shanlian.places.models import Division
    from tests import factories as f

    if Division.objects.exists():
        if Person.objects.count() >= n_people:
            return
        raise SystemExit("the bench database holds another data set: drop it first")
    rng = random.Random(7)
    t0 = time.perf_counter()
    with transaction.atomic():
        gz = f.division("广州市", "city", "440100")
        codes = ["440103", "440104", "440105", "440106", "440111", "440112", "440113", "440114", "440115", "440117", "440118"]
        streets = []
        for i, code in enumerate(codes):
            d = f.division(f"区{i}", "district", code, gz)
            for s in range(16):
                streets.append(f.division(f"街道{i}-{s}", "street", f"{code}{s + 1:03d}", d))
        communities = []
        for st in streets:
            for c in range(16):
                communities.append(f.division(f"社区{st.code}-{c}", "community", f"{st.code}{c + 1:03d}", st))
        agency = f.organization("广州市测试社会工作服务中心", district=gz, is_agency=True)
        station = f.station(streets[0], agency)
        f.user_with_role("bench_worker", "station_worker", station)
        f.user_with_role("bench_district", "district_admin", streets[0].parent)
        f.user_with_role("bench_city", "city_admin", gz)
        get_user_model().objects.filter(username="root").update(is_superuser=False)
    # Residents: ciphertexts are real (one per row would only time Fernet), names varied.
    rid = crypto.encrypt("440100195203150026")
    tel = crypto.encrypt("13912345678")
    surnames = (
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
        "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
        "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    )
    given = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国玉兰志强"
    batch = []
    comm_ids = [c.pk for c in communities]
    with connection.cursor() as cur:
        cur.execute("ALTER TABLE people_person SET (autovacuum_enabled = false)")
    for i in range(n_people):
        name = rng.choice(surnames) + rng.choice(given) + (rng.choice(given) if rng.random() < 0.6 else "")
        batch.append(Person(real_name=name, name_initials="x", division_id=rng.choice(comm_ids), resident_id_enc=rid,
                            resident_id_hash=f"bench{i}", phone_enc=tel, phone_hash=""))
        if len(batch) == 10000:
            Person.objects.bulk_create(batch)
            batch.clear()
    if batch:
        Person.objects.bulk_create(batch)
    with connection.cursor() as cur:
        cur.execute("ALTER TABLE people_person SET (autovacuum_enabled = true)")
        cur.execute("ANALYZE")
    print(f"built {n_people:,} people in {time.perf_counter() - t0:.1f} s")


def timed(fn, repeat: int) -> list[float]:
    fn()  # warm
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    build(args.people)

    from django.contrib.auth import get_user_model
    from django.core.paginator import Paginator

    from shanlian.core.pagination import CappedPaginator
    from shanlian.core.scoping import Scope
    from shanlian.people.models import Person
    from shanlian.people.selectors import actor_scope, people_list
    from shanlian.places.models import Division

    print(f"{'who':<16}{'rows in scope':>14}{'p50 ms':>9}{'p95 ms':>9}{'baseline p50':>14}{'baseline p95':>14}{'ratio p95':>11}")
    for username in ["bench_worker", "bench_district", "bench_city"]:
        user = get_user_model().objects.get(username=username)
        scope = actor_scope(user)
        community_ids = list(
            Division.objects.filter(level="community", path__startswith=scope.people_paths[0]).values_list("pk", flat=True)
        )

        def scoped(scope: Scope = scope) -> None:  # what the people page does
            page = CappedPaginator(people_list(scope=scope), 25).page(1)
            list(page.object_list)

        def baseline(community_ids: list[int] = community_ids) -> None:
            qs = Person.objects.filter(division_id__in=community_ids).select_related("division", "division__parent")
            page = Paginator(qs.order_by("division__code", "real_name", "id"), 25).page(1)
            list(page.object_list)

        rows = people_list(scope=scope).count()
        s, b = timed(scoped, args.repeat), timed(baseline, args.repeat)
        print(f"{username:<16}{rows:>14,}{statistics.median(s):>9.2f}{pct(s, .95):>9.2f}"
              f"{statistics.median(b):>14.2f}{pct(b, .95):>14.2f}{pct(s, .95) / pct(b, .95):>11.2f}")
    dashboards(max(5, args.repeat // 10))


def dashboards(repeat: int) -> None:
    """The home dashboard's aggregates beside a full-table COUNT(*) of people measured in the same run."""
    from django.contrib.auth import get_user_model

    from shanlian.people.models import Person
    from shanlian.people.selectors import actor_scope
    from shanlian.web.selectors import area_dashboard

    base = timed(lambda: Person.objects.count(), repeat)
    print(f"\n{'dashboard of':<16}{'p50 ms':>9}{'p95 ms':>9}{'COUNT(*) p50':>14}{'ratio p50':>11}")
    for username in ["bench_worker", "bench_district", "bench_city"]:
        scope = actor_scope(get_user_model().objects.get(username=username))
        d = timed(lambda scope=scope: area_dashboard(scope=scope), repeat)
        print(f"{username:<16}{statistics.median(d):>9.2f}{pct(d, .95):>9.2f}{statistics.median(base):>14.2f}"
              f"{statistics.median(d) / statistics.median(base):>11.2f}")


if __name__ == "__main__":
    main()
