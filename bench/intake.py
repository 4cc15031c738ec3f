"""Donation intake through the HTTP API, beside pgbench's one-row INSERT rate on the same server.

Starts gunicorn (real processes, SHANLIAN_DEBUG off) against PostgreSQL, seeds a federation, a fund, a
finance officer and a machine token through the services, then runs C client processes that POST
online gifts (`/api/charity/donations`, a payment platform's intake) with unique Idempotency-Keys for
a fixed time, retrying a connection error or a 5xx with the same key. In the same run, pgbench inserts
one row per transaction into a bare table with the same client count for the same time. Prints a
Markdown table with donations/s, p50/p99 latency, pgbench's TPS and the ratio (target >= 0.25), and
checks afterwards that every acknowledged gift is in the books once and the books balance.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shanlian_bench_intake .venv/bin/python bench/intake.py
    .venv/bin/python bench/intake.py --clients 8 --seconds 15 --workers 3 --worker-class gthread --threads 4
    .venv/bin/python bench/intake.py --profile     # the SQL one donation costs, then exit
    .venv/bin/python bench/intake.py --batch 100   # POST /api/charity/donations/batch, 100 gifts a request
    .venv/bin/python bench/intake.py --both        # single gifts and batches of 100 in the same run, both ratios

With --batch N each client sends N gifts per request to `/api/charity/donations/batch` (what a payment
platform forwarding a Giving Day's stream does); donations/s still counts gifts, and the latency is
per request (N gifts).
"""

from __future__ import annotations

import argparse
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
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shanlian_bench_intake")
os.environ["SHANLIAN_DEBUG"] = "0"

from bench._servers import Server, ensure_database, migrate, pgbench_insert_tps  # noqa: E402

FUND = "bench-intake"
TARGET = 0.25


def seed() -> tuple[str, str, int]:
    """The fund, a fresh machine token of the custodian's finance officer (secret), and the officer's id."""
    import datetime as dt

    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from shanlian.charity import services as cs
    from shanlian.charity.models import CommunityFund
    from shanlian.core.scoping import Role
    from shanlian.orgs.models import Organization
    from shanlian.people.services import api_token_create
    from tests import factories as f

    User = get_user_model()
    if not CommunityFund.objects.filter(code=FUND).exists():
        city = f.division("基准市", "city", "449900")
        district = f.division("基准区", "district", "449901", city)
        street = f.division("基准街道", "street", "449901001", district)
        fed = f.organization("基准市慈善会", district=district, kind="association", public_fundraising=True,
                             is_charity_federation=True)
        officer = f.user_with_role("bench-finance", Role.FEDERATION_FINANCE, fed, name="基准财务")
        cs.fund_create(actor=officer, code=FUND, name="基准社区慈善基金", division=street, custodian=fed,
                       opened_on=dt.date(2025, 1, 1), seed="1000.00")
    fed = Organization.objects.get(name="基准市慈善会")
    officer = User.objects.get(username="bench-finance")
    _, secret = api_token_create(actor=None, user=officer, name=f"bench {uuid.uuid4().hex[:6]}")
    del fed
    return FUND, secret, officer.pk


def _client(base: str, secret: str, run: str, n: int, until: float, out: Any, batch: int = 0) -> None:
    """One client: POST gifts back to back until `until`; retry with the same key on errors and 5xx."""
    import httpx

    rng = random.Random(n)
    headers = {"Authorization": f"Bearer {secret}"}
    acked: list[str] = []
    latencies: list[float] = []
    retries = failures = 0
    seq = 0
    with httpx.Client(base_url=base, headers=headers, timeout=60.0) as http:
        while batch and time.monotonic() < until:
            gifts = []
            for _ in range(batch):
                seq += 1
                gifts.append({"idempotency_key": f"{run}-{n}-{seq}", "fund": FUND, "amount": f"{rng.randint(1, 50000) / 100:.2f}",
                              "donor_name": rng.choice(["张三", "李四", "王五", ""]), "donor_key": f"payer-{rng.randint(1, 10**6)}"})
            t0 = time.perf_counter()
            for attempt in range(20):
                try:
                    resp = http.post("/api/charity/donations/batch", json={"gifts": gifts})
                except httpx.TransportError:
                    resp = None
                if resp is not None and resp.status_code < 500:
                    break
                retries += 1
                time.sleep(min(0.5, 0.01 * 2**attempt))
            if resp is not None and resp.status_code == 200:
                latencies.append(time.perf_counter() - t0)
                done = [g["idempotency_key"] for g in resp.json()["gifts"] if g["status"] in ("created", "replayed")]
                acked += done
                failures += len(gifts) - len(done)
            else:
                failures += len(gifts)
        while not batch and time.monotonic() < until:
            seq += 1
            key = f"{run}-{n}-{seq}"
            body = {"fund": FUND, "amount": f"{rng.randint(1, 50000) / 100:.2f}", "channel": "online",
                    "donor_name": rng.choice(["张三", "李四", "王五", ""]), "donor_key": f"payer-{rng.randint(1, 10**6)}"}
            t0 = time.perf_counter()
            for attempt in range(20):
                try:
                    resp = http.post("/api/charity/donations", json=body, headers={"Idempotency-Key": key})
                except httpx.TransportError:
                    resp = None
                if resp is not None and resp.status_code < 500:
                    break
                retries += 1
                time.sleep(min(0.5, 0.01 * 2**attempt))
            if resp is not None and resp.status_code in (200, 201):
                latencies.append(time.perf_counter() - t0)
                acked.append(key)
            else:
                failures += 1
    out.put({"acked": acked, "latencies": latencies, "retries": retries, "failures": failures})


