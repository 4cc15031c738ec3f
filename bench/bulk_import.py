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

With --probe, then measures in SQL alone (psql, every step rolled back) what the same rows cost
written the way the importer writes them today (one ledger entry per gift, with its postings) and the
way a design with one ledger entry per import would (one posting per account, the gifts referencing
that entry; the one-to-one key on the gift's entry dropped inside the rolled-back transaction), and
what inserting the gifts alone costs with and without the gift table's indexes and keys. No Python
per row there: it is the floor under each design. Last, the floor of a lean append-only table for
imported gifts (nine columns, the fund already resolved): no index, the idempotency key, the key and a
(fund, time) index, and the file COPYed straight into a keyed table as written; with the start-up of
`shanlian charity import --help` (and the COPY of the file), that is the best ratio to `\\copy` such a
design could reach before resolving or checking a row or touching the ledger.

    .venv/bin/python bench/bulk_import.py --rows 1000000 [--probe]
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
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanlian.settings")
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/shanlian_bench_import"
FUNDS = 1000

from bench._servers import recreate_database  # noqa: E402 (after the path is set)


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
                         per_day_cap="100000000", total_cap="100000000", deposit="100000000")
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


def startup_seconds() -> float:
    """Wall time of `shanlian charity import --help`: the interpreter, Django and the command, no rows (best of 3)."""
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run([str(ROOT / ".venv/bin/shanlian"), "charity", "import", "--help"], check=True, capture_output=True)
        runs.append(time.perf_counter() - t)
    return min(runs)


# The probe (--probe): one psql session, each design inside a savepoint rolled back. Gift rows go in
# with the gift table's real columns, indexes, triggers and deferred foreign keys.
PROBE_STAGE = r"""
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
BEGIN;
SET LOCAL work_mem = '128MB';
CREATE TEMP TABLE raw (external_id text, t timestamptz, donor text, amount numeric(18,2), target text, match numeric(18,2));
\echo step raw COPY of the file into a temp table (as psql does)
\copy raw FROM '{path}' WITH (FORMAT csv, HEADER true)
\echo step targets resolved, set-based
CREATE TEMP TABLE stage AS
SELECT row_number() OVER () AS row_no, r.external_id, r.t AS received_at, coalesce(nullif(r.donor, ''), '匿名') AS donor_name,
       r.amount, coalesce(r.match, 0) AS match, f.id AS fund_id, f.account_id AS credit_id,
       CASE WHEN r.target LIKE '%/%' THEN c.id END AS campaign_id,
       CASE WHEN coalesce(r.match, 0) > 0 THEN p.id END AS pool_id,
       CASE WHEN coalesce(r.match, 0) > 0 THEN p.account_id END AS pool_account_id,
       cash.id AS debit_id, '捐赠 gift ' || coalesce(r.donor, '') || ' → ' || f.code AS memo,
       md5(r.external_id) || md5(coalesce(r.donor, '')) AS content_hash,
       (r.t AT TIME ZONE 'Asia/Shanghai')::date AS day,
       nextval(pg_get_serial_sequence('ledger_entry', 'id')) AS entry_id,
       nextval(pg_get_serial_sequence('charity_donation', 'id')) AS donation_id
  FROM raw r JOIN charity_communityfund f ON f.code = split_part(r.target, '/', -1)
  JOIN ledger_account cash ON cash.code = 'fed:' || f.custodian_id || ':cash'  -- `federation_cash`
  LEFT JOIN charity_campaign c ON c.slug = '{slug}' LEFT JOIN charity_matchpool p ON p.campaign_id = c.id;
ANALYZE stage;
"""

PROBE_DONATIONS = """
INSERT INTO charity_donation (id, fund_id, project_id, campaign_id, channel, amount, donor_name, show_name, donor_user_id,
    donor_key, point_id, goods_item, goods_quantity, goods_unit, message, received_at, recorded_by_id, source, external_id,
    status, entry_id, refund_entry_id, created_at)
SELECT donation_id, fund_id, NULL, campaign_id, 'import', amount, donor_name, false, NULL, '', NULL, '', NULL, '', '',
       received_at, NULL, 'probe', '{prefix}' || external_id, 'confirmed', {entry}, NULL, now() FROM stage ORDER BY row_no;
INSERT INTO charity_matchgift (pool_id, donation_id, amount, day, donor_key, refunded)
SELECT pool_id, donation_id, match, day, '', false FROM stage WHERE match > 0 ORDER BY row_no;
"""

