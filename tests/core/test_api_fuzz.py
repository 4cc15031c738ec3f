"""Schemathesis over the whole API schema (/api/openapi.json), in-process against the WSGI app, with one check: no
answer is a 5xx (`not_a_server_error`), whatever a signed-in caller sends.

Callers are real users with bearer tokens: the city admin, a federation finance officer, a station worker, a volunteer
and a donor of `city`, with the charity `books` for the money endpoints. Beyond what the schema allows, every generated
case is made hostile (`_hostile_case`, a schemathesis `flatmap_case` hook): NUL bytes and control characters in
strings, huge numbers (1e20, 2**63, 17-digit amounts as strings), far dates ("0001-01-01", "9999-12-31") in date and
time strings and query parameters. Real codes and ids (the funds, the campaign, a project, a payout, a gift and its
receipt) and valid values are mixed in, so that a case gets past the 404s and the first refusals to where one hostile
value is the only thing wrong. The coverage phase adds schemathesis's own schema-invalid cases.

Deterministic (derandomized Hypothesis with a fixed seed, no example database) and bounded (MAX_EXAMPLES generated
cases per operation). One test per operation; its data is made once for it, and each request runs in a savepoint that
is rolled back, so every example sees the same rows. A failure shows the request (as curl), the caller and the last
frames of the server's traceback. Headers are left alone (a NUL byte cannot cross HTTP to the app).

    DATABASE_URL=postgres://... pytest tests/core/test_api_fuzz.py
    DATABASE_URL=postgres://... pytest tests/core/test_api_fuzz.py -k "statement"    # one operation

On PostgreSQL only, once a CI run (it is the suite's longest test, ~5 minutes): PostgreSQL is the stricter of the two
databases for every value the fuzz sends (it refuses NUL bytes, over-long strings, integers past 2**31 and numbers
past a column's precision, where SQLite stores them), so a 5xx the fuzz could raise on SQLite it raises there too.

Never under pytest-xdist (`-n`): its items share one node id, so a worker would run one operation of them all
(`serial`, which tests/conftest.py refuses under a worker; scripts/test.sh runs it after the parallel pass).
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import sys
import traceback
import zlib
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET

from shanlian.charity import services as cs
from shanlian.charity.services.payments import payment_start
from shanlian.people.services import api_token_create
from shanlian.timebank import services as ts
from tests import factories as f
from tests.charity.conftest import books  # noqa: F401 (the fixture, for the money endpoints)

# Serial: schemathesis makes one item per operation, all under one node id, and pytest-xdist would run only one of them.
pytestmark = [pytest.mark.django_db, pytest.mark.serial]
if connection.vendor != "postgresql":  # before the schema is loaded below: a skipped module costs nothing
    pytest.skip("runs once a CI run, on the stricter database (see the module's docstring)", allow_module_level=True)

ROLES = ("city_admin", "finance", "station_worker", "volunteer", "donor")
MAX_EXAMPLES = 15  # generated (fuzzing) cases per operation, besides the coverage phase's

# --- hostile values ------------------------------------------------------------------------------------

CONTROLS = ("\x00", "\x00\x00", "\x01\x02\x03", "\x08\x0b\x0c", "\x1b[2J", "\x1f\x7f", "\x85\u2028\u2029", "\r\n\t")
FAR_DATES = (
    "0001-01-01", "9999-12-31", "0001-01-01T00:00:00", "9999-12-31T23:59:59", "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59.999999-12:00",
)
HUGE_NUMBER_STRINGS = (
    "12345678901234567", "99999999999999999.99", "-12345678901234567", "1e20", "1E+20", "-1e20", "1e-20",
    "100000000000000000000", "0.00000000000000000001", "NaN", "Infinity", "-0",
)
HUGE_NUMBERS = (10**20, -(10**20), 1e20, -1e20, 2**63, -(2**63) - 1, 2**31, 12345678901234567, 1e-20)
DATE_KEYS = ("start", "end", "received_at", "registered_on", "grade_awarded_on", "date", "day", "since", "until")
AMOUNT_KEYS = ("amount", "quantity", "budget", "fee_rate", "match", "limit", "cursor", "page", "page_size")

# Known codes and ids, filled in by the `world` fixture, so that cases reach real rows.
KNOWN: dict[str, list[Any]] = {}
TOKENS: dict[str, str] = {}


def _with_control(value: str) -> st.SearchStrategy[str]:
    def put(args: tuple[str, int]) -> str:
        bad, where = args
        at = (len(value) * where) // 2
        return value[:at] + bad + value[at:]

    return st.tuples(st.sampled_from(CONTROLS), st.integers(0, 2)).map(put)


def _hostile(key: str, value: Any) -> st.SearchStrategy[Any]:
    """Values a caller must not be able to crash the server with, in place of `value` (under `key`)."""
    if key in DATE_KEYS or key.endswith(("_at", "_on")):
        return st.one_of(st.sampled_from(FAR_DATES), _with_control(value if isinstance(value, str) else ""))
    if isinstance(value, str):
        if key in AMOUNT_KEYS:
            return st.one_of(st.sampled_from(HUGE_NUMBER_STRINGS), _with_control(value))
        return st.one_of(_with_control(value), st.sampled_from(FAR_DATES), st.sampled_from(HUGE_NUMBER_STRINGS))
    if isinstance(value, bool) or value is None:
        return st.sampled_from(("\x00", *HUGE_NUMBERS, *FAR_DATES))
    if isinstance(value, int | float):
        return st.one_of(st.sampled_from(HUGE_NUMBERS), st.sampled_from(HUGE_NUMBER_STRINGS))
    return st.just(value)


def _mostly() -> st.SearchStrategy[bool]:
    """True three times in four; Hypothesis shrinks it to True."""
    return st.integers(0, 3).map(lambda i: i < 3)


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths to the scalars in a JSON-like value (the value itself when it is one)."""
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, (*path, k))]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, (*path, i))]
    return [path]


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def _put(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    _get(value, path[:-1])[path[-1]] = new
    return value


def _key(path: tuple[Any, ...]) -> str:
    """The name a leaf is under: its own key, or its list's."""
    named = [step for step in path if isinstance(step, str)]
    return named[-1].lower() if named else ""


@st.composite
def _with_known(draw: st.DrawFn, value: Any, optional: tuple[str, ...]) -> Any:
    """`value` with, mostly, real codes and ids and valid values in place of generated ones (so that a case gets past the
    404s and the first refusals, to where one hostile value is the only thing wrong), and the `optional` fields that
    were left out mostly added."""
    for path in _leaves(value):
        known = KNOWN.get(_key(path))
        if known and path and draw(_mostly()):
            value = _put(value, path, draw(st.sampled_from(known)))
    if isinstance(value, dict):
        for name in optional:
            if name not in value and name.lower() in KNOWN and draw(_mostly()):
                value[name] = draw(st.sampled_from(KNOWN[name.lower()]))
    return value


def _fields(raw: dict[str, Any], operation: Any) -> dict[str, tuple[str, ...]]:
    """The names of an operation's query parameters and top-level JSON body fields, from the raw schema."""
    spec = raw["paths"][operation.path][operation.method.lower()]
    body = spec.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    ref = body.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        body = raw["components"]["schemas"][ref.rsplit("/", 1)[1]]
    query = tuple(p["name"] for p in spec.get("parameters", []) if p["in"] == "query")
    return {"path": (), "query": query, "body": tuple(body.get("properties", {}))}


def _authorize(case: schemathesis.Case, role: str) -> None:
    if case.headers is None:
        case.headers = {}
    case.headers["Authorization"] = f"Bearer {TOKENS[role]}"


def _hostile_case(context: schemathesis.HookContext, case: schemathesis.Case) -> st.SearchStrategy[schemathesis.Case]:
    """Every generated case: one of the callers; known codes, ids and values mixed in; then hostile values in one or two
    of its body, query and path values, or (one time in five) control characters in every string of it."""
    fields = _fields(case.operation.schema.raw_schema, case.operation)

    @st.composite
    def build(draw: st.DrawFn) -> schemathesis.Case:
        _authorize(case, draw(st.sampled_from(ROLES)))
        parts: dict[str, Any] = {}
        if case.media_type == "application/json" and case.body is not NOT_SET:
            parts["body"] = draw(_with_known(copy.deepcopy(case.body), fields["body"]))
        parts["query"] = draw(_with_known(dict(case.query or {}), fields["query"]))
        parts["path"] = draw(_with_known(dict(case.path_parameters or {}), ()))
        leaves = [(name, leaf) for name, value in parts.items() for leaf in _leaves(value) if name == "body" or leaf]
        if leaves and draw(st.integers(0, 4)) == 4:
            for name, leaf in leaves:
                if isinstance(_get(parts[name], leaf), str):
                    parts[name] = _put(parts[name], leaf, draw(_with_control(_get(parts[name], leaf))))
        elif leaves:
            for name, leaf in draw(st.lists(st.sampled_from(leaves), min_size=1, max_size=2, unique=True)):
                parts[name] = _put(parts[name], leaf, draw(_hostile(_key(leaf), _get(parts[name], leaf))))
        case.path_parameters = parts["path"]
        case.query = parts["query"]
        if "body" in parts:
            case.body = parts["body"]
        return case

    return build()


# --- fixtures ------------------------------------------------------------------------------------------


@pytest.fixture
def world(city, books):  # noqa: F811 (the imported fixture)
    """Tokens for the callers and the known codes and ids, plus a gift with its receipt and a payout."""
    TOKENS.clear()
    for role in ROLES:
        TOKENS[role] = api_token_create(actor=None, user=city.users[role], name=f"fuzz {role}")[1]
    gift = cs.donation_record(actor=city.users["station_worker"], fund=books.fund, amount="520.00", channel="transfer",
                              donor_name="周敏", show_name=True, received_at=dt.datetime.now(dt.UTC))
    receipt = cs.receipt_issue(actor=city.users["finance"], donation=gift)
    payout = cs.payout_request(actor=city.users["station_worker"], fund=books.fund, project=books.project, title="三月长者饭堂",
                               payee="北京街长者饭堂", lines=[("餐费补贴", "1200.00")])
    # The volunteer's and the donor's journeys (/api/timebank, /api/give): a registered volunteer, a payment.
    station = city.stations["北京街"]
    volunteer = ts.volunteer_register(actor=city.users["volunteer"], person=city.users["volunteer"].person, station=station)
    intent = payment_start(campaign=books.campaign, fund=books.fund, amount="20.00", donor_name="周敏", show_name=False,
                           donor_user=city.users["donor"], idempotency_key="fuzz-pay")
    now = timezone.localtime().isoformat()
    KNOWN.clear()
    KNOWN.update({
        "fund": [books.fund.code, books.other_fund.code], "code": [books.fund.code, books.other_fund.code],
        "campaign": [books.campaign.slug], "project": [books.project.pk], "point": [books.point.pk],
        "channel": ["cash", "transfer", "online", "goods"], "amount": ["100.00", "0.01"],
        "division_id": [d.pk for d in (city.city, city.streets["北京街"], city.communities["盐运西"])],
        "parent_id": [city.city.pk, city.streets["北京街"].pk],
        "organization_id": [city.orgs["启明"].pk, city.orgs["慈善会"].pk],
        "station_id": [city.stations["北京街"].pk], "person_id": [city.people["陈秀英"].pk],
        "payout_id": [payout.pk], "donation_id": [gift.pk], "receipt_id": [receipt.pk],
        "field": ["phone", "resident_id"], "status": ["requested", "approved"],
        # valid values for the other fields, so that one hostile value is the only thing wrong with a request
        "name": ["越秀区阳光社会工作服务中心"], "kind": ["association", "service_institution"],
        "credit_code": [f.make_credit_code(seq=4242)], "registered_on": ["2020-01-01"], "real_name": ["张三"],
        "resident_id": [f.make_resident_id("440104", seq=4242)], "phone": ["13800138000"], "gender": ["F", "M"],
        "donor_name": ["周敏"], "donor_key": ["wx-0001"], "message": ["加油"], "received_at": [now],
        "idempotency_key": ["fuzz-1"], "title": ["三月长者饭堂"], "payee": ["北京街长者饭堂"], "item": ["餐费补贴", 1],
        "note": ["同意"], "payment_reference": ["ICBC-20260301-01"], "reason": ["抬头有误"], "quantity": ["20", 1],
        "unit": ["箱"], "start": ["2025-01-01"], "end": ["2026-12-31"], "limit": [50], "page": [1], "page_size": [20],
        "level": ["street"], "q": ["北京"], "near": [True],
        "slug": [books.campaign.slug], "ref": [intent.ref], "provider": ["fakepay", "phone_password"],
        "password": [f.PASSWORD], "client": ["wechat-miniprogram"], "station": [station.pk], "skills": [["elderly_care"]],
        "availability": [["sat_am"]], "service_areas": [[city.communities["盐运西"].pk]], "to": ["pool", volunteer.number],
        "number": [volunteer.number], "relation": ["parent"], "period_start": ["2025-01-01"], "period_end": ["2026-01-01"],
    })
    yield
    TOKENS.clear()
    KNOWN.clear()


@pytest.fixture
def server_errors(caplog):
    """What went wrong behind each 5xx answer of the current request: the last frames and the exception."""
    caught: list[str] = []

    def note(sender: Any, request: Any = None, **kwargs: Any) -> None:
        exc = sys.exc_info()[1]
        if exc is not None:
            frames = traceback.extract_tb(exc.__traceback__)
            ours = [fr for fr in frames if "/shanlian/" in fr.filename][-3:]
            shown = ours + [fr for fr in frames[-2:] if fr not in ours]
            lines = traceback.format_list(shown) + traceback.format_exception_only(exc)
            caught.append("".join(lines).rstrip())

    signals.got_request_exception.connect(note)
    # As Django's test client does: a request must not close the test's connection (it is inside the test's transaction).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    caplog.set_level(logging.ERROR, logger="django.request")  # not a warning for each of the many 4xx answers
    yield caught
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
    signals.got_request_exception.disconnect(note)


def _load_schema() -> schemathesis.BaseSchema:
    from shanlian.wsgi import application

    config = schemathesis.Config.from_dict({
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none",
                       "allow-x00": True, "with-security-parameters": False},
        # A fixed seed: still deterministic, but each operation has its own random stream (derandomize alone gives
        # every operation the same one, as they share the test function).
        "seed": 20260301,
        "phases": {
            "stateful": {"enabled": False},
            "coverage": {"unexpected-methods": []},
            # schema-valid cases made hostile by `_hostile_case` (the coverage phase has the schema-invalid ones)
            "fuzzing": {"generation": {"mode": "positive"}},
        },
    })
    loaded = schemathesis.openapi.from_wsgi("/api/openapi.json", application, config=config)
    loaded.hook("flatmap_case")(_hostile_case)
    return loaded