def run_clients(base: str, secret: str, *, clients: int, seconds: float, batch: int = 0) -> dict[str, Any]:
    run = uuid.uuid4().hex[:8]
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    start = time.monotonic()
    until = start + seconds
    procs = [ctx.Process(target=_client, args=(base, secret, run, n, until, out, batch)) for n in range(clients)]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    elapsed = time.monotonic() - start
    for p in procs:
        p.join()
    latencies = sorted(x for r in results for x in r["latencies"])
    acked = [k for r in results for k in r["acked"]]
    return {
        "run": run, "acked": acked, "elapsed": elapsed, "rate": len(acked) / elapsed,
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p99": latencies[int(0.99 * (len(latencies) - 1))] if latencies else float("nan"),
        "retries": sum(r["retries"] for r in results), "failures": sum(r["failures"] for r in results),
    }


def check_books(user_id: int, acked: list[str]) -> str:
    from django.db import connection

    from shanlian.charity.models import Donation
    from shanlian.ledger.selectors import balances_mismatched, unbalanced_entries

    connection.close()
    stored = set(Donation.objects.filter(source=f"api:{user_id}", external_id__in=acked).values_list("external_id", flat=True))
    missing = len(set(acked) - stored)
    problems = len(unbalanced_entries()) + len(balances_mismatched())
    if missing or problems:
        return f"FAILED: {missing} acknowledged gifts missing, {problems} ledger problems"
    return f"ok: all {len(acked):,} acknowledged gifts recorded once; every entry balances; stored balances = postings"


def service_rate(user_id: int, seconds: float) -> float:
    """Gifts/s through services.donation_record in this process, one after another, no HTTP: what one
    core spends in the service and the ledger alone (the API adds the request, auth and look-ups)."""
    from django.contrib.auth import get_user_model

    from shanlian.charity import services as cs
    from shanlian.charity.models import CommunityFund

    officer = get_user_model().objects.get(pk=user_id)
    fund = CommunityFund.objects.select_related("division", "custodian", "account").get(code=FUND)
    run, n = uuid.uuid4().hex[:8], 0
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        n += 1
        cs.donation_record(actor=officer, fund=fund, amount="1.00", channel="online", donor_name="基准",
                           source="bench-service", external_id=f"{run}-{n}", _skip_access=True)
    return n / (time.monotonic() - start)


def profile(secret: str) -> None:
    """Print the SQL statements one donation costs in-process (same code path as the server)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    body = {"fund": FUND, "amount": "12.34", "channel": "online", "donor_name": "张三", "donor_key": "p1"}
    client.post("/api/charity/donations", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex, **auth)
    with CaptureQueriesContext(connection) as ctx:
        resp = client.post("/api/charity/donations", body, content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex, **auth)
    print(f"status {resp.status_code}; {len(ctx.captured_queries)} statements per donation:")
    for q in ctx.captured_queries:
        print(f"  {q['time']:>6}s  {q['sql'][:160]}")


WAY_TO_ONE = """\
**Where the time goes.** pgbench pays one round trip and one commit per row. A gift through the API pays
an HTTP request and 23 SQL statements (`bench/intake.py --profile`): the token, the caller's role grants
and person (3), the fund and the idempotency look-up (2), then in `donation_record` and `entry_post`:
the idempotency look-up again, the fund's status, the federation's cash account, two savepoints, the
entry's idempotency check, the account locks, the entry, the postings, two balance updates, two audit
rows, the donation, BEGIN and COMMIT. During the run the database backends are mostly idle: the cost
is Python building and sending those statements (`donation_record` alone, no HTTP, runs at the rate
in the last row), and every gift to a fund also holds the federation-cash and fund account rows
locked from its UPDATE to its COMMIT.

