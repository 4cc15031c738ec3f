"""Giving while app servers die: no acknowledged gift is lost, none is recorded twice, the books balance.

Two gunicorn servers serve this test's own PostgreSQL database (the data is committed, so they see it): one
with sync workers, one with gthread workers and group commit (intake/groupcommit.py) for online gifts.
Eight client threads give for about 20 seconds: a station worker's cash gifts and a payment platform's
online gifts in a campaign with a matching pool, each with its own Idempotency-Key. Clients retry with
the same key after a connection error or a 5xx, sometimes re-send a gift that was already acknowledged
(a duplicated webhook), and sometimes send the same gift twice at once. Meanwhile a killer SIGKILLs a
random server (master and workers, mid-request) every few seconds and starts it again.

Afterwards every acknowledged gift exists exactly once, under the id it was acknowledged with; there
is no duplicate and no entry without its gift; every entry balances; stored balances equal the sums of
the postings; the matching pool and the campaign's tally agree with the gifts; a new seal verifies.

The server helpers live in bench/_servers.py, shared with the intake benchmark (see there for why).
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.db import connection
from django.db.models import Count, Sum

from shanlian.charity.models import CampaignTally, Donation, MatchGift, MatchPool
from shanlian.core.models import AuditLog
from shanlian.ledger import sealing
from shanlian.ledger.models import Entry
from shanlian.ledger.selectors import balances_mismatched, unbalanced_entries
from shanlian.people.services import api_token_create

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench._servers import Server  # noqa: E402

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="app servers in other processes need a database server; SQLite's test database is in memory"),
    pytest.mark.django_db(transaction=True),
]

LOAD_SECONDS = 20.0
CLIENTS = 8


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Ledger:
    """What the clients were told: key → donation id, and anything that contradicts itself."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.acked: dict[tuple[str, str], int] = {}
        self.problems: list[str] = []
        self.stats: dict[str, int] = defaultdict(int)

    def ack(self, who: str, key: str, donation_id: int) -> None:
        with self.lock:
            first = self.acked.setdefault((who, key), donation_id)
            if first != donation_id:
                self.problems.append(f"{key}: acknowledged as {first} and as {donation_id}")

    def count(self, what: str) -> None:
        with self.lock:
            self.stats[what] += 1


def _give(servers: list[Server], http: httpx.Client, token: str, key: str, body: dict[str, Any], book: Ledger, who: str,
          deadline: float) -> None:
    """Send one gift until a server acknowledges it (retrying with the same key), as a payment platform does."""
    rng = random.Random()
    attempt = 0
    while time.monotonic() < deadline:
        server = rng.choice(servers)
        try:
            resp = http.post(f"{server.base}/api/charity/donations", json=body,
                             headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})
        except httpx.TransportError:
            book.count("connection errors")
            resp = None
        if resp is not None and resp.status_code in (200, 201):
            book.ack(who, key, resp.json()["id"])
            book.count("replays" if resp.status_code == 200 else "created")
            return
        if resp is not None and resp.status_code < 500:
            with book.lock:
                book.problems.append(f"{key}: {resp.status_code} {resp.text[:200]}")
            return
        if resp is not None:
            book.count("5xx")
        attempt += 1
        time.sleep(min(0.3, 0.01 * 2**attempt) * rng.random())


def _yuan(total: Any) -> Decimal:
    """A SUM over a money column (Money, or None for no rows) as a Decimal."""
    return Decimal(getattr(total, "amount", total) or 0)


def _give_alone(*args: Any) -> None:
    with httpx.Client(timeout=10.0) as http:
        _give(args[0], http, *args[1:])