PROBE_CHECKS = r"""
\echo step {design}: deferred checks, entries balance
SET CONSTRAINTS ledger_entry_balanced IMMEDIATE;
\echo step {design}: deferred checks, foreign keys
SET CONSTRAINTS ALL IMMEDIATE;
SET CONSTRAINTS ALL DEFERRED;
"""

PROBE_DESIGNS = r"""
SAVEPOINT per_import;
\echo step set-up, not counted: the one-to-one key on the gift's entry becomes a plain index
ALTER TABLE charity_donation DROP CONSTRAINT charity_donation_entry_id_key;
CREATE INDEX probe_donation_entry ON charity_donation (entry_id);
\echo step one entry per import: ledger entry and postings (one per account)
INSERT INTO ledger_entry (source, external_id, content_hash, memo, posted_at, booked_on)
VALUES ('charity.probe', 'probe', 'x', 'import', now(), current_date);
INSERT INTO ledger_posting (entry_id, account_id, unit, amount)
SELECT currval(pg_get_serial_sequence('ledger_entry', 'id')), account_id, 'CNY', sum(amount) FROM (
    SELECT debit_id AS account_id, amount FROM stage UNION ALL SELECT credit_id, -(amount + match) FROM stage
    UNION ALL SELECT pool_account_id, match FROM stage WHERE match > 0) legs GROUP BY account_id HAVING sum(amount) <> 0;
\echo step one entry per import: gifts and matches
{donations_shared}
{checks_shared}
ROLLBACK TO per_import;
SAVEPOINT per_gift;
\echo step one entry per gift (today): ledger entries
INSERT INTO ledger_entry (id, source, external_id, content_hash, memo, posted_at, reverses_id, booked_on)
SELECT entry_id, 'charity.probe', 'E' || external_id, content_hash, memo, now(), NULL, (received_at AT TIME ZONE 'Asia/Shanghai')::date
  FROM stage ORDER BY row_no;
\echo step one entry per gift (today): postings
INSERT INTO ledger_posting (entry_id, account_id, unit, amount)
SELECT s.entry_id, leg.account_id, 'CNY', leg.amount FROM stage s
 CROSS JOIN LATERAL (VALUES (1, s.debit_id, s.amount), (2, s.credit_id, -s.amount), (3, s.pool_account_id, s.match),
                            (4, s.credit_id, -s.match)) AS leg (n, account_id, amount)
 WHERE leg.amount <> 0 ORDER BY s.row_no, leg.n;
\echo step one entry per gift (today): gifts and matches
{donations_own}
{checks_own}
ROLLBACK TO per_gift;
\echo step floor: the gifts into a bare copy of the gift table (no index, key or trigger)
CREATE TABLE probe_bare (LIKE charity_donation INCLUDING DEFAULTS);
INSERT INTO probe_bare (id, fund_id, campaign_id, channel, amount, donor_name, show_name, donor_key, goods_item, goods_unit,
    message, received_at, source, external_id, status, entry_id, created_at)
SELECT donation_id, fund_id, campaign_id, 'import', amount, donor_name, false, '', '', '', '', received_at, 'probe',
       external_id, 'confirmed', 0, now() FROM stage ORDER BY row_no;
\echo step lean floor: gifts into a lean table (fund resolved, no index or key)
CREATE TABLE probe_lean (source varchar(32) NOT NULL, external_id varchar(128) NOT NULL, received_at timestamptz NOT NULL,
    donor_name varchar(128) NOT NULL, amount numeric(18,2) NOT NULL CHECK (amount > 0), match numeric(18,2) NOT NULL,
    fund_id bigint NOT NULL, campaign_id bigint, pool_id bigint);
INSERT INTO probe_lean SELECT 'probe', external_id, received_at, donor_name, amount, match, fund_id, campaign_id, pool_id
  FROM stage ORDER BY row_no;
TRUNCATE probe_lean;
CREATE UNIQUE INDEX probe_lean_key ON probe_lean (source, external_id);
\echo step lean floor: the same with the idempotency key (source, external id)
INSERT INTO probe_lean SELECT 'probe', external_id, received_at, donor_name, amount, match, fund_id, campaign_id, pool_id
  FROM stage ORDER BY row_no;
TRUNCATE probe_lean;
CREATE INDEX probe_lean_fund_time ON probe_lean (fund_id, received_at);
\echo step lean floor: the same with the key and a (fund, time) index to read them by
INSERT INTO probe_lean SELECT 'probe', external_id, received_at, donor_name, amount, match, fund_id, campaign_id, pool_id
  FROM stage ORDER BY row_no;
CREATE TABLE probe_direct (external_id varchar(128) NOT NULL, received_at timestamptz NOT NULL, donor_name text,
    amount numeric(18,2) NOT NULL CHECK (amount > 0), target text NOT NULL, match numeric(18,2),
    source varchar(32) NOT NULL DEFAULT current_setting('shanlian.import_source'));
CREATE UNIQUE INDEX probe_direct_key ON probe_direct (source, external_id);
SET LOCAL shanlian.import_source = 'probe';
\echo step lean floor: the file COPYed straight into a lean table with the key (target as written, source from a setting)
\copy probe_direct (external_id, received_at, donor_name, amount, target, match) FROM '{path}' WITH (FORMAT csv, HEADER true)
\echo step end
ROLLBACK;
"""


