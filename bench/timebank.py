"""The time bank at city scale: profiles and leaderboards over 10,000,000 hour records, and redemptions raced
by 50 clients through the HTTP API.

(a) Builds (once; reused when present, rebuilt with --regenerate) 1,000,000 volunteers at 100 stations with
~10,000,000 approved hour records, each posted to the ledger as the time bank posts it (one entry, +h on
`tb:issue`, -h on the volunteer's `tb:vol:<number>`; see bench/_timebank_gen.py: set-based SQL, checked
afterwards: every entry balances, every stored balance equals its postings). Then, for random volunteers and
stations, times `selectors.volunteer_profile` (balance, star, latest 10 records; target p95 < 30 ms) and
`selectors.station_leaderboard` (top 20; target p95 < 100 ms), beside a primary-key lookup of a volunteer
through the ORM and a full-scan aggregate over the hour records, measured in the same run.

(b) Starts gunicorn (real processes, SHANLIAN_DEBUG off), registers 51 volunteers through the services with
108 credits each (nine 12-hour late entries approved by a worker and the agency), and has C client processes
(50 by default) POST /api/timebank/redemptions with Idempotency-Keys (a retry after a connection error or a
5xx reuses its key; in the two races every success is sent again and must come back 200
`Idempotent-Replayed` with the same redemption):
- the last items: an item with 10 left, one request per client, each client a different volunteer;
- the same balance: all clients as one volunteer (108 credits), an item at 2 credits, until refused;
- the rate: each client spends its own volunteer's credits on a well-stocked item for --seconds.
Afterwards it checks zero oversold and zero overspent (stock >= 0 and = initial - sold, balances >= 0 and =
credits - spent), every touched entry balances and every touched account's stored balance equals its
postings, and every successful answer has exactly one redemption; and prints redemptions/s beside pgbench's
one-row INSERT rate on the same server with the same client count, in the same run.

    .venv/bin/python bench/timebank.py [--volunteers 1000000] [--repeat 300] [--clients 50] [--seconds 15] [--regenerate]
    .venv/bin/python bench/timebank.py --only reads    # (a) only;  --only api: (b) only;  --build-only: make the data

(DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/shanlian_bench_tb.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanlian.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shanlian_bench_tb")
os.environ["SHANLIAN_DEBUG"] = "0"

from bench import _timebank_gen as gen  # noqa: E402
from bench._servers import Server, ensure_database, pgbench_insert_tps  # noqa: E402

N_STATIONS = 100
PROFILE_TARGET_MS = 30
LEADERBOARD_TARGET_MS = 100
LAST_ITEMS = 10
CREDITS = 108  # nine approved 12-hour late entries: a 1-star volunteer (100 h)
SHARED_PRICE = 2
# The tables and indexes the two selectors (and the primary-key baseline) read.
WORKING_SET = ["timebank_volunteer", "timebank_volunteer_pkey", "timebank_vol_leaderboard", "timebank_vol_station_hours",
               "people_person", "people_person_pkey", "ledger_account", "ledger_account_pkey", "orgs_station", "orgs_station_pkey",
               "timebank_hoursrecord", "timebank_hours_vol_latest", "timebank_shift", "timebank_shift_pkey", "timebank_activity",
               "timebank_activity_pkey"]


def drop_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def build(n_volunteers: int) -> None:
    from django.db import connection

    from shanlian.timebank.models import Volunteer

    have = Volunteer.objects.filter(number__startswith=gen.PREFIX).count()
    if have == n_volunteers:
        print(f"reusing the data in place ({have:,} generated volunteers; rebuild with --regenerate)")
        return
    if have or Volunteer.objects.filter(station__street__code__startswith=gen.CITY_CODE[:4]).exists():
        raise SystemExit(f"the bench database holds {have:,} generated volunteers, not {n_volunteers:,}: run with --regenerate")
    gen.setup_stations(N_STATIONS)
    gen.generate(n_volunteers)
    t = time.perf_counter()
    unbalanced, mismatched, hours = gen.check()
    if unbalanced or mismatched or hours:
        raise SystemExit(f"generated data is wrong: {unbalanced} unbalanced entries, {mismatched} stored balances differ from "
                         f"their postings, {hours} volunteers' approved hours differ from their records")
    print(f"checked in {time.perf_counter() - t:.1f} s: every entry balances, every stored balance equals its postings")
    with connection.cursor() as cur:
        cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        print(f"database size {cur.fetchone()[0]}")


# -- (a) reads ---------------------------------------------------------------------------------------------


def timed(fn: Any, args: list[Any]) -> list[float]:
    for a in args[:5]:
        fn(a)  # warm
    out = []
    for a in args:
        t = time.perf_counter()
        fn(a)
        out.append((time.perf_counter() - t) * 1000)
    return out


def interleaved(calls: list[tuple[Any, list[Any]]]) -> list[list[float]]:
    """Time several functions call by call in turn (f(a0), g(b0), h(c0), f(a1), ...), so that a busy moment of the
    machine falls on all of them alike and their ratios hold."""
    for fn, args in calls:
        for a in args[:5]:
            fn(a)  # warm
    out: list[list[float]] = [[] for _ in calls]
    for i in range(min(len(args) for _fn, args in calls)):
        for n, (fn, args) in enumerate(calls):
            t = time.perf_counter()
            fn(args[i])
            out[n].append((time.perf_counter() - t) * 1000)
    return out


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))]


def reads(repeat: int) -> list[str]:
    from django.db import connection
    from django.db.models import Max, Min

    from shanlian.orgs.models import Station
    from shanlian.timebank import selectors
    from shanlian.timebank.models import HoursRecord, Volunteer

    def full_scan(_: object) -> None:
        with connection.cursor() as cur:
            cur.execute("SELECT COUNT(*), SUM(hours) FROM timebank_hoursrecord WHERE status = 'approved'")
            cur.fetchone()

    scan = timed(full_scan, [None] * 3)  # first: it reads the whole table, and the cache is then warmed for the rest
    with connection.cursor() as cur:
        t = time.perf_counter()
        # What the two selectors read (~2 GB of the ~9.5 GB) fits in RAM: read it into the cache once, so that the
        # timings are of the queries rather than of the first cold read of each page from disk.
        cur.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        cur.execute("SELECT SUM(pg_prewarm(c.oid::regclass, 'read')) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' AND c.relname = ANY(%s)", [WORKING_SET])
        blocks = cur.fetchone()[0]
        cur.execute("SELECT version(), current_setting('shared_buffers'), "
                    "(SELECT reltuples::bigint FROM pg_class WHERE relname = 'ledger_posting')")
        version, shared, postings = cur.fetchone()
    print(f"read {blocks * 8 / 1024:,.0f} MB into the OS cache in {time.perf_counter() - t:.1f} s; "
          f"{version.split(' on ')[0]}, shared_buffers {shared}, {os.cpu_count()} CPUs")

    generated = Volunteer.objects.filter(number__startswith=gen.PREFIX)
    span = generated.aggregate(lo=Min("id"), hi=Max("id"))
    n_vol = generated.count()
    n_rec = HoursRecord.objects.count()
    stations = list(Station.objects.filter(street__code__startswith=gen.CITY_CODE[:4]).order_by("pk"))
    rng = random.Random(4)
    ids = [rng.randint(span["lo"], span["hi"]) for _ in range(repeat)]
    by_id = Volunteer.objects.in_bulk(ids)
    picks = [by_id[i] for i in ids]
    station_picks = [rng.choice(stations) for _ in range(repeat)]
    sample = selectors.volunteer_profile(volunteer=picks[0])
    print(f"\n{n_vol:,} generated volunteers at {len(stations)} stations, {n_rec:,} hour records, ~{postings:,} postings; "
          f"volunteer {sample.volunteer.number}: balance {sample.balance}, {sample.stars} stars, {len(sample.latest)} latest records\n")

    def profile(v: Volunteer) -> None:
        p = selectors.volunteer_profile(volunteer=v)
        assert p.latest and p.balance == p.approved_hours

    def leaderboard(s: Station) -> None:
        rows = selectors.station_leaderboard(station=s)
        assert len(rows) == 20 and rows[0].person.real_name

    def pk_lookup(v: Volunteer) -> None:
        Volunteer.objects.get(pk=v.pk)

    load_before = os.getloadavg()[0]
    prof, board, base = interleaved([(profile, picks), (leaderboard, station_picks), (pk_lookup, picks[::-1])])
    rows = [("`volunteer_profile` (balance, star, latest 10 records)", prof, PROFILE_TARGET_MS),
            ("`station_leaderboard` (top 20 of ~10,000)", board, LEADERBOARD_TARGET_MS)]
    b50, s50 = statistics.median(base), statistics.median(scan)
    out = [f"### (a) Reads: {n_vol:,} volunteers, {n_rec:,} approved hour records, {len(stations)} stations", "",
           "| what | calls | p50 ms | p95 ms | target p95 | met | p95 / PK lookup p50 | p95 / full scan p50 |",
           "|---|---:|---:|---:|---:|:--:|---:|---:|"]
    for name, xs, target in rows:
        p95 = pct(xs, 0.95)
        out.append(f"| {name} | {len(xs)} | {statistics.median(xs):.2f} | {p95:.2f} | < {target} ms | {'yes' if p95 < target else 'NO'} "
                   f"| {p95 / b50:.1f} | {p95 / s50:.5f} |")
    out.append(f"| baseline: `Volunteer.objects.get(pk=...)` (primary-key lookup, ORM) | {len(base)} | {b50:.2f} | "
               f"{pct(base, 0.95):.2f} | | | 1 | |")
    out.append(f"| baseline: full-scan aggregate `SELECT COUNT(*), SUM(hours) FROM timebank_hoursrecord` | {len(scan)} | {s50:.0f} | "
               f"{pct(scan, 0.95):.0f} | | | | 1 |")
    out += ["", f"Calls interleaved (profile, leaderboard, PK lookup in turn) over {repeat} random volunteers and stations; "
                f"machine: {os.cpu_count()} cores, load average {load_before:.1f} before the timed calls and "
                f"{os.getloadavg()[0]:.1f} after (work of other sessions included)."]
    return out


# -- (b) redemptions through the API ---------------------------------------------------------------------------


def seed_race(clients: int) -> dict[str, Any]:
    """51 fresh volunteers (one per client, and one whose balance all clients share) with 108 credits each, their
    API tokens, and three items; made through the services, as a station would."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from shanlian.core.scoping import Role
    from shanlian.orgs.models import Station
    from shanlian.people.services import api_token_create
    from shanlian.places.models import Division
    from shanlian.timebank import services as ts
    from shanlian.timebank.models import Activity, Shift
    from tests import factories as f

    t0 = time.perf_counter()
    run = uuid.uuid4().hex[:6]
    User = get_user_model()
    worker = User.objects.get(username=gen.WORKER)
    station = Station.objects.select_related("agency", "street").filter(street__code__startswith=gen.CITY_CODE[:4]).order_by("pk")[0]
    community = Division.objects.get(code=f"{station.street.code}001")
    agency = User.objects.filter(username="tb-bench-agency").first() or f.user_with_role(
        "tb-bench-agency", Role.AGENCY_MANAGER, station.agency, name="基准机构主任")
    with transaction.atomic():
        activity = Activity.objects.create(title=f"兑换压测补录 {run}", category="governance", station=station, division=community,
                                           place="基准服务点", created_by=worker)
        now = timezone.now()
        shifts = [Shift.objects.create(activity=activity, starts_at=now - dt.timedelta(days=20 - k, hours=14),
                                       ends_at=now - dt.timedelta(days=20 - k, hours=2), headcount=clients + 1, qr_secret=f"{run}-{k}")
                  for k in range(CREDITS // 12)]
    vols, secrets_ = [], []
    for n in range(clients + 1):
        with transaction.atomic():  # one commit per volunteer (each service call is its own savepoint)
            user = f.user_with_role(f"tb-race-{run}-{n}", Role.VOLUNTEER, None, person_in=community, name=f"兑换{n}")
            vol = ts.volunteer_register(actor=user, person=user.person, station=station)
            for shift in shifts:
                record = ts.hours_late_entry(actor=worker, volunteer=vol, shift=shift, hours="12", reason="纸质签到表为证")
                ts.hours_agency_approve(actor=agency, record=ts.hours_approve(actor=worker, record=record))
            secrets_.append(api_token_create(actor=None, user=user, name=f"bench {run}")[1])
        vols.append(vol)
    items = {
        "last": ts.catalog_item_create(actor=worker, station=station, name=f"最后几张餐券 {run}", price="1", stock=LAST_ITEMS),
        "shared": ts.catalog_item_create(actor=worker, station=station, name=f"义剪 {run}", price=str(SHARED_PRICE), stock=10_000,
                                         per_person_limit=10_000),
        "rate": ts.catalog_item_create(actor=worker, station=station, name=f"社区食堂 {run}", price="0.5", stock=1_000_000,
                                       per_person_limit=30_000),
    }
    print(f"registered {len(vols)} volunteers with {CREDITS} credits each in {time.perf_counter() - t0:.1f} s (run {run})")
    return {"run": run, "volunteers": [v.pk for v in vols], "secrets": secrets_, "items": {k: i.pk for k, i in items.items()}}


def _post(http: Any, item: int, key: str) -> tuple[int, dict[str, Any], bool, int]:
    """POST one redemption; retry with the same key after a connection error or a 5xx. (status, body, replayed, retries)"""
    import httpx

    retries = 0
    for attempt in range(20):
        try:
            resp = http.post("/api/timebank/redemptions", json={"item": item, "quantity": 1}, headers={"Idempotency-Key": key})
        except httpx.TransportError:
            resp = None
        if resp is not None and resp.status_code < 500:
            return resp.status_code, resp.json(), resp.headers.get("Idempotent-Replayed") == "true", retries
        retries += 1
        time.sleep(min(0.5, 0.01 * 2**attempt))
    return 599, {}, False, retries


def _client(base: str, secret: str, item: int, prefix: str, mode: str, start: float, until: float, out: Any) -> None:
    """One client. mode "once": one redemption; "drain": redeem until refused; "timed": until `until` or refused.
    In the races ("once", "drain") each success is sent again with its key: it must come back 200, replayed, with
    the same redemption."""
    import httpx

    done: list[tuple[str, int]] = []  # (key, redemption id) of each 201
    refused: dict[str, int] = {}
    latencies: list[float] = []
    retries = bad_replays = 0
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {secret}"}, timeout=60.0) as http:
        http.get("/api/me")  # connect before the start
        time.sleep(max(0.0, start - time.monotonic()))
        seq = 0
        while True:
            seq += 1
            key = f"{prefix}-{seq}"
            t0 = time.perf_counter()
            status, body, _replayed, r = _post(http, item, key)
            retries += r
            if status in (200, 201):
                latencies.append(time.perf_counter() - t0)
                done.append((key, body["id"]))
                if mode != "timed":  # the races check replays; the timed run measures redemptions alone
                    again, body2, replayed, r = _post(http, item, key)
                    retries += r
                    if again != 200 or not replayed or body2.get("id") != body["id"]:
                        bad_replays += 1
            else:
                code = body.get("code", str(status))
                refused[code] = refused.get(code, 0) + 1
                if mode != "timed" or code in ("insufficient_balance", "out_of_stock", "limit_reached"):
                    break
            if mode == "once" or time.monotonic() >= until:
                break
    out.put({"done": done, "refused": refused, "latencies": latencies, "retries": retries, "bad_replays": bad_replays})


def run_clients(base: str, jobs: list[tuple[str, int, str]], mode: str, seconds: float = 60.0) -> dict[str, Any]:
    """jobs: one (secret, item, key prefix) per client process; all start at the same instant."""
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    start = time.monotonic() + 2.0
    procs = [ctx.Process(target=_client, args=(base, secret, item, prefix, mode, start, start + seconds, out))
             for secret, item, prefix in jobs]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    elapsed = time.monotonic() - start
    for p in procs:
        p.join()
    latencies = sorted(x for r in results for x in r["latencies"])
    refused: dict[str, int] = {}
    for r in results:
        for code, n in r["refused"].items():
            refused[code] = refused.get(code, 0) + n
    done = [d for r in results for d in r["done"]]
    return {"done": done, "refused": refused, "elapsed": elapsed, "rate": len(done) / elapsed,
            "p50": statistics.median(latencies) * 1000 if latencies else float("nan"),
            "p99": latencies[int(0.99 * (len(latencies) - 1))] * 1000 if latencies else float("nan"),
            "retries": sum(r["retries"] for r in results), "bad_replays": sum(r["bad_replays"] for r in results)}


def check_race(seed: dict[str, Any], runs: dict[str, dict[str, Any]],
               jobs: dict[str, list[tuple[str, int, str]]]) -> tuple[list[str], tuple[Any, ...]]:
    """Oversold, overspent, ledger and one-redemption-per-answer checks over what the race touched."""
    from django.db import connection
    from django.db.models import Count

    from shanlian.timebank.models import CatalogItem, Redemption, Volunteer

    connection.close()
    items = {k: CatalogItem.objects.get(pk=pk) for k, pk in seed["items"].items()}
    vols = {v.pk: v for v in Volunteer.objects.select_related("account").filter(pk__in=seed["volunteers"])}
    sold = {k: Redemption.objects.filter(item=item).count() for k, item in items.items()}
    initial = {"last": LAST_ITEMS, "shared": 10_000, "rate": 1_000_000}
    oversold = sum(1 for k, item in items.items() if item.stock < 0 or item.stock != initial[k] - sold[k])
    spent = {row["volunteer"]: row["n"] for row in Redemption.objects.filter(volunteer_id__in=vols).values("volunteer").annotate(
        n=Count("id")).order_by()}
    overspent = 0
    for v in vols.values():
        credits = sum(r.credits.value for r in Redemption.objects.filter(volunteer=v))
        if v.account.balance < 0 or v.account.balance != CREDITS - credits:
            overspent += 1
    accounts = [v.account_id for v in vols.values()]
    with connection.cursor() as cur:
        cur.execute("""SELECT COUNT(*) FROM (SELECT p.entry_id FROM ledger_posting p WHERE p.entry_id IN
                         (SELECT entry_id FROM ledger_posting WHERE account_id = ANY(%s)) GROUP BY p.entry_id, p.unit
                         HAVING SUM(p.amount) <> 0) x""", [accounts])
        unbalanced = cur.fetchone()[0]
        cur.execute("""SELECT COUNT(*) FROM ledger_account a JOIN (SELECT account_id, SUM(amount) AS total FROM ledger_posting
                         WHERE account_id = ANY(%s) OR account_id = (SELECT id FROM ledger_account WHERE code = 'tb:redeemed')
                         GROUP BY account_id) s ON s.account_id = a.id
                        WHERE a.balance <> -s.total""", [accounts])
        mismatched = cur.fetchone()[0]
    # Each successful answer: exactly one redemption with its volunteer and key, and it is the one answered.
    secret_vol = dict(zip(seed["secrets"], seed["volunteers"], strict=True))
    answers = 0
    not_one = 0
    for phase, run in runs.items():
        prefixes = {prefix: secret_vol[secret] for secret, _item, prefix in jobs[phase]}
        for key, rid in run["done"]:
            answers += 1
            vol = prefixes[key.rsplit("-", 1)[0]]
            found = list(Redemption.objects.filter(volunteer_id=vol, idempotency_key=key).values_list("pk", flat=True))
            if found != [rid]:
                not_one += 1
    total = sum(spent.values())
    extra = total - answers  # redemptions nobody was told about (a lost answer would show here)
    last_ok, shared_ok = len(runs["last"]["done"]), len(runs["shared"]["done"])
    shared_vol = vols[seed["volunteers"][-1]]
    return [
        f"- last items: {LAST_ITEMS} left, {len(jobs['last'])} clients, one request each → {last_ok} redeemed, stock now "
        f"{items['last'].stock}; refused {runs['last']['refused']}",
        f"- same balance: {len(jobs['shared'])} clients as one volunteer with {CREDITS} credits, {SHARED_PRICE} credits an item → "
        f"{shared_ok} redeemed (at most {CREDITS // SHARED_PRICE}), balance now {shared_vol.account.balance}; refused "
        f"{runs['shared']['refused']}",
        f"- **oversold items: {oversold}**, **overspent balances: {overspent}** (stock ≥ 0 and = initial − sold; balance ≥ 0 and = "
        f"{CREDITS} − spent, for {len(vols)} volunteers)",
        f"- ledger: {unbalanced} unbalanced entries among those touching the race's accounts, {mismatched} stored balances differing "
        f"from their postings (the volunteers' and `tb:redeemed`)",
        f"- successful answers: {answers:,}; with not exactly one redemption: **{not_one}**; redemptions without an answer: {extra}; "
        f"replays not answered 200 with the same redemption: {sum(r['bad_replays'] for r in runs.values())}",
    ], (oversold, overspent, unbalanced, mismatched, not_one, extra, last_ok == LAST_ITEMS,
        shared_ok == CREDITS // SHARED_PRICE)


class WaitSampler:
    """Samples, every 50 ms, what the database's client backends (the app's, not this one's) are doing: running a
    statement, in a transaction waiting for the app's next one, or waiting for a row lock another transaction
    holds. Shows where a serialised write queues."""

    def __init__(self, url: str) -> None:
        import threading

        self.url, self.samples, self.stop = url, [], threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.wait(0.05):
                rows = conn.execute(
                    "SELECT CASE WHEN state = 'idle in transaction' THEN 'app' WHEN wait_event_type = 'Lock' THEN 'Lock' "
                    "ELSE 'running' END, COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND backend_type = 'client backend' AND pid <> pg_backend_pid() "
                    "AND state IN ('active', 'idle in transaction') GROUP BY 1").fetchall()
                self.samples.append(dict(rows))

    def __enter__(self) -> WaitSampler:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()

    def mean(self, kind: str) -> float:
        return sum(s.get(kind, 0) for s in self.samples) / max(1, len(self.samples))


def profile_one(secret: str, item: int) -> tuple[int, int, int]:
    """(SQL statements one redemption costs, of them those run while the item's row is locked, and those run while
    the shared `tb:redeemed` account's row is locked): one POST through Django's test client in this process, the
    same code path as the server."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    with CaptureQueriesContext(connection) as ctx:
        resp = Client().post("/api/timebank/redemptions", {"item": item}, content_type="application/json",
                             HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert resp.status_code == 201, resp.content
    sqls = [q["sql"] for q in ctx.captured_queries]
    commit = max(i for i, q in enumerate(sqls) if q.strip().upper() == "COMMIT")
    item_lock = next(i for i, q in enumerate(sqls)
                     if "timebank_catalogitem" in q and ("FOR UPDATE" in q or q.lstrip().startswith("UPDATE")))
    account_lock = next(i for i, q in enumerate(sqls) if "ledger_account" in q and "FOR NO KEY UPDATE" in q)
    return len(sqls), commit - item_lock + 1, commit - account_lock + 1


def api(clients: int, seconds: int, workers: int) -> list[str]:
    from django.db import connection

    url = os.environ["DATABASE_URL"]
    seed = seed_race(clients)
    connection.close()  # no connection of ours is inherited by the forked clients
    secrets_, items, run = seed["secrets"], seed["items"], seed["run"]
    jobs = {
        "last": [(secrets_[n], items["last"], f"{run}-last-{n}") for n in range(clients)],
        "shared": [(secrets_[-1], items["shared"], f"{run}-shared-{n}") for n in range(clients)],
        "rate": [(secrets_[n], items["rate"], f"{run}-rate-{n}") for n in range(clients)],
    }
    runs: dict[str, dict[str, Any]] = {}
    load_before = os.getloadavg()[0]
    with Server(url=url, workers=workers) as server:
        runs["last"] = run_clients(server.base, jobs["last"], "once")
        runs["shared"] = run_clients(server.base, jobs["shared"], "drain")
        with WaitSampler(url) as waits:
            runs["rate"] = run_clients(server.base, jobs["rate"], "timed", seconds=seconds)
    tps = pgbench_insert_tps(url, clients=clients, seconds=seconds)
    lines, verdict = check_race(seed, runs, jobs)
    statements, locked, ledger_locked = profile_one(secrets_[0], items["rate"])  # after the checks, which count every redemption
    oversold, overspent, unbalanced, mismatched, not_one, extra, last_ok, shared_ok = verdict
    ok = not (oversold or overspent or unbalanced or mismatched or not_one or extra) and last_ok and shared_ok
    rate = runs["rate"]
    out = [f"### (b) Redemptions: {clients} clients against gunicorn ({workers} sync workers), {seconds} s", "",
           "| what | per second | p50 latency ms | p99 latency ms | retries | ratio to pgbench |",
           "|---|---:|---:|---:|---:|---:|"]
    out.append(f"| redemptions: POST /api/timebank/redemptions, one item, each client its own volunteer's balance | "
               f"{rate['rate']:,.0f} | {rate['p50']:.1f} | {rate['p99']:.1f} | {rate['retries']} | **{rate['rate'] / tps:.3f}** |")
    out.append(f"| pgbench: one-row INSERT transactions ({clients} clients, same server) | {tps:,.0f} | | | | 1 |")
    out += ["", f"Where the time goes: one redemption costs {statements} SQL statements; {locked} of them (from the item's "
                f"stock UPDATE to `COMMIT`) run while the item's row is locked, and {ledger_locked} while `entry_post`'s lock on "
                f"`tb:redeemed`, which every redemption in the city moves, is held. During the timed run the app's database "
                f"backends were on average {waits.mean('running'):.1f} running a statement, {waits.mean('app'):.1f} in a "
                f"transaction waiting for the app's next statement and {waits.mean('Lock'):.1f} waiting for a row lock "
                f"({len(waits.samples)} samples)."]
    out += ["", f"Races and checks ({'all hold' if ok else 'FAILED'}):", *lines,
            f"- machine: {os.cpu_count()} cores, load average {load_before:.1f} before the API runs and {os.getloadavg()[0]:.1f} after"]
    if not ok:
        out.append("**FAILED**")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--volunteers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--regenerate", action="store_true", help="drop the bench database and generate it anew")
    parser.add_argument("--build-only", action="store_true", help="make (or check) the data set, time nothing")
    parser.add_argument("--only", choices=["reads", "api"], help="run one half only")
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    if args.regenerate:
        drop_database(url)
    ensure_database(url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    build(args.volunteers)
    if args.build_only:
        return
    out: list[str] = []
    if args.only != "api":
        out += reads(args.repeat) + [""]
    if args.only != "reads":
        out += api(args.clients, args.seconds, args.workers)
    print("\n## Time bank at city scale\n")
    print("\n".join(out))


if __name__ == "__main__":
    main()
