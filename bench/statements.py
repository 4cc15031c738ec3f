"""Statements at city scale: a fund statement and a fund's public disclosure page with 10,000,000 postings.

Builds (once; reused when present) a ledger of 1,000 community funds in 10 federations' custody, each
fund with its general, goods and two project accounts, and ~4.5 million balanced entries (10,000,000
postings): gifts (2 postings), matched gifts (4), payouts (2) and management fees (2) spread over three
years, with their `charity_donation`, `charity_matchgift`, `charity_payout` and `charity_feecharge`
rows. Generation is set-based SQL (generate_series INSERT ... SELECT); it runs with
`session_replication_role = replica` so the ledger's per-posting triggers (the deferred balance check,
the immutability guards, foreign-key checks) do not fire for the generated rows only, and the
secondary indexes are dropped and rebuilt around the load. Afterwards one UPDATE sets every account's
balance from the sums, the funds' income roll-up (`FundIncomeMonth`, kept by triggers that were off) is
filled with its migration's own rebuild SQL, and a check proves every entry balances.

Then, for random funds, it times:
- `fund_statement` first page (50 lines, running balances, totals),
- `fund_statement` for a three-month period (a date-filtered page),
- the public fund page `GET /public/funds/<code>/` through Django's test Client (all its queries and
  the template), as it opens (the last 12 months) and with all dates (`?all=1`, three years of gifts),
and prints p50/p95 over 200 calls each beside the full-scan aggregate
`SELECT account_id, SUM(amount) FROM ledger_posting GROUP BY account_id` measured in the same run.

    .venv/bin/python bench/statements.py [--postings 10000000] [--repeat 200]

(DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/shanlian_bench_stmt.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanlian.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shanlian_bench_stmt")

N_FUNDS = 1000
N_FEDERATIONS = 10
POSTINGS_PER_100_ENTRIES = 220  # 85 gifts x2 + 10 matched gifts x4 + 4 payouts x2 + 1 fee x2
SPAN_DAYS = 3 * 365
# Three years of gifts up to today (so the public page's "last 12 months" holds a full year).
START_DAY = dt.date.today() - dt.timedelta(days=SPAN_DAYS)
START = f"{START_DAY.isoformat()} 00:00:00+08"


def ensure_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_funds() -> None:
    """Places, 10 federations, 1,000 funds with their accounts, two projects each, a matching pool per
    federation: made with the ORM (a few thousand rows)."""
    from django.db import transaction
    from django.utils import timezone

    from shanlian.charity.models import Campaign, CampaignTarget, CommunityFund, MatchPool, Project
    from shanlian.ledger.models import Account, AccountType
    from shanlian.orgs.models import OrgKind
    from tests import factories as f

    t0 = time.perf_counter()
    with transaction.atomic():
        gz = f.division("广州市", "city", "440100")
        accounts: list[Account] = []
        funds: list[CommunityFund] = []
        feds = []
        for d in range(N_FEDERATIONS):
            district = f.division(f"区{d}", "district", f"4401{d + 10:02d}", gz)
            fed = f.organization(f"广州市{d}区慈善会", district=district, kind=OrgKind.ASSOCIATION, public_fundraising=True,
                                 is_charity_federation=True)
            feds.append(fed)
            for s in range(10):
                street = f.division(f"街道{d}-{s}", "street", f"{district.code}{s + 1:03d}", district)
                for c in range(10):
                    community = f.division(f"社区{d}-{s}-{c}", "community", f"{street.code}{c + 1:03d}", street)
                    n = len(funds)
                    general = Account(code=f"fund:bench-{n:04d}:general", name=f"{community.name}基金", unit="CNY",
                                      type=AccountType.LIABILITY, guarded=True)
                    goods = Account(code=f"fund:bench-{n:04d}:goods", name=f"{community.name}物资", unit="CNY",
                                    type=AccountType.LIABILITY, guarded=True)
                    accounts += [general, goods]
                    funds.append(CommunityFund(code=f"bench-{n:04d}", name=f"{community.name}社区慈善基金", division=community,
                                               custodian=fed, opened_on=START_DAY, fee_rate="0.01",
                                               account=general, goods_account=goods))
        for fed in feds:
            accounts += [Account(code=f"fed:{fed.pk}:cash", name=f"{fed.name} 银行存款", unit="CNY", type=AccountType.ASSET,
                                 guarded=True),
                         Account(code=f"fed:{fed.pk}:fee", name=f"{fed.name} 管理费收入", unit="CNY", type=AccountType.INCOME),
                         Account(code=f"pool:bench-{fed.pk}", name="配捐池", unit="CNY", type=AccountType.LIABILITY, guarded=True)]
        Account.objects.bulk_create(accounts)
        for fund in funds:
            fund.account_id, fund.goods_account_id = fund.account.pk, fund.goods_account.pk
        CommunityFund.objects.bulk_create(funds)
        restricted = [Account(code=f"project:{fund.code}:{k}", name=f"{fund.name}项目{k}", unit="CNY", type=AccountType.LIABILITY,
                              guarded=True) for fund in funds for k in (1, 2)]
        Account.objects.bulk_create(restricted)
        Project.objects.bulk_create([
            Project(fund=fund, title=("长者饭堂助餐" if k == 1 else "困境儿童助学") + f"·{fund.code[-4:]}",
                    purpose="elderly" if k == 1 else "children", budget="500000", starts_on=START_DAY,
                    ends_on=dt.date(2026, 12, 31), restricted_account=restricted[2 * n + k - 1])
            for n, fund in enumerate(funds) for k in (1, 2)
        ])
        by_code = {a.code: a for a in Account.objects.filter(code__startswith="pool:bench-")}
        for fed in feds:
            campaign = Campaign.objects.create(slug=f"bench-{fed.pk}", title=f"{fed.name}慈善日", organizer=fed, goal="1000000",
                                               starts_at=timezone.now() - dt.timedelta(days=SPAN_DAYS), ends_at=timezone.now(),
                                               status="closed")
            MatchPool.objects.create(campaign=campaign, sponsor_name="广州善源科技有限公司", ratio="1", per_donor_cap="100",
                                     per_day_cap="100000", total_cap="99999999", account=by_code[f"pool:bench-{fed.pk}"])
            CampaignTarget.objects.bulk_create([CampaignTarget(campaign=campaign, fund=fund) for fund in funds
                                                if fund.custodian_id == fed.pk])
        f.user_with_role("bench_requester", "", None)
        f.user_with_role("bench_approver", "", None)
    print(f"set up {len(funds):,} funds in {time.perf_counter() - t0:.1f} s")


# A map from fund index (0..999) to its ids, read by the generating SQL.
FUND_MAP = """
CREATE TEMP TABLE bench_fund AS
SELECT (row_number() OVER (ORDER BY f.id) - 1)::int AS idx, f.id AS fund_id, f.account_id AS general_id,
       p1.id AS p1_id, p1.restricted_account_id AS p1_acc, p2.id AS p2_id, p2.restricted_account_id AS p2_acc,
       cash.id AS cash_id, fee.id AS fee_id, pool.id AS pool_acc, mp.id AS pool_id, mp.campaign_id AS campaign_id
  FROM charity_communityfund f
  JOIN charity_project p1 ON p1.fund_id = f.id AND p1.purpose = 'elderly'
  JOIN charity_project p2 ON p2.fund_id = f.id AND p2.purpose = 'children'
  JOIN ledger_account cash ON cash.code = 'fed:' || f.custodian_id || ':cash'
  JOIN ledger_account fee ON fee.code = 'fed:' || f.custodian_id || ':fee'
  JOIN ledger_account pool ON pool.code = 'pool:bench-' || f.custodian_id
  JOIN charity_matchpool mp ON mp.account_id = pool.id
 WHERE f.code LIKE 'bench-%';