**Batches from the platform (`--batch 100`).** `POST /api/charity/donations/batch` takes up to 1000 gifts
and writes the good ones with the bulk importer's set-based writer (`importer_write.write_set`): one
transaction, a COPY into a temporary table, one INSERT ... SELECT each for entries, postings, donations and
matches, each touched account's balance moved once, one audit row, one COMMIT. The per-gift cost is a
line of JSON, its checks and a COPY row: a platform that forwards its stream in batches gets the ratio
in the batch row above.

**The way to 1.0 for single-gift requests: group commit across requests.** A client that sends one
gift per request still pays a transaction per gift. Pay per batch what is now paid per gift: each app
process hands its validated gifts to one committer thread that, every few milliseconds (or at ~100
gifts), takes all the gifts waiting and writes them with the same `write_set` the batch endpoint uses
(lock the touched accounts once, in id order; multi-row inserts; each balance moved once by the batch's
sum; one audit row; one COMMIT); only then does each waiting request get its 201. A gift that fails a
check is answered alone before it joins a batch; a write that fails (a key a concurrent request just
used, a pool emptied meanwhile) is retried by the committer gift by gift, so one bad gift does not fail
its neighbours. Idempotency stays in the database (unique source + external id), so a retry after a
crash finds the committed gift or none. Then a single-gift request costs its HTTP round trip, its
checks (the token and the fund read from a per-process cache) and 1/100 of a commit, which is where
pgbench's one-row rate sits: pgbench pays a commit per row, a group commit does not. The latency grows
by the committer's wait (a few ms), not by the load.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=0, metavar="N",
                        help="send N gifts per request to /api/charity/donations/batch (0: one gift per request)")
    parser.add_argument("--both", action="store_true",
                        help="measure single gifts and batches (--batch, default 100) in the same run")
    parser.add_argument("--profile", action="store_true", help="print the SQL of one donation and exit")
    args = parser.parse_args()
    if not 0 <= args.batch <= 1000:
        parser.error("--batch is 0 to 1000")
    modes = [0, args.batch or 100] if args.both else [args.batch]

    url = os.environ["DATABASE_URL"]
    load_before = os.getloadavg()[0]
    ensure_database(url)
    migrate(url)
    fund, secret, user_id = seed()
    if args.profile:
        profile(secret)
        return
    from django.db import connection

    connection.close()  # no connection of ours is inherited by the forked clients

    runs: dict[int, dict[str, Any]] = {}
    with Server(url=url, workers=args.workers, worker_class=args.worker_class, threads=args.threads) as server:
        for batch in modes:
            run_clients(server.base, secret, clients=args.clients, seconds=2, batch=batch)  # warm up workers and connections
            runs[batch] = run_clients(server.base, secret, clients=args.clients, seconds=args.seconds, batch=batch)
    tps = pgbench_insert_tps(url, clients=args.clients, seconds=args.seconds)
    books = check_books(user_id, [k for r in runs.values() for k in r["acked"]])
    in_process = service_rate(user_id, seconds=min(5, args.seconds))

    workers = f"{args.workers} × {args.worker_class}" + (f" ({args.threads} threads)" if args.worker_class == "gthread" else "")
    print(f"\n## Donation intake: {args.clients} clients, {args.seconds} s each, gunicorn {workers}, fund `{fund}`\n")
    print("| requests | donations/s | p50 latency (ms) | p99 latency (ms) | retries / failed gifts | ratio to pgbench (target ≥ "
          f"{TARGET}) |")
    print("|---|---:|---:|---:|---:|---:|")
    for batch, api in runs.items():
        ratio = api["rate"] / tps
        what = "one gift each: POST /api/charity/donations" if not batch else (
            f"{batch} gifts each: POST /api/charity/donations/batch")
        print(f"| {what} | {api['rate']:,.0f} | {api['p50'] * 1000:.1f} | {api['p99'] * 1000:.1f} | "
              f"{api['retries']} / {api['failures']} | **{ratio:.3f}** {'✓' if ratio >= TARGET else '✗'} |")
    print(f"| pgbench: one-row INSERT transactions ({args.clients} clients) | {tps:,.0f} | | | | 1 |")
    print(f"| for comparison: donation_record in one process, no HTTP, one client | {in_process:,.0f} | | | | "
          f"{in_process / tps:.3f} |")
    print("\nDonations/s counts gifts; a batch request's latency is for all its gifts.")
    print(f"\nBooks after the run: {books}")
    print(f"Machine: {os.cpu_count()} cores, load average {load_before:.1f} before the run and {os.getloadavg()[0]:.1f} after "
          "(other work on the machine slows the Python side of the API far more than pgbench).\n")
    print(WAY_TO_ONE)


if __name__ == "__main__":
    main()
