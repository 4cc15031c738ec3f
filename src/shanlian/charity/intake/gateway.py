"""The intake gateway: `POST /api/charity/donations` for a payment platform's stream of single online gifts,
answered by an asyncio event loop instead of a Django request, in front of the whole Django site (ASGI).

Django spends about 3 ms of CPU on any API request (its middleware, Django Ninja, the token's query), which caps
two cores at a few hundred gifts a second however the gifts are committed. The gateway (`shanlian.asgi`,
served by uvicorn workers under gunicorn) takes the common case of a Giving Day (a simple online gift from a
finance officer's machine token) on its own path:

1. the request is read by uvicorn's C parser; the body checked by the API's own schema (`DonationIn`);
2. the token, the caller's roles, the fund and the campaign come from this process's memory of the last few
   seconds (`TOKEN_SECONDS`; `intake.requests.group_gift`), read in a helper thread when not remembered (the event
   loop never waits for the database);
3. the gift joins this process's group committer (intake/groupcommit.py), whose threads write the gifts of
   all waiting requests in one transaction with the batch path's checks; the loop answers 201 only after that
   COMMIT, with the same body the API gives.

**Anything else goes to Django, unchanged**: every other path and method, a request without a bearer token or
an Idempotency-Key, a body the schema refuses, a gift the group path does not take (goods, a project, a
donation point, a message, a public name), a caller the group path does not know for a finance officer, and
every gift the committer did not create (a replay, a refusal, a failed group: the direct path answers those
with its usual codes and messages in Chinese and English, and the stored gift keeps a replay single). So
the gateway only ever answers "created", and only for a gift that is committed.

What is remembered, and for how long: the token's user (with the roles resolved for it) for `TOKEN_SECONDS`, so a
revoked token, a deactivated user or a lost role stops being taken here within that time (it then gets Django's
401 or 403). The fund's and the campaign's state (open or closed, the campaign's period and pools) are read by
the committer for every group, so a closed fund refuses the next group's gifts.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.db import close_old_connections
from django.http.request import split_domain_port, validate_host
from pydantic import BaseModel, ValidationError, create_model

from shanlian.core.context import RequestMeta
from shanlian.core.middleware import credential_of

from ..api_schemas import DonationIn
from . import groupcommit
from .batch import CREATED
from .requests import NotRemembered, Recent, group_gift

log = logging.getLogger(__name__)

PATH = "/api/charity/donations"
MAX_BODY = 16 * 1024  # a gift's JSON is a few hundred bytes; anything larger is Django's to judge
TOKEN_SECONDS = 5.0
# The headers Django's middleware gives an API answer (SecurityMiddleware, XFrameOptionsMiddleware, LocaleMiddleware);
# tests/charity/test_gateway.py compares them with Django's own.
HEADERS = [
    (b"content-type", b"application/json; charset=utf-8"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"vary", b"Accept-Language"),
]

# `DonationIn`'s fields and checks as a plain pydantic model: Django Ninja's `Schema` runs every input through
# a root validator made for ORM objects, a fifth of the event loop's time per gift here. The same fields, types,
# limits and defaults, so the same bodies pass (tests/charity/test_gateway.py).
FastDonationIn: type[BaseModel] = create_model(  # type: ignore[call-overload]
    "FastDonationIn", **{name: (f.annotation, f) for name, f in DonationIn.model_fields.items()})

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]  # (Django's handler types its arguments its own way)


class IntakeGateway:
    """ASGI: single online gifts on the fast path, everything else to `app` (Django's ASGI handler)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.tokens = Recent(seconds=TOKEN_SECONDS)  # bearer token -> its user (an unknown token is never remembered)
        self._lookups: ThreadPoolExecutor | None = None
        self._committer: groupcommit.GroupCommitter | None = None
        self._wakers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Waker] = weakref.WeakKeyDictionary()
        me = weakref.ref(self)  # (the fork hook must not keep a gateway alive)
        os.register_at_fork(after_in_child=lambda: _forget_in(me()))
        self._lock = threading.Lock()
        self.fast = 0  # gifts answered here
        self.passed = 0  # donation requests handed to Django

    def waker(self, loop: asyncio.AbstractEventLoop) -> _Waker:
        found = self._wakers.get(loop)
        if found is None:
            found = self._wakers[loop] = _Waker(loop)
        return found

    def committer(self) -> groupcommit.GroupCommitter:
        """This process's group committer, asked for once (after a fork, `_forget` makes the child ask again)."""
        if self._committer is None:
            self._committer = groupcommit.committer(threads=1)
        return self._committer

    def lookups(self) -> ThreadPoolExecutor:
        """One thread for the database reads the loop must not wait for (made after any fork)."""
        with self._lock:
            if self._lookups is None:
                self._lookups = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake-lookup")
            return self._lookups

    def _forget(self) -> None:
        """After a fork: the threads and the committer stay with the parent."""
        self._lookups = None
        self._committer = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != PATH or groupcommit.mode() == "off":
            await self.app(scope, receive, send)
            return
        body, complete = await _read(receive)
        answer: bytes | None = None
        if complete and len(body) <= MAX_BODY:
            try:
                answer = await self._fast(scope, body)
            except Exception:  # noqa: BLE001 (whatever broke here, Django answers the request: a committed gift as a replay)
                log.exception("intake gateway: the fast path failed; Django takes the request")
        if answer is None:
            self.passed += 1
            await self.app(scope, _replaying(body, complete, receive), send)
            return
        self.fast += 1
        await send({"type": "http.response.start", "status": 201,
                    "headers": [*HEADERS, (b"content-length", str(len(answer)).encode())]})
        await send({"type": "http.response.body", "body": answer})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                # The committers write what is queued and close their connections.
                await asyncio.get_running_loop().run_in_executor(None, groupcommit.shutdown)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _fast(self, scope: Scope, body: bytes) -> bytes | None:
        """The 201 answer's body, or None: Django answers this request."""
        headers = dict(scope["headers"])
        auth = headers.get(b"authorization", b"")
        key = headers.get(b"idempotency-key", b"").decode("latin-1")
        if not auth.startswith(b"Bearer ") or not key or not headers.get(b"content-type", b"").startswith(b"application/json"):
            return None
        if not _host_allowed(headers.get(b"host", b"").decode("latin-1")):
            return None
        try:
            payload: Any = FastDonationIn.model_validate(json.loads(body))
        except (ValueError, ValidationError):
            return None
        loop = asyncio.get_running_loop()
        token = auth[7:].decode("latin-1").strip()
        try:
            user = self.tokens.get(("token", token), None, may_load=False)
        except NotRemembered:
            user = await loop.run_in_executor(self.lookups(), _token_user, token)
            if user is None:
                return None
            self.tokens.put(("token", token), user)
        try:
            gift = group_gift(user, payload, key, may_load=False)
        except NotRemembered:
            gift = await loop.run_in_executor(self.lookups(), _group_gift, user, payload, key)
        if gift is None:
            return None
        done: asyncio.Future[bool] = loop.create_future()
        waker = self.waker(loop)
        client = scope.get("client") or ("", 0)
        request = RequestMeta(ip=client[0] or "", user_agent=headers.get(b"user-agent", b"").decode("latin-1"), path=PATH,
                              via="api", credential=credential_of(auth.decode("latin-1"), False))
        ticket = self.committer().enqueue(actor=user, gift=gift.batch_gift(key), request=request,
                                          on_done=lambda _ticket: waker.wake(done))
        timer = loop.call_later(groupcommit.WAIT_SECONDS, _settle, done, False)  # (cheaper than asyncio.wait_for)
        woken = await done
        timer.cancel()
        if not woken:
            log.warning("intake gateway: no answer from the group committer for %s; Django takes it", key)
            return None
        outcome = ticket.result
        if outcome is None or outcome.status != CREATED:
            return None  # a replay or a refusal: Django answers it from the stored gift or with its codes
        return json.dumps(gift.created(outcome), ensure_ascii=False).encode()


