"""Donation intake through the HTTP API, beside pgbench's one-row INSERT rate on the same server.

Starts gunicorn (real processes, SHANLIAN_DEBUG off) against PostgreSQL, by default with uvicorn workers serving
`shanlian.asgi`: the intake gateway (src/shanlian/charity/intake/gateway.py) answers single online gifts from an event
loop through group commit (src/shanlian/charity/intake/groupcommit.py: the gifts of concurrent requests
written in one transaction, each request answered after that COMMIT), and Django everything else. Seeds a
federation, a fund, a finance officer and a machine token through the services, then runs C clients (C
concurrent keep-alive connections, in a couple of asyncio processes on uvloop so that the clients cost the
machine little) that POST online gifts (`/api/charity/donations`, a payment platform's intake) with unique
Idempotency-Keys for a fixed time, retrying a connection error or a 5xx with the same key. In the same run,
pgbench inserts one row per transaction into a bare table with the SAME client count for the same time. Prints
a Markdown table with donations/s, p50/p99 latency, gifts per transaction, pgbench's TPS and the ratio (target
>= 0.25), and checks afterwards that every acknowledged gift is in the books once and the books balance.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shanlian_bench_intake .venv/bin/python bench/intake.py
    .venv/bin/python bench/intake.py --clients 64 --seconds 15 --workers 2      # the defaults
    .venv/bin/python bench/intake.py --worker-class gthread --threads 32        # Django under WSGI, group commit
    .venv/bin/python bench/intake.py --worker-class sync --workers 3            # the direct path, as at first
    .venv/bin/python bench/intake.py --profile     # the SQL one donation costs (direct path and group commit), then exit
    .venv/bin/python bench/intake.py --batch 100   # POST /api/charity/donations/batch, 100 gifts a request
    .venv/bin/python bench/intake.py --both        # single gifts and batches of 100 in the same run, both ratios

With --batch N each client sends N gifts per request to `/api/charity/donations/batch` (what a payment
platform forwarding a Giving Day's stream does); donations/s still counts gifts, and the latency is
per request (N gifts).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import random
import re
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

from bench._servers import CPUTime, Server, migrate, pgbench_insert_tps, recreate_database  # noqa: E402

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


class _Http:
    """A bare HTTP/1.1 keep-alive connection (asyncio streams): a client costs the machine little CPU, so that
    many concurrent clients measure the server rather than the clients (pgbench's clients are C)."""

    def __init__(self, host: str, port: int, secret: str) -> None:
        self.host, self.port = host, port
        self.head = f"Host: {host}:{port}\r\nAuthorization: Bearer {secret}\r\nContent-Type: application/json\r\n"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def post(self, path: str, body: Any, headers: str = "", *, parse: bool = True) -> tuple[int, Any]:
        """One request and its answer: (status, the JSON body, or None when `parse` is False or it has none)."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        data = json.dumps(body).encode()
        self.writer.write(f"POST {path} HTTP/1.1\r\n{self.head}{headers}Content-Length: {len(data)}\r\n\r\n".encode() + data)
        head = await self.reader.readuntil(b"\r\n\r\n")  # the status line and headers in one read
        status = int(head[9:12])
        found = CONTENT_LENGTH.search(head)
        payload = await self.reader.readexactly(int(found.group(1))) if found else b""
        if CLOSE.search(head):
            await self.close()
        return status, json.loads(payload) if parse and payload else None


CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)
CLOSE = re.compile(rb"\r\nconnection:\s*close", re.IGNORECASE)


async def _one_client(base: str, secret: str, run: str, n: int, until: float, batch: int) -> dict[str, Any]:
    """One client: POST gifts back to back until `until`; retry with the same key on errors and 5xx."""
    host, port = base.removeprefix("http://").split(":")
    http = _Http(host, int(port), secret)
    rng = random.Random(n)
    acked: list[str] = []
    latencies: list[float] = []
    retries = failures = seq = 0

    async def send(path: str, body: Any, headers: str = "") -> tuple[int, Any] | None:
        nonlocal retries
        for attempt in range(20):
            try:
                # A single gift's answer is told by its status (its key is the client's); a batch's by its body.
                status, answer = await http.post(path, body, headers, parse=bool(batch))
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, IndexError, ValueError):
                await http.close()
                status, answer = 599, None
            if status < 500:
                return status, answer
            retries += 1
            await asyncio.sleep(min(0.5, 0.01 * 2**attempt))
        return None

    while time.monotonic() < until:
        if batch:
            gifts = []
            for _ in range(batch):
                seq += 1
                gifts.append({"idempotency_key": f"{run}-{n}-{seq}", "fund": FUND, "amount": f"{rng.randint(1, 50000) / 100:.2f}",
                              "donor_name": rng.choice(["张三", "李四", "王五", ""]), "donor_key": f"payer-{rng.randint(1, 10**6)}"})
            t0 = time.perf_counter()
            got = await send("/api/charity/donations/batch", {"gifts": gifts})
            if got is not None and got[0] == 200:
                latencies.append(time.perf_counter() - t0)
                done = [g["idempotency_key"] for g in got[1]["gifts"] if g["status"] in ("created", "replayed")]
                acked += done
                failures += len(gifts) - len(done)
            else:
                failures += len(gifts)
        else:
            seq += 1
            key = f"{run}-{n}-{seq}"
            body = {"fund": FUND, "amount": f"{rng.randint(1, 50000) / 100:.2f}", "channel": "online",
                    "donor_name": rng.choice(["张三", "李四", "王五", ""]), "donor_key": f"payer-{rng.randint(1, 10**6)}"}
            t0 = time.perf_counter()
            got = await send("/api/charity/donations", body, f"Idempotency-Key: {key}\r\n")
            if got is not None and got[0] in (200, 201):
                latencies.append(time.perf_counter() - t0)
                acked.append(key)
            else:
                failures += 1
    await http.close()
    return {"acked": acked, "latencies": latencies, "retries": retries, "failures": failures}


def _client_process(base: str, secret: str, run: str, ns: list[int], until: float, out: Any, batch: int) -> None:
    async def main() -> list[dict[str, Any]]:
        return await asyncio.gather(*(_one_client(base, secret, run, n, until, batch) for n in ns))

    try:  # uvloop (installed with uvicorn[standard]) roughly halves what each client costs the machine
        import uvloop

        results = uvloop.run(main())
    except ImportError:
        results = asyncio.run(main())
    for result in results:
        out.put(result)


def run_clients(base: str, secret: str, *, clients: int, seconds: float, batch: int = 0, processes: int = 2) -> dict[str, Any]:
    """`clients` concurrent connections (each sends a request, waits for the answer, sends the next), spread
    over `processes` client processes."""
    run = uuid.uuid4().hex[:8]
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    cpu_start = CPUTime.now()
    start = time.monotonic()
    until = start + seconds
    groups = [list(range(clients))[i::processes] for i in range(min(processes, clients))]
    procs = [ctx.Process(target=_client_process, args=(base, secret, run, ns, until, out, batch)) for ns in groups]
    for p in procs:
        p.start()
    results = [out.get() for _ in range(clients)]
    elapsed = time.monotonic() - start
    cpu_end = CPUTime.now()
    busy, steal, _wall = cpu_end.since(cpu_start)
    for p in procs:
        p.join()
    latencies = sorted(x for r in results for x in r["latencies"])
    acked = [k for r in results for k in r["acked"]]
    return {
        "run": run, "acked": acked, "elapsed": elapsed, "rate": len(acked) / elapsed,
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p99": latencies[int(0.99 * (len(latencies) - 1))] if latencies else float("nan"),
        "retries": sum(r["retries"] for r in results), "failures": sum(r["failures"] for r in results),
        "cpu": busy, "steal": steal, "postgres": cpu_end.postgres - cpu_start.postgres,
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


def _now() -> Any:
    from django.utils import timezone

    return timezone.now()


def transactions_since(user_id: int, since: Any) -> tuple[int, int]:
    """(group or batch transactions, their gifts) the caller's gifts took since `since`: the audit rows of the
    batch path, one per transaction (a single gift on the direct path writes none)."""
    from django.db import connection

    from shanlian.core.models import AuditLog

    rows = AuditLog.objects.filter(action="charity.donation.batch", object_id=f"api:{user_id}", at__gte=since)
    created = [int(a.get("created") or 0) for a in rows.values_list("after", flat=True)]
    connection.close()
    return len(created), sum(created)


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
    """Print the SQL statements one donation costs in-process: on the direct path (a sync worker), and with group
    commit (a gthread worker): the request's own statements, then those of one group's transaction."""
    from decimal import Decimal

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from shanlian.charity.intake import groupcommit
    from shanlian.charity.intake.batch import BatchGiftIn, BatchGiftResult

    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    body = {"fund": FUND, "amount": "12.34", "channel": "online", "donor_name": "张三", "donor_key": "p1"}

    def show(title: str, queries: list[dict[str, Any]]) -> None:
        print(f"{title}: {len(queries)} statements")
        for q in queries:
            print(f"  {q['time']:>6}s  {' '.join(q['sql'].split())[:150]}")

    settings.SHANLIAN["CHARITY_GROUP_COMMIT"] = "off"
    client.post("/api/charity/donations", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex, **auth)
    with CaptureQueriesContext(connection) as ctx:
        resp = client.post("/api/charity/donations", body, content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex, **auth)
    show(f"Direct path (sync workers), status {resp.status_code}, per donation", ctx.captured_queries)

    class Caught(groupcommit.GroupCommitter):
        def submit(self, *, actor: Any, gift: BatchGiftIn, timeout: float = 0) -> Any:
            # answered as if its group had committed: only the request's own statements are counted here
            return BatchGiftResult(index=0, idempotency_key=gift.idempotency_key, status="created", donation_id=0, entry_id=0,
                                   amount=Decimal(gift.amount), match=Decimal(0), received_at=timezone.now())

    caught = Caught()
    groupcommit.committer = lambda: caught  # type: ignore[assignment]
    settings.SHANLIAN["CHARITY_GROUP_COMMIT"] = "on"
    client.post("/api/charity/donations", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex, **auth)
    with CaptureQueriesContext(connection) as ctx:
        client.post("/api/charity/donations", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex, **auth)
    show("\nGroup commit (gthread workers), the request's own statements (then it waits for its group)",
         ctx.captured_queries)
    officer = get_user_model().objects.get(username="bench-finance")
    tickets = [groupcommit.Ticket(actor=officer, gift=BatchGiftIn(idempotency_key=uuid.uuid4().hex, amount="1.00", fund=FUND,
                                                                  donor_key=f"p{i}")) for i in range(20)]
    groupcommit.GroupCommitter().commit_group(tickets[:1])
    tickets = tickets[1:]
    with CaptureQueriesContext(connection) as ctx:
        groupcommit.GroupCommitter().commit_group(tickets)
    show(f"\nGroup commit, the committer's transaction for a group of {len(tickets)} gifts "
         f"({[t.result.status for t in tickets if t.result].count('created')} created)", ctx.captured_queries)


WAY_TO_ONE = """\
**Where the time goes.** pgbench pays one round trip and one commit per row, from clients written in C. A
gift pays an HTTP request, its checks and its share of a group's transaction: the entry, two to four
postings, the gift, each touched balance and the income roll-up, with the deferred checks (every entry
balances, every key holds) before COMMIT.

**The path here.** The intake gateway (uvicorn workers, `shanlian.asgi`) parses the request in C, checks the body
with the API's schema, takes the token, the caller's roles, the fund and the campaign from a few seconds'
memory of the process, and hands the gift to its process's committer thread, which writes all the gifts waiting
in ONE transaction (`intake.batch`: ~10 statements for the whole group) and only then lets the event loop
answer each request. Anything else (a replay, an error, another path) is Django's, unchanged.
"Gifts per transaction" above is the mean group size.

**What limits it.** With clients that each wait for their answer, rate = clients / latency. On a 2-core machine
shared by the clients, the app and PostgreSQL, the CPU is the limit: per gift about 0.3 ms in the app's
processes (the HTTP request, the checks, the committer's ORM statements, one audit row per group) and 0.15 ms in
PostgreSQL (the rows and their indexes). The way to 1.0: the committer's per-group look-ups and statements as
one prepared database function (one round trip per group), fewer indexes on the ledger's postings (three
start with the account), and the gateway on machines of its own, so that the API's Python and the database
do not share two cores.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=64,
                        help="concurrent clients (connections); pgbench runs with the same number")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", choices=["sync", "gthread", "uvicorn"], default="uvicorn",
                        help="uvicorn: the ASGI site with the intake gateway (default); gthread/sync: Django under WSGI")
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--batch-worker-class", choices=["sync", "gthread"], default="gthread",
                        help="the server for --batch/--both batches when --worker-class is uvicorn (the site's WSGI)")
    parser.add_argument("--group-commit", choices=["auto", "on", "off"], default="auto",
                        help="SHANLIAN_GROUP_COMMIT for the server (auto: on with gthread workers)")
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--batch", type=int, default=0, metavar="N",
                        help="send N gifts per request to /api/charity/donations/batch (0: one gift per request)")
    parser.add_argument("--both", action="store_true",
                        help="measure single gifts and batches (--batch, default 100) in the same run")
    parser.add_argument("--profile", action="store_true", help="print the SQL of one donation and exit")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the database and its gifts from earlier runs (by default it is made anew, so that "
                             "every run starts from the same data)")
    args = parser.parse_args()
    if not 0 <= args.batch <= 1000:
        parser.error("--batch is 0 to 1000")
    modes = [0, args.batch or 100] if args.both else [args.batch]

    url = os.environ["DATABASE_URL"]
    load_before = os.getloadavg()[0]
    recreate_database(url, reuse=args.reuse)  # a fresh database unless --reuse: every run starts from the same data
    migrate(url)
    fund, secret, user_id = seed()
    if args.profile:
        profile(secret)
        return
    from django.db import connection

    connection.close()  # no connection of ours is inherited by the forked clients

    runs: dict[int, dict[str, Any]] = {}
    # (The bench's "auto" means grouped wherever the server can group: the setting's "on" for gthread workers.)
    env = {"SHANLIAN_GROUP_COMMIT": "on" if args.group_commit == "auto" and args.worker_class == "gthread" else args.group_commit}
    group_commit = args.group_commit == "on" or (args.group_commit == "auto" and args.worker_class != "sync")
    groups: dict[int, tuple[int, int]] = {}
    served: dict[int, str] = {}
    for batch in modes:
        # Batches are Django's endpoint: served as a deployment serves the site (WSGI, gthread), while single gifts
        # go to the intake gateway (a proxy routes POST /api/charity/donations there; README).
        worker_class = args.batch_worker_class if batch and args.worker_class == "uvicorn" else args.worker_class
        served[batch] = worker_class
        with Server(url=url, workers=args.workers, worker_class=worker_class, threads=args.threads, env=env) as server:
            kw = {"clients": args.clients, "batch": batch, "processes": args.client_processes}
            run_clients(server.base, secret, seconds=2, **kw)  # warm up workers and connections
            since = _now()
            runs[batch] = run_clients(server.base, secret, seconds=args.seconds, **kw)
            groups[batch] = transactions_since(user_id, since)
    readings: list[CPUTime] = []
    tps = pgbench_insert_tps(url, clients=args.clients, seconds=args.seconds, cpu=readings)
    pg_busy, pg_steal, pg_wall = readings[1].since(readings[0])
    pg_postgres = readings[1].postgres - readings[0].postgres
    books = check_books(user_id, [k for r in runs.values() for k in r["acked"]])
    in_process = service_rate(user_id, seconds=min(5, args.seconds))

    workers = f"{args.workers} × {args.worker_class}" + (f" ({args.threads} threads)" if args.worker_class == "gthread" else "")
    workers += f", group commit {'on' if group_commit else 'off'}"
    print(f"\n## Donation intake: {args.clients} clients, {args.seconds} s each, gunicorn {workers}, fund `{fund}`\n")
    print("| requests | donations/s | p50 latency (ms) | p99 latency (ms) | retries / failed gifts | gifts per transaction "
          f"| ratio to pgbench (target ≥ {TARGET}) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for batch, api in runs.items():
        ratio = api["rate"] / tps
        what = "one gift each: POST /api/charity/donations" if not batch else (
            f"{batch} gifts each: POST /api/charity/donations/batch")
        what += f" ({served[batch]})"
        txs, gifts = groups[batch]
        per_tx = f"{gifts / txs:.1f}" if txs else "1"
        print(f"| {what} | {api['rate']:,.0f} | {api['p50'] * 1000:.1f} | {api['p99'] * 1000:.1f} | "
              f"{api['retries']} / {api['failures']} | {per_tx} | **{ratio:.3f}** {'✓' if ratio >= TARGET else '✗'} |")
    print(f"| pgbench: one-row INSERT transactions ({args.clients} clients) | {tps:,.0f} | | | | 1 | 1 |")
    print(f"| for comparison: donation_record in one process, no HTTP, one client | {in_process:,.0f} | | | | 1 | "
          f"{in_process / tps:.3f} |")
    print("\nDonations/s counts gifts; a batch request's latency is for all its gifts.")
    # The CPU one operation costs the whole machine (clients, app, PostgreSQL, kernel): on a shared machine the rates
    # above swing with the neighbours' load, this far less. Ratio by CPU = pgbench's CPU per transaction / ours per gift.
    pg_per_tx = pg_busy / (tps * pg_wall) if tps else float("nan")
    # Ratio by PostgreSQL's CPU: what the database's cores could take if the app ran on machines of its own.
    print(f"\n| CPU of the whole machine ({os.cpu_count()} cores) | µs per gift or transaction | of which PostgreSQL "
          "| busy share | stolen share | ratio by CPU | ratio by PostgreSQL's CPU |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    pg_only_per_tx = pg_postgres / (tps * pg_wall) if tps else float("nan")
    cores = os.cpu_count() or 1
    for batch, api in runs.items():
        n = len(api["acked"]) or float("nan")
        per_gift = api["cpu"] / n
        what = "one gift each" if not batch else f"{batch} gifts each"
        print(f"| {what} | {per_gift * 1e6:,.0f} | {api['postgres'] / n * 1e6:,.0f} | {api['cpu'] / (api['elapsed'] * cores):.0%} | "
              f"{api['steal'] / (api['elapsed'] * cores):.0%} | {pg_per_tx / per_gift:.3f} | "
              f"{pg_only_per_tx / (api['postgres'] / n):.3f} |")
    print(f"| pgbench | {pg_per_tx * 1e6:,.0f} | {pg_only_per_tx * 1e6:,.0f} | {pg_busy / (pg_wall * cores):.0%} "
          f"| {pg_steal / (pg_wall * cores):.0%} | 1 | 1 |")
    print(f"\nBooks after the run: {books}")
    print(f"Machine: {os.cpu_count()} cores, load average {load_before:.1f} before the run and {os.getloadavg()[0]:.1f} after "
          "(other work on the machine slows the Python side of the API far more than pgbench).\n")
    print(WAY_TO_ONE)


if __name__ == "__main__":
    main()