# Loaded when the module is collected (one test per operation). `schemathesis.pytest.from_fixture` would make it
# one test with the fixtures made once, but it fails on pytest 9.2 (it sets `Node._nodeid`, which is gone).
schema = _load_schema()


# --- the test ------------------------------------------------------------------------------------------


def _caller(case: schemathesis.Case) -> str:
    sent = case.headers.get("Authorization", "")
    return next((role for role, token in TOKENS.items() if sent == f"Bearer {token}"), "?")


@schema.parametrize()
@settings(derandomize=True, database=None, deadline=None, max_examples=MAX_EXAMPLES, suppress_health_check=list(HealthCheck))
def test_no_server_error(case, world, server_errors):
    meta = case.meta
    if meta is not None and meta.phase.name != "fuzzing":
        # The schema's examples and the coverage phase's cases (made when the module is collected, before the data):
        # a caller, and real rows behind the path unless the path is what the case is about.
        _authorize(case, ROLES[zlib.crc32(repr((case.path_parameters, case.query, case.body)).encode()) % len(ROLES)])
        if getattr(meta.phase.data, "parameter_location", None) != "path":
            case.path_parameters = {k: KNOWN.get(k.lower(), [v])[0] for k, v in case.path_parameters.items()}
    server_errors.clear()
    with transaction.atomic():  # a savepoint: whatever the request wrote (or broke) is undone
        response = case.call()
        transaction.set_rollback(True)
    try:
        case.validate_response(response, checks=[not_a_server_error])
    except BaseException as exc:
        exc.add_note(f"Caller: {_caller(case)} (a bearer token of the `city` user of that name)")
        for cause in server_errors:
            exc.add_note("Server traceback (last frames):\n" + cause)
        raise