def test_acknowledged_gifts_survive_killed_servers(books, city):
    finance, worker = city.users["finance"], city.users["station_worker"]
    _, finance_token = api_token_create(actor=None, user=finance, name="giving-day platform")
    _, worker_token = api_token_create(actor=None, user=worker, name="station desk")
    url = _database_url()
    connection.close()  # the servers and this test must not share a connection

    # One server with sync workers (the direct path, a transaction per gift), one with gthread workers, where
    # the online gifts go through the group committer (acknowledged only after their group's COMMIT), and one
    # ASGI server with the intake gateway (charity/intake/gateway.py: the same committer behind an event loop).
    servers = [Server(url=url, workers=2),
               Server(url=url, workers=2, worker_class="gthread", threads=8, env={"SHANLIAN_GROUP_COMMIT": "on"}),
               Server(url=url, workers=2, worker_class="uvicorn", env={"SHANLIAN_GROUP_COMMIT": "auto"})]
    book = Ledger()
    stop_at = settle_by = 0.0  # set once the servers are up

    def client(n: int) -> None:
        rng = random.Random(n)
        online = n % 2 == 0
        who, token = ("finance", finance_token) if online else ("worker", worker_token)
        with httpx.Client(timeout=10.0) as http:
            seq = 0
            while time.monotonic() < stop_at:
                seq += 1
                key = f"c{n}-{seq}"
                if online:
                    body = {"fund": books.fund.code, "amount": f"{rng.randint(100, 20000) / 100:.2f}", "channel": "online",
                            "campaign": books.campaign.slug, "donor_key": f"payer-{rng.randint(1, 40)}",
                            "donor_name": rng.choice(["网友", "张先生", ""])}
                else:
                    body = {"fund": books.fund.code, "amount": f"{rng.randint(100, 50000) / 100:.2f}", "channel": "cash",
                            "point": books.point.pk, "donor_name": rng.choice(["林晓红", "陈伯", ""])}
                twin = None
                if rng.random() < 0.15:  # the same gift sent twice at once (a platform's duplicated callback)
                    twin = threading.Thread(target=_give_alone, args=(servers, token, key, body, book, who, settle_by))
                    twin.start()
                    book.count("concurrent twins")
                _give(servers, http, token, key, body, book, who, settle_by)
                if rng.random() < 0.2:  # a late re-send of a gift already acknowledged
                    _give(servers, http, token, key, body, book, who, settle_by)
                    book.count("re-sends")
                if twin is not None:
                    twin.join()

    def killer() -> None:
        rng = random.Random(99)
        while time.monotonic() < stop_at - 2:
            time.sleep(rng.uniform(1.0, 2.5))
            victim = rng.choice(servers)
            victim.kill()
            book.count("kills")
            time.sleep(rng.uniform(0.2, 0.8))
            victim.start(wait=60)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    threads.append(threading.Thread(target=killer))
    try:
        for server in servers:
            server.start(wait=60)
        stop_at = time.monotonic() + LOAD_SECONDS
        # A gift still unacknowledged when the load ends gets a little longer, with no server being
        # killed, so that every gift a client started is settled one way or the other.
        settle_by = stop_at + 20
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=LOAD_SECONDS + 60)
    finally:
        for server in servers:
            server.stop()

    assert not any(t.is_alive() for t in threads), "a client or the killer hung"
    assert not book.problems, book.problems[:10]
    assert book.stats["kills"] >= 2, book.stats
    assert book.stats["created"] > 30, book.stats
    assert book.stats["connection errors"] + book.stats["5xx"] > 0, book.stats  # the kills did hit requests in flight

    sources = {"finance": f"api:{finance.pk}", "worker": f"api:{worker.pk}"}
    stored = {(d.source, d.external_id): d.pk for d in Donation.objects.filter(source__in=sources.values())}
    for (who, key), donation_id in book.acked.items():
        assert stored.get((sources[who], key)) == donation_id, f"acknowledged gift {who}/{key} is not in the books as {donation_id}"
    dupes = (Donation.objects.exclude(external_id="").values("source", "external_id").annotate(n=Count("id")).filter(n__gt=1))
    assert not dupes.exists()
    # Every entry the API posted belongs to a gift: a killed request left nothing half-written.
    assert Entry.objects.filter(source__in=[f"charity.{s}" for s in sources.values()]).count() == len(stored)

    assert not unbalanced_entries()
    assert not balances_mismatched()
    pool = MatchPool.objects.get(pk=books.pool.pk)
    matched = _yuan(MatchGift.objects.filter(pool=pool, refunded=False).aggregate(s=Sum("amount"))["s"])
    assert pool.matched_total.amount == matched
    campaign_gifts = Donation.objects.filter(campaign=books.campaign)
    tally = CampaignTally.objects.filter(campaign=books.campaign).aggregate(fen=Sum("fen"), gifts=Sum("gifts"))
    expected_fen = int((_yuan(campaign_gifts.aggregate(s=Sum("amount"))["s"]) + matched) * 100)
    assert (tally["fen"], tally["gifts"]) == (expected_fen, campaign_gifts.count())

    # the gthread server's online gifts went through group commit
    assert AuditLog.objects.filter(action="charity.donation.batch", object_id=sources["finance"]).exists()

    assert sealing.seal_create() is not None
    assert sealing.verify() == []
    print(f"\nreliability: {len(book.acked)} gifts acknowledged, {dict(book.stats)}, "
          f"{sum(s.starts for s in servers)} server starts")


def test_the_same_gift_sent_twice_at_once_is_recorded_once(books, city):
    """Two requests with one key racing inside the database: one records the gift (201), the other waits on
    the unique key and answers as a replay (200) with the same gift; nothing is posted twice."""
    from django.db import connections
    from django.test import Client

    finance = city.users["finance"]
    _, token = api_token_create(actor=None, user=finance, name="platform")
    body = {"fund": books.fund.code, "amount": "66.00", "channel": "online", "campaign": books.campaign.slug,
            "donor_key": "payer-race", "donor_name": "网友"}
    for round_ in range(8):
        key = f"race-{round_}"
        gate = threading.Barrier(2)
        answers: list[tuple[int, int]] = []

        def send(body: dict[str, Any] = body, key: str = key, gate: threading.Barrier = gate,
                 answers: list[tuple[int, int]] = answers) -> None:
            try:
                gate.wait()
                resp = Client().post("/api/charity/donations", body, content_type="application/json",
                                     HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_IDEMPOTENCY_KEY=key)
                answers.append((resp.status_code, resp.json()["id"]))
            finally:
                connections.close_all()

        racers = [threading.Thread(target=send) for _ in range(2)]
        for t in racers:
            t.start()
        for t in racers:
            t.join(timeout=30)
        assert sorted(code for code, _id in answers) == [200, 201], answers
        assert answers[0][1] == answers[1][1]
    assert Donation.objects.filter(source=f"api:{finance.pk}").count() == 8
    assert Entry.objects.filter(source=f"charity.api:{finance.pk}").count() == 8
    assert not unbalanced_entries() and not balances_mismatched()