class _Waker:
    """Wakes an event loop's waiting requests from the committer's thread: one call into the loop for all the
    tickets of a group (each call costs a system call and a turn of the loop), not one per ticket."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.woken: deque[asyncio.Future[bool]] = deque()
        self.scheduled = False
        self.lock = threading.Lock()

    def wake(self, done: asyncio.Future[bool]) -> None:  # in the committer's thread
        self.woken.append(done)
        with self.lock:
            if self.scheduled:
                return
            self.scheduled = True
        self.loop.call_soon_threadsafe(self.settle)

    def settle(self) -> None:  # in the loop
        with self.lock:
            self.scheduled = False
        while self.woken:
            _settle(self.woken.popleft(), True)


def _forget_in(gateway: IntakeGateway | None) -> None:
    if gateway is not None:
        gateway._forget()


def _settle(done: asyncio.Future[bool], woken: bool) -> None:
    """The request's wait ends: woken by the committer (True), or the time is up (False); whichever comes first."""
    if not done.done():
        done.set_result(woken)


def _token_user(token: str) -> Any:
    from shanlian.people.services import token_user

    close_old_connections()
    return token_user(token)


def _group_gift(user: Any, payload: DonationIn, key: str) -> Any:
    close_old_connections()
    return group_gift(user, payload, key)


_HOSTS: dict[str, bool] = {}  # Host header -> allowed (a platform sends the same one or two; bounded below)


def _host_allowed(host: str) -> bool:
    """Django's own check of the Host header (`HttpRequest.get_host`), remembered per header value."""
    known = _HOSTS.get(host)
    if known is None:
        domain, _port = split_domain_port(host)
        allowed = settings.ALLOWED_HOSTS
        if settings.DEBUG and not allowed:
            allowed = [".localhost", "127.0.0.1", "[::1]"]
        known = bool(domain) and validate_host(domain, allowed)
        if len(_HOSTS) >= 64:
            _HOSTS.clear()
        _HOSTS[host] = known
    return known


def _hosts_changed(*, setting: str, **_kwargs: Any) -> None:
    if setting in ("ALLOWED_HOSTS", "DEBUG"):
        _HOSTS.clear()


setting_changed.connect(_hosts_changed, dispatch_uid="shanlian.charity.intake.gateway.hosts")


async def _read(receive: Receive) -> tuple[bytes, bool]:
    """The request's body, reading no further once past `MAX_BODY`: (what was read, whether that is all of it)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True
        if size > MAX_BODY:
            return b"".join(chunks), False


def _replaying(body: bytes, complete: bool, receive: Receive) -> Receive:
    """A `receive` that gives Django the body already read, then (if there is more) the rest of the request."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": not complete}
        return await receive()

    return replay
