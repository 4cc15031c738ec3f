"""How fast is `shanlian charity import` on PostgreSQL, beside `psql \\copy` of the same file?

Builds (in the database shanlian_bench_import, dropped and made anew unless --reuse) a federation with
1,000 community funds, an open Giving-Day campaign raising for all of them and a 1:1 matching pool,
all through the services; writes an N-row export (default 1,000,000) to /tmp: half the rows name a fund,
half "campaign/fund", and 40% of the campaign rows carry a match. Then, in the same run:

- baseline: `psql -c "\\copy ..."` of the file into a bare table with the same six columns (typed:
  text, timestamptz, text, numeric, text, numeric; no index, no constraint);
- `shanlian charity import FILE` (the COPY path), end to end as a separate process: start-up, reading
  and checking every row, and writing entries, postings, donations and matches with every ledger
  invariant (balance trigger, foreign keys, guarded balances, unique ids) in one transaction.

Prints rows/s of both, their ratio, and where the import spent its time.

    .venv/bin/python bench/bulk_import.py --rows 1000000
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanlian.settings")
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/shanlian_bench_import"
FUNDS = 1000


def recreate_database(url: str, *, reuse: bool) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and not reuse:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def build() -> tuple[str, str, list[str]]:
    """The federation, its funds, the campaign and its pool; returns (campaign slug, pool sponsor, fund codes)."""
    from django.utils import timezone

    from shanlian.charity import services as cs
    from shanlian.charity.models import Campaign, CommunityFund
    from shanlian.core.scoping import Role
    from shanlian.orgs.models import OrgKind
    from tests import factories as f

    slug = "gd-bench"
    if Campaign.objects.filter(slug=slug).exists():
        return slug, "bench", list(CommunityFund.objects.order_by("code").values_list("code", flat=True))
    t0 = time.perf_counter()
    gz = f.division("广州市", "city", "440100")
    yx = f.division("越秀区", "district", "440104", gz)
    federation = f.organization("广州市越秀区慈善会", district=yx, kind=OrgKind.ASSOCIATION, public_fundraising=True,
                                is_charity_federation=True)
    finance = f.user_with_role("bench_finance", Role.FEDERATION_FINANCE, federation, name="慈善会财务")
    funds = []
    for s in range(20):
        street = f.division(f"街道{s}", "street", f"440104{s + 1:03d}", yx)
        for c in range(FUNDS // 20):
            community = f.division(f"社区{s}-{c}", "community", f"{street.code}{c + 1:03d}", street)
            funds.append(cs.fund_create(actor=finance, code=f"f{s:02d}{c:02d}", name=f"{community.name}慈善基金",
                                        division=community, custodian=federation, opened_on=dt.date(2025, 1, 1)))
    now = timezone.now()
    campaign = cs.campaign_create(actor=finance, slug=slug, title="广州慈善日（压测）", organizer=federation, goal="100000000",
                                  starts_at=now - dt.timedelta(days=3), ends_at=now + dt.timedelta(days=1),
                                  targets=[(fund, None) for fund in funds])
    campaign = cs.campaign_open(actor=finance, campaign=campaign)
    cs.match_pool_create(actor=finance, campaign=campaign, sponsor_name="bench", ratio="1", per_donor_cap="1000",
                         per_day_cap="1000000000", total_cap="1000000000", deposit="1000000000")
    print(f"built a federation, {len(funds):,} funds, a campaign and a pool in {time.perf_counter() - t0:.1f} s", flush=True)
    return slug, "bench", [fund.code for fund in funds]


def write_export(path: Path, rows: int, slug: str, codes: list[str], run: str) -> None:
    rng = random.Random(2026)
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
    given = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华建国玉志"
    names = [s + g for s in surnames for g in given] + [""]
    now = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8))).replace(tzinfo=None)
    start = now - dt.timedelta(days=2)
    times = [(start + dt.timedelta(seconds=s)).strftime("%Y-%m-%d %H:%M:%S") for s in range(0, 2 * 86400 - 600, 7)]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["external id", "time", "donor", "amount", "campaign or fund", "match"])
        for i in range(rows):
            fen = rng.randint(100, 50000)
            amount = f"{fen // 100}.{fen % 100:02d}"
            code = codes[i % len(codes)]
            if i % 2:
                target = f"{slug}/{code}"
                match = f"{min(fen, 10000) // 100}.{min(fen, 10000) % 100:02d}" if rng.random() < 0.4 else ""
            else:
                target, match = code, ""
            writer.writerow([f"{run}-{i:08d}", times[i % len(times)], rng.choice(names), amount, target, match])


def psql_copy(url: str, path: Path) -> float:
    ddl = ("SET client_min_messages = warning; DROP TABLE IF EXISTS bench_bare_import; "
           "CREATE TABLE bench_bare_import (external_id text, time timestamptz, donor text, amount numeric(18,2), "
           "target text, match numeric(18,2))")
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", ddl], check=True)
    t = time.perf_counter()
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c",
                    f"\\copy bench_bare_import FROM '{path}' WITH (FORMAT csv, HEADER true)"], check=True)
    return time.perf_counter() - t


def shanlian_import(path: Path, source: str) -> tuple[float, dict[str, float], str]:
    env = dict(os.environ)
    t = time.perf_counter()
    done = subprocess.run([str(ROOT / ".venv/bin/shanlian"), "charity", "-v", "2", "import", str(path), "--source", source],
                          env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    if done.returncode:
        print(done.stdout[-3000:], done.stderr[-3000:])
        raise SystemExit("the import failed")
    steps = {}
    summary = ""
    for line in done.stdout.splitlines():
        if line.startswith("timing\t"):
            _tag, step, value = line.split("\t")
            steps[step] = float(value)
        elif line.strip():
            summary = line.strip()
    return seconds, steps, summary


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep the database (and the data) of an earlier run")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    recreate_database(args.database_url, reuse=args.reuse)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    slug, _sponsor, codes = build()
    run = f"r{int(time.time())}"
    path = Path(f"/tmp/shanlian_bulk_import_{args.rows}.csv")
    t = time.perf_counter()
    write_export(path, args.rows, slug, codes, run)
    print(f"wrote {args.rows:,} rows ({path.stat().st_size / 1e6:.0f} MB) to {path} in {time.perf_counter() - t:.1f} s", flush=True)
    connection.close()

    baseline = psql_copy(args.database_url, path)
    print(f"psql \\copy: {baseline:.2f} s", flush=True)
    seconds, steps, summary = shanlian_import(path, run)
    print(f"shanlian charity import: {seconds:.2f} s — {summary}", flush=True)

    from django.db import connection as conn

    from shanlian.charity.models import Donation, MatchGift

    imported = Donation.objects.filter(source=run).count()
    matched = MatchGift.objects.filter(donation__source=run).count()
    assert imported == args.rows, (imported, args.rows)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM bench_bare_import")
        assert cur.fetchone()[0] == args.rows
    load = os.getloadavg()
    ratio = baseline / seconds
    print()
    print(f"Bulk import of {args.rows:,} rows ({matched:,} with a match) on PostgreSQL; "
          f"load average {load[0]:.1f} / {load[1]:.1f} on {os.cpu_count()} cores")
    print()
    print("| what | seconds | rows/s | ratio to \\copy |")
    print("|---|---:|---:|---:|")
    print(f"| psql \\copy into a bare table | {baseline:.2f} | {args.rows / baseline:,.0f} | 1.00 |")
    print(f"| shanlian charity import (COPY path, end to end) | {seconds:.2f} | {args.rows / seconds:,.0f} | {ratio:.3f} |")
    print()
    print(f"target: ≥ 0.3 of \\copy — {'met' if ratio >= 0.3 else 'NOT met'}")
    print()
    print("| import step | seconds | share |")
    print("|---|---:|---:|")
    accounted = sum(steps.values())
    for step, value in steps.items():
        print(f"| {step} | {value:.2f} | {value / seconds:.0%} |")
    print(f"| start-up and the rest | {seconds - accounted:.2f} | {(seconds - accounted) / seconds:.0%} |")


if __name__ == "__main__":
    main()