CREATE UNIQUE INDEX ON bench_fund (idx);
ANALYZE bench_fund;
"""

# One row per generated entry: its fund, kind (by block of 1000 entries, so every fund sees every kind),
# amounts and time. Entry ids are BASE + i; donation ids likewise.
GEN = """
CREATE TEMP TABLE bench_gen AS
SELECT i, %(base)s + i AS entry_id,
       b.*,
       ((i / 1000) %% 100) AS k,
       (((i::bigint * 7919) %% 50000) + 100)::numeric / 100 AS amt,
       ((i / 100000) %% 10) < 3 AS restricted,
       ((i / 1000000) %% 2) = 0 AS first_project,
       (((i / 1000) %% 100) BETWEEN 85 AND 94 OR i %% 3 = 0) AS online,
       TIMESTAMPTZ %(start)s + (i::float8 / %(n)s) * INTERVAL '%(span)s days' AS at
  FROM generate_series(1, %(n)s) AS i
  JOIN bench_fund b ON b.idx = i %% 1000;
"""

LOAD = [
    # Entries.
    """INSERT INTO ledger_entry (id, source, external_id, content_hash, memo, posted_at, reverses_id, booked_on)
       SELECT entry_id,
              CASE WHEN k < 95 THEN (CASE WHEN online THEN 'charity.pay:fakepay' ELSE 'charity.station' END)
                   WHEN k < 99 THEN 'hold:charity.payout' ELSE 'charity.fee' END,
              '', md5(entry_id::text),
              CASE WHEN k < 95 THEN '捐赠 gift → bench' WHEN k < 99 THEN '拨付 payout ' || entry_id
                   ELSE '管理费 management fee' END,
              at, NULL, (at AT TIME ZONE 'Asia/Shanghai')::date
         FROM bench_gen""",
    # Postings: the legs of each entry (the target of a gift is the fund's general money or a project's).
    """INSERT INTO ledger_posting (entry_id, account_id, unit, amount)
       SELECT g.entry_id, leg.account_id, 'CNY', leg.amount
         FROM bench_gen g
         CROSS JOIN LATERAL (
           SELECT CASE WHEN g.restricted THEN (CASE WHEN g.first_project THEN g.p1_acc ELSE g.p2_acc END)
                       ELSE g.general_id END AS target,
                  LEAST(g.amt, 100.00) AS matched
         ) t
         CROSS JOIN LATERAL (VALUES
           (1, g.cash_id, g.amt), (2, t.target, -g.amt),
           (3, g.pool_acc, t.matched), (4, t.target, -t.matched),
           (5, CASE WHEN g.first_project THEN g.p1_acc ELSE g.p2_acc END, 50.00::numeric), (6, g.cash_id, -50.00),
           (7, g.general_id, 1.00::numeric), (8, g.fee_id, -1.00)
         ) AS leg(n, account_id, amount)
        WHERE (g.k < 95 AND leg.n IN (1, 2)) OR (g.k BETWEEN 85 AND 94 AND leg.n IN (3, 4))
           OR (g.k BETWEEN 95 AND 98 AND leg.n IN (5, 6)) OR (g.k = 99 AND leg.n IN (7, 8))""",
    # Gifts.
    """INSERT INTO charity_donation (id, fund_id, project_id, campaign_id, channel, amount, donor_name, show_name, donor_user_id,
                                     donor_key, point_id, goods_item, goods_quantity, goods_unit, message, received_at,
                                     recorded_by_id, source, external_id, status, entry_id, refund_entry_id, created_at)
       SELECT entry_id, fund_id,
              CASE WHEN restricted THEN (CASE WHEN first_project THEN p1_id ELSE p2_id END) END,
              CASE WHEN online THEN campaign_id END,
              CASE WHEN online THEN 'online' WHEN i %% 3 = 1 THEN 'cash' ELSE 'transfer' END,
              amt,
              substr('王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗', (i %% 20) + 1, 1)
                || substr('伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰', ((i / 20) %% 20) + 1, 1)
                || CASE WHEN i %% 5 < 3 THEN substr('华建国玉志强红梅兵', ((i / 7) %% 9) + 1, 1) ELSE '' END,
              i %% 13 = 0, NULL, CASE WHEN k BETWEEN 85 AND 94 THEN 'd' || (i %% 100000) ELSE '' END, NULL, '', NULL, '', '', at,
              NULL, CASE WHEN online THEN 'pay:fakepay' ELSE 'station' END, '', 'confirmed', entry_id, NULL, at
         FROM bench_gen WHERE k < 95""",
    # Their matches.
    """INSERT INTO charity_matchgift (pool_id, donation_id, amount, day, donor_key, refunded)
       SELECT pool_id, entry_id, LEAST(amt, 100.00), (at AT TIME ZONE 'Asia/Shanghai')::date, 'd' || (i %% 100000), false
         FROM bench_gen WHERE k BETWEEN 85 AND 94""",
    # Payouts (paid), and the management fees.
    """INSERT INTO charity_payout (fund_id, project_id, station_id, title, payee, amount, status, requested_by_id, requested_at,
                                   decided_by_id, decided_at, decision_note, paid_by_id, paid_at, payment_reference, external_id)
       SELECT fund_id, CASE WHEN first_project THEN p1_id ELSE p2_id END, NULL, '项目拨付 ' || entry_id, '北京街社工站', 50.00,
              'paid', %(requester)s, at - INTERVAL '3 days', %(approver)s, at - INTERVAL '1 day', '', %(approver)s, at,
              'BANK' || entry_id, ''
         FROM bench_gen WHERE k BETWEEN 95 AND 98""",
    """INSERT INTO charity_feecharge (fund_id, period_start, period_end, base, rate, amount, entry_id, charged_by_id, created_at)
       SELECT fund_id, (at AT TIME ZONE 'Asia/Shanghai')::date, (at AT TIME ZONE 'Asia/Shanghai')::date, 100.00, 0.01, 1.00,
              entry_id, %(approver)s, at
         FROM bench_gen WHERE k = 99""",
]

DEPOSITS = """
INSERT INTO ledger_entry (id, source, external_id, content_hash, memo, posted_at, booked_on)
SELECT mp.id, 'charity.match_deposit', mp.id::text, md5(mp.id::text), '配捐资金 match deposit', TIMESTAMPTZ %(start)s,
       (TIMESTAMPTZ %(start)s AT TIME ZONE 'Asia/Shanghai')::date
  FROM charity_matchpool mp;