def probe(url: str, path: Path, slug: str, rows: int, *, baseline: float, startup: float) -> None:
    """Time each step of both designs and the lean table's floors in SQL (see the module's docstring); prints the
    steps and the best ratio to `\\copy` (`baseline` seconds) a lean design could reach after `startup` seconds."""
    script = PROBE_STAGE.format(path=path, slug=slug) + PROBE_DESIGNS.format(
        path=path,
        donations_shared=PROBE_DONATIONS.format(prefix="S", entry="currval(pg_get_serial_sequence('ledger_entry', 'id'))"),
        checks_shared=PROBE_CHECKS.format(design="one entry per import"),
        donations_own=PROBE_DONATIONS.format(prefix="G", entry="entry_id"),
        checks_own=PROBE_CHECKS.format(design="one entry per gift (today)"),
    )
    # Each "\\echo step NAME" becomes a row (NAME, the server's clock): steps are timed by the server.
    script = "\n".join(f"SELECT 'step', '{line[11:].replace(chr(39), chr(39) * 2)}', extract(epoch FROM clock_timestamp());"
                       if line.startswith("\\echo step ") else line for line in script.splitlines())
    done = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "|", url], input=script, capture_output=True, text=True)
    marks = [(name, float(at)) for tag, name, at in (line.split("|") for line in done.stdout.splitlines() if line.startswith("step|"))
             if tag == "step"]
    steps = [(name, later - at) for (name, at), (_next, later) in zip(marks, marks[1:], strict=False)]
    if done.returncode:
        raise SystemExit("the probe failed: " + done.stderr[-2000:])
    print()
    print(f"Probe: the same {rows:,} rows written in SQL alone (psql, rolled back)")
    print()
    print("| step | seconds |")
    print("|---|---:|")
    totals: dict[str, float] = defaultdict(float)
    for name, seconds in steps:
        print(f"| {name} | {seconds:.2f} |")
        for design in ("one entry per import", "one entry per gift (today)"):
            if name.startswith(design):
                totals[design] += seconds
    for design, seconds in totals.items():
        print(f"| **{design}: writing, all steps** | {seconds:.2f} |")
    took = dict(steps)
    staged = took.get("raw COPY of the file into a temp table (as psql does)", 0.0)
    print()
    print(f"Upper bound for a lean design (no row checks, no ledger, no tallies; \\copy {baseline:.2f} s, "
          f"start-up of `shanlian charity import` {startup:.2f} s):")
    print()
    print("| lean design, floor | seconds | best possible ratio to \\copy |")
    print("|---|---:|---:|")
    for name, label, copied in (
            ("lean floor: the same with the idempotency key (source, external id)", "start-up + COPY + insert with the key", True),
            ("lean floor: the same with the key and a (fund, time) index to read them by",
             "start-up + COPY + insert with the key and the fund index", True),
            ("lean floor: the file COPYed straight into a lean table with the key (target as written, source from a setting)",
             "start-up + the file COPYed straight into a keyed table (nothing resolved or checked)", False)):
        if name in took:
            floor = startup + (staged if copied else 0.0) + took[name]
            print(f"| {label} | {floor:.2f} | {baseline / floor:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep the database (and the data) of an earlier run")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--probe", action="store_true", help="then time both ledger designs in SQL alone (rolled back)")
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
    if args.probe:
        conn.close()
        probe(args.database_url, path, slug, args.rows, baseline=baseline, startup=startup_seconds())


if __name__ == "__main__":
    main()
