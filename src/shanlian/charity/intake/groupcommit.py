"""Group commit of single-gift requests: one transaction for the gifts that concurrent requests bring.

`POST /api/charity/donations` with one online gift per request pays, on the direct path, a transaction of
its own: BEGIN, the idempotency look-ups, the locks on the federation's cash and the fund's account, the
entry, the postings, two balance updates, two audit rows, the gift and COMMIT, with the hot account rows
locked from the first UPDATE to the COMMIT. Under a payment platform's Giving-Day stream those rows are
what every request waits for.

Here each app process has one committer thread fed by a queue. A request thread hands its checked gift
to the committer and waits. The committer takes the first gift waiting, then every other gift already
queued (and, for up to `CHARITY_GROUP_COMMIT_WINDOW` milliseconds, those still arriving) up to
`GROUP_MAX` gifts, and writes them with the batch endpoint's path (`batch.donation_batch_record`: the
checks against the database, the matching pools' room, the gift writer, each touched balance moved once,
one audit row per request with its address, user agent and token, ONE COMMIT). Only after that COMMIT does it
wake the request threads: **a gift is acknowledged only once it is committed**; a process killed before
the COMMIT acknowledged nothing, and the client's retry with the same key finds the gift or none.

While one group commits, the next one gathers: under load the groups grow by themselves, at low load a
gift waits at most the window (the window is only the extra time spent gathering before a commit).

- One committer per process and per database connection of its own; the requests of several callers
  share it, the gifts are written per caller (the batch path is per caller: source `api:<user id>`).
- **One bad gift does not fail the others.** The batch path refuses a bad gift alone; and should the
  whole group's transaction fail (a database error, a race it gave up on), every gift of the group is
  handed back to its request, which then takes the direct path (`donation_record`) on its own.
- The request does what it did before with anything but `created` or a replay: a gift the batch path
  refused is sent down the direct path, which answers exactly as before (the same codes and messages;
  the direct path may also accept it). Replays are answered from the stored gift, exactly as before.
- Idempotency stays in the database: the unique (source, external id) of the gifts and the entries.

`CHARITY_GROUP_COMMIT` (SHANLIAN_GROUP_COMMIT), configuration rather than a guess at the server: "auto" (the
default), the intake gateway groups and Django's endpoint takes the direct path; "on", Django's endpoint groups
too (for gunicorn `gthread` workers, where one process serves many requests at once; a sync worker serves one
request at a time, so its groups would always hold one gift); "off", nothing groups.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection

from shanlian.core.conf import domain_setting
from shanlian.core.context import SYSTEM, RequestMeta, current
from shanlian.core.errors import DomainError

from .batch import BatchGiftIn, BatchGiftResult, donation_batch_record

log = logging.getLogger(__name__)

GROUP_MAX = 200  # gifts per transaction (the batch path takes up to batch.BATCH_MAX)
WAIT_SECONDS = 60.0  # a request waits this long for its group; then it takes the direct path (its key keeps it single)
IDLE_CLOSE_SECONDS = 5.0  # the committer gives its database connection back after this long without gifts
# Committer threads per process (CHARITY_GROUP_COMMIT_THREADS, 0 for the caller's default): in a gthread worker 2,
# so that while one waits for its COMMIT (the WAL flush) the next group is being written; the intake gateway asks
# for 1 (its event loop needs the rest of the process's time, and one committer makes the largest groups;
# measured with bench/intake.py). Their transactions lock the shared rows (pools, accounts, tallies) in the
# same order, at their ends.


def default_threads(default: int = 2) -> int:
    configured = int(domain_setting("CHARITY_GROUP_COMMIT_THREADS") or 0)
    return configured if configured > 0 else default


def mode() -> str:
    """`CHARITY_GROUP_COMMIT` as "on", "off" or "auto"."""
    value = str(domain_setting("CHARITY_GROUP_COMMIT")).lower()
    if value in ("on", "1", "true", "yes"):
        return "on"
    return "auto" if value == "auto" else "off"


def enabled() -> bool:
    """Whether a Django request (`charity.api.donations_create`) takes the group path: only when the mode is "on"
    (set it for gthread workers that serve single gifts). The intake gateway (charity/intake/gateway.py) takes it unless
    the mode is "off"."""
    return mode() == "on"


@dataclass(eq=False)
class Ticket:
    """One request's gift on its way through a group: its answer (or None: take the direct path)."""

    actor: Any
    gift: BatchGiftIn
    request: RequestMeta = SYSTEM  # the request the gift came by: its audit row names it
    done: threading.Event | None = None  # `submit` waits on it; the gateway is woken by `on_done`
    result: BatchGiftResult | None = None
    # Called by the committer thread once the group has committed (or failed), e.g. to wake an event loop.
    on_done: Callable[[Ticket], None] | None = None


@dataclass
class Stats:
    groups: int = 0
    gifts: int = 0
    largest: int = 0
    fallbacks: int = 0