INSERT INTO ledger_posting (entry_id, account_id, unit, amount)
SELECT mp.id, leg.account_id, 'CNY', leg.amount
  FROM charity_matchpool mp
  JOIN charity_campaign c ON c.id = mp.campaign_id
  JOIN ledger_account cash ON cash.code = 'fed:' || c.organizer_id || ':cash'
  CROSS JOIN LATERAL (VALUES (cash.id, 99999999.00::numeric), (mp.account_id, -99999999.00)) AS leg(account_id, amount);
"""

FINISH = [
    "UPDATE ledger_account a SET balance = s.total * CASE WHEN a.type IN ('asset', 'expense') THEN 1 ELSE -1 END "
    "FROM (SELECT account_id, SUM(amount) AS total FROM ledger_posting GROUP BY account_id) s WHERE s.account_id = a.id",
    "UPDATE charity_matchpool mp SET matched_total = s.total FROM (SELECT pool_id, SUM(amount) AS total FROM charity_matchgift "
    "GROUP BY pool_id) s WHERE s.pool_id = mp.id",
    "INSERT INTO charity_campaigntally (campaign_id, slot, fen, gifts) SELECT d.campaign_id, 0, "
    "SUM(ROUND(d.amount * 100) + COALESCE(ROUND(m.amount * 100), 0))::bigint, COUNT(*) FROM charity_donation d "
    "LEFT JOIN charity_matchgift m ON m.donation_id = d.id WHERE d.campaign_id IS NOT NULL GROUP BY d.campaign_id",
    "SELECT setval(pg_get_serial_sequence('ledger_entry', 'id'), (SELECT MAX(id) FROM ledger_entry))",
    "SELECT setval(pg_get_serial_sequence('charity_donation', 'id'), (SELECT MAX(id) FROM charity_donation))",
]

BULK_TABLES = ["ledger_entry", "ledger_posting", "charity_donation", "charity_matchgift", "charity_payout", "charity_feecharge"]


def generate(n_postings: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    # The last, partial cycle of kinds is mostly plain gifts (2 postings): a few more entries reach the target.
    n_entries = n_postings * 100 // POSTINGS_PER_100_ENTRIES + n_postings // 2000
    users = get_user_model().objects.filter(username__in=["bench_requester", "bench_approver"]).in_bulk(field_name="username")
    params = {"base": 1000, "n": n_entries, "start": START, "span": SPAN_DAYS,
              "requester": users["bench_requester"].pk, "approver": users["bench_approver"].pk}
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        # Only for this load: no triggers (the balance check per posting, the immutability guards, FK checks).
        cur.execute("SET LOCAL session_replication_role = replica")
        print("  session_replication_role = replica for this load only: the per-posting balance trigger, the immutability"
              " guards and FK checks are off; balance and guards are checked once at the end")
        cur.execute("SET LOCAL work_mem = '256MB'")
        cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
        # Secondary (non-unique) indexes are dropped and rebuilt after the load: much faster than maintaining them.
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) AND indexdef NOT LIKE 'CREATE UNIQUE%%'",
                    [BULK_TABLES])
        indexes = cur.fetchall()
        for name, _def in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        cur.execute(FUND_MAP)
        cur.execute(GEN % {k: (f"'{v}'" if k == "start" else v) for k, v in params.items()})
        print(f"  planned {n_entries:,} entries in {time.perf_counter() - t0:.1f} s")
        cur.execute(DEPOSITS % {"start": f"'{START}'"})
        for sql in LOAD:
            t = time.perf_counter()
            cur.execute(sql, params)
            print(f"  {sql.split()[2]:<20} {cur.rowcount:>12,} rows  {time.perf_counter() - t:6.1f} s")
        for name, definition in indexes:
            t = time.perf_counter()
            cur.execute(definition)
            print(f"  index {name:<40} {time.perf_counter() - t:6.1f} s")
        for sql in FINISH:
            cur.execute(sql)
        # The load ran without triggers: fill the funds' income roll-up the way its migration does (charity 0005).
        t = time.perf_counter()
        for sql in importlib.import_module("shanlian.charity.migrations.0004_income_rollup").rebuild_sql("postgresql"):
            cur.execute(sql)
        print(f"  income roll-up rebuilt in {time.perf_counter() - t:6.1f} s")
        cur.execute("SET LOCAL session_replication_role = origin")
    with connection.cursor() as cur:
        # What the triggers would have checked, checked once for the whole load.
        cur.execute("SELECT COUNT(*) FROM (SELECT entry_id FROM ledger_posting GROUP BY entry_id HAVING SUM(amount) <> 0) x")
        unbalanced = cur.fetchone()[0]
        cur.execute("SELECT COUNT(*) FROM ledger_account WHERE guarded AND balance < held")
        negative = cur.fetchone()[0]
    if unbalanced or negative:
        raise SystemExit(f"generated ledger is wrong: {unbalanced} unbalanced entries, {negative} negative guarded accounts")
    vacuum()
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM ledger_posting")
        made = cur.fetchone()[0]
    print(f"generated {made:,} postings in {time.perf_counter() - t0:.1f} s (all entries balance)")


def vacuum() -> None:
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        for table in BULK_TABLES + ["ledger_account"]:
            conn.execute(f"VACUUM (ANALYZE) {table}")


def build(n_postings: int) -> None:
    from django.db import connection

    from shanlian.charity.models import CommunityFund

    with connection.cursor() as cur:
        cur.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'ledger_posting'")
        have = cur.fetchone()[0]
    if CommunityFund.objects.filter(code__startswith="bench-").count() == N_FUNDS and have >= n_postings * 0.95:
        print(f"reusing the data in place (~{have:,} postings; rebuild by dropping the database)")
        return
    if CommunityFund.objects.exists():
        raise SystemExit("the bench database holds another data set: drop it first")
    setup_funds()
    generate(n_postings)


def timed(fn, args: list) -> list[float]:
    fn(args[0])  # warm
    out = []
    for a in args:
        t = time.perf_counter()
        fn(a)
        out.append((time.perf_counter() - t) * 1000)
    return out


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postings", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--build-only", action="store_true", help="make (or check) the data set, time nothing")
    args = parser.parse_args()
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0)
    build(args.postings)
    if args.build_only:
        return

    from django.db import connection
    from django.test import Client

    from shanlian.charity.models import CommunityFund
    from shanlian.charity.selectors import fund_statement

    rng = random.Random(11)
    funds = list(CommunityFund.objects.filter(code__startswith="bench-"))
    picks = [rng.choice(funds) for _ in range(args.repeat)]
    periods = []
    for fund in picks:
        start = START_DAY + dt.timedelta(days=rng.randrange(SPAN_DAYS - 100))
        periods.append((fund, start, start + dt.timedelta(days=91)))
    client = Client()

    def first_page(fund: CommunityFund) -> None:
        st = fund_statement(fund=fund)
        assert len(st.lines) == 50

    def period_page(p: tuple) -> None:
        st = fund_statement(fund=p[0], start=p[1], end=p[2])
        assert st.lines and st.opening + st.total_in - st.total_out == st.closing

    def public_page(fund: CommunityFund) -> None:
        r = client.get(f"/public/funds/{fund.code}/")  # opens on the last 12 months
        assert r.status_code == 200, r.status_code

    def public_page_all(fund: CommunityFund) -> None:
        r = client.get(f"/public/funds/{fund.code}/?all=1")  # three years of gifts
        assert r.status_code == 200, r.status_code

    def full_scan(_: object) -> None:
        with connection.cursor() as cur:
            cur.execute("SELECT account_id, SUM(amount) FROM ledger_posting GROUP BY account_id")
            cur.fetchall()

    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM ledger_posting")
        n_postings = cur.fetchone()[0]
        # The data set (~2.5 GB with indexes) fits in this machine's RAM: read it into the OS cache once, so the
        # timings are of the queries, not of the first cold read of each page from disk (the full scan too).
        t = time.perf_counter()
        cur.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        cur.execute("SELECT SUM(pg_prewarm(c.oid::regclass, 'read')) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')")
        blocks = cur.fetchone()[0]
        cur.execute("SELECT version(), current_setting('shared_buffers')")
        version, shared = cur.fetchone()
    print(f"read {blocks * 8 / 1024:,.0f} MB into the OS cache in {time.perf_counter() - t:.1f} s; "
          f"{version.split(' on ')[0]}, shared_buffers {shared}, {os.cpu_count()} CPUs")
    per_fund = fund_statement(fund=funds[0], limit=1)
    print(f"\n{n_postings:,} postings, {len(funds):,} funds; fund {funds[0].code} holds {per_fund.holdings}\n")
    scan = timed(full_scan, [None] * 5)
    rows = [
        ("fund_statement, first page", timed(first_page, picks)),
        ("fund_statement, 3-month period", timed(period_page, periods)),
        ("public fund page (GET, last 12 months)", timed(public_page, picks)),
        ("public fund page (GET, all dates)", timed(public_page_all, picks)),
    ]
    base = statistics.median(scan)
    print("| what | calls | p50 ms | p95 ms | full-scan aggregate p50 ms | ratio p95 / full scan | target p95 < 50 ms |")
    print("|---|---:|---:|---:|---:|---:|:--:|")
    for name, xs in rows:
        p95 = pct(xs, 0.95)
        print(f"| {name} | {len(xs)} | {statistics.median(xs):.2f} | {p95:.2f} | {base:.0f} | {p95 / base:.4f} | "
              f"{'yes' if p95 < 50 else 'NO'} |")
    print(f"\nfull-scan aggregate (SELECT account_id, SUM(amount) FROM ledger_posting GROUP BY account_id): "
          f"p50 {base:.0f} ms over {len(scan)} runs; the statement's p95 is {base / pct(rows[0][1], 0.95):.0f}x faster.")


if __name__ == "__main__":
    main()