class GroupCommitter:
    """A queue, and the thread that writes what is in it one group (one transaction) at a time."""

    def __init__(self, *, window: float | None = None, group_max: int = GROUP_MAX, threads: int | None = None) -> None:
        self.window = window
        self.group_max = group_max
        self.queue: queue.Queue[Ticket | None] = queue.Queue()
        self.stats = Stats()
        self._threads: list[threading.Thread] = []
        self._wanted = threads if threads is not None else default_threads()
        self._start_lock = threading.Lock()
        self._stats_lock = threading.Lock()

    # -- the request side ------------------------------------------------------------------------

    def submit(self, *, actor: Any, gift: BatchGiftIn, timeout: float = WAIT_SECONDS) -> BatchGiftResult | None:
        """Queue a gift and wait until its group has committed (or failed). None: the request should take
        the direct path (the group failed, or took too long)."""
        done = threading.Event()
        ticket = self.enqueue(actor=actor, gift=gift, done=done)
        if not done.wait(timeout):
            log.warning("group commit: no answer after %ss for %s; taking the direct path", timeout, gift.idempotency_key)
            return None
        return ticket.result

    def enqueue(self, *, actor: Any, gift: BatchGiftIn, on_done: Callable[[Ticket], None] | None = None,
                done: threading.Event | None = None, request: RequestMeta | None = None) -> Ticket:
        """Queue a gift without waiting: once its group has committed or failed, the committer's thread sets `done`
        (`submit` waits on it) and calls `on_done(ticket)` (the intake gateway's event loop is woken this way).
        `request`: where the gift came from (by default the current request's, core.context)."""
        self._ensure_running()
        ticket = Ticket(actor=actor, gift=gift, request=request or current.get(), done=done, on_done=on_done)
        self.queue.put(ticket)
        return ticket

    def _ensure_running(self) -> None:
        if len(self._threads) == self._wanted and all(t.is_alive() for t in self._threads):
            return
        with self._start_lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            while len(self._threads) < self._wanted:
                thread = threading.Thread(target=self._run, name=f"charity-group-commit-{len(self._threads)}", daemon=True)
                thread.start()
                self._threads.append(thread)

    @property
    def threads(self) -> list[threading.Thread]:
        return list(self._threads)

    def stop(self, timeout: float = 10.0) -> None:
        """Let the committers write what is queued, close their connections and end (tests, shutdown)."""
        with self._start_lock:
            alive = [t for t in self._threads if t.is_alive()]
            for _ in alive:
                self.queue.put(None)
            for thread in alive:
                thread.join(timeout)
            self._threads = []

    # -- the committer ---------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while True:
                try:
                    first = self.queue.get(timeout=IDLE_CLOSE_SECONDS)
                except queue.Empty:
                    connection.close()  # idle: no connection held open for nothing
                    continue
                if first is None:
                    return
                group, stop = self._gather(first)
                self.commit_group(group)
                if stop:
                    return
        finally:
            connection.close()

    def _gather(self, first: Ticket) -> tuple[list[Ticket], bool]:
        group = [first]
        window = self.window if self.window is not None else float(domain_setting("CHARITY_GROUP_COMMIT_WINDOW")) / 1000
        deadline = time.monotonic() + window
        while len(group) < self.group_max:
            try:
                ticket = self.queue.get_nowait()
            except queue.Empty:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    ticket = self.queue.get(timeout=remaining)
                except queue.Empty:
                    break
            if ticket is None:
                return group, True
            group.append(ticket)
        return group, False

    def commit_group(self, group: list[Ticket]) -> None:
        """Write a group, one transaction per caller, and wake every request of it (also on failure)."""
        try:
            by_actor: dict[Any, list[Ticket]] = defaultdict(list)
            for ticket in group:
                by_actor[ticket.actor.pk].append(ticket)
            for tickets in by_actor.values():
                self._commit_one_caller(tickets)
        finally:
            for ticket in group:
                if ticket.done is not None:
                    ticket.done.set()
                if ticket.on_done is not None:
                    try:
                        ticket.on_done(ticket)
                    except Exception:  # noqa: BLE001 (a waiter that went away must not stop the others being woken)
                        log.exception("group commit: waking a request failed")

    def _commit_one_caller(self, tickets: list[Ticket]) -> None:
        _fresh_connection()
        try:
            result = donation_batch_record(actor=tickets[0].actor, gifts=[t.gift for t in tickets],
                                           requests=[t.request for t in tickets])
        except DomainError as exc:  # e.g. the caller lost the role: the direct path says so to each request
            log.info("group commit: %s gifts refused as a group (%s); each takes the direct path", len(tickets), exc.code)
            with self._stats_lock:
                self.stats.fallbacks += len(tickets)
            return
        except Exception:  # noqa: BLE001 (whatever failed, each request answers for itself on the direct path)
            log.exception("group commit: a group of %s gifts failed; each takes the direct path", len(tickets))
            with self._stats_lock:
                self.stats.fallbacks += len(tickets)
            _fresh_connection()
            return
        for ticket, answer in zip(tickets, result.gifts, strict=True):
            ticket.result = answer
        with self._stats_lock:
            self.stats.groups += 1
            self.stats.gifts += len(tickets)
            self.stats.largest = max(self.stats.largest, len(tickets))


def _fresh_connection() -> None:
    """As Django does between requests: drop a broken or too old connection (never inside a transaction: a
    committer run in a test's thread is inside the test's)."""
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()


_committer: GroupCommitter | None = None
_committer_pid = 0
_lock = threading.Lock()


def committer(threads: int | None = None) -> GroupCommitter:
    """This process's committer (a forked process gets its own: threads do not survive a fork); `threads`: how many
    committer threads it runs when this call makes it (`default_threads`)."""
    global _committer, _committer_pid
    pid = os.getpid()
    if _committer is None or _committer_pid != pid:
        with _lock:
            if _committer is None or _committer_pid != pid:
                _committer, _committer_pid = GroupCommitter(threads=default_threads(threads or 2)), pid
    return _committer


def shutdown() -> None:
    """Stop this process's committer, if it runs (tests: before the test database goes)."""
    global _committer
    with _lock:
        if _committer is not None and _committer_pid == os.getpid():
            _committer.stop()
        _committer = None
