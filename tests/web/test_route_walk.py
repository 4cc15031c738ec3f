"""Every URL pattern of the site and every operation of the API, walked for every role.

The routes come from the URLconf (`get_resolver()`, recursively) and from the API's OpenAPI schema, never from a
list written here, so a new route is walked the day it is added. The walkers are anonymous, the eleven users of
the `city` fixture, the time bank's second volunteer and the superuser. Each asks every route:

* GET;
* POST: a page gets an empty form, from everybody when the route takes POST (one of its pages posts to it, a GET
  is refused by method, or one probing POST is answered otherwise than by the page again), else from those whose
  GET was refused (a refusal must hold for POST too); an API operation gets a body with each required field of the
  right type but no meaning, and from anonymous and the superuser also no body and a body that is not JSON;
* garbage (`GARBAGE`): whoever got a page asks it again with every field its forms and its links name set to it,
  as a query string and (when the route takes POST) as a form; whoever reached an API operation, in every
  free-text query parameter and body field.

And:

* nobody ever gets a 500 (nor a response whose content fails while it is read);
* anonymous gets a 302 to the login page (the admin's pages: to the admin's login page), or from the API a 401
  whose JSON says `not_authenticated`; the public pages (disclosure, the donor's pages, receipt and certificate
  checks, the login page, the API's schema) answer without asking for a login;
* a signed-in user is never sent to the login page;
* path parameters are filled with real objects of the fixtures (`BINDINGS` says which object each parameter name
  stands for and who may see it): whoever is out of the object's scope is refused (403, 404, 405, a 302 to the
  time bank's registration, or from the API a 400 for a body refused before the operation ran), never given the
  object; at least one walker in scope reaches it (else the mapping would test nothing);
* the same route with every object parameter naming nothing (an id no row has), asked by anonymous and by one
  walker who reached the real object, is refused.

A path parameter whose name has no entry in `BINDINGS` (or `BY_NAMESPACE`, `BY_ROUTE`) fails the walk, so no new
route escapes it.

Skipped, with the reason: Django's admin and django-ninja's own pages (the schema, its viewer, the API's root)
are the same for every caller, so anonymous and the superuser ask them, with GET only. `STATIC_URL` is served
by WhiteNoise's middleware, not by a URL pattern: there is nothing of it in the URLconf to walk.

The fixtures are built once for the module inside a transaction rolled back at its end; every request runs in a
savepoint rolled back after it, and the client's cookies are put back, so a POST that approves, revokes or logs
out changes nothing for the next request.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils import timezone
from django.utils.regex_helper import normalize

import shanlian
from shanlian.api import api
from shanlian.charity import payments as pay
from shanlian.charity import services as cs
from shanlian.charity.models import DisclosureReport
from shanlian.charity.reports import reports_generate
from shanlian.charity.services import payments as pay_services
from shanlian.evaluation.services import framework_publish, framework_save
from shanlian.ledger import sealing
from shanlian.people.models import RoleGrant
from shanlian.places.models import Division
from shanlian.timebank import services as ts
from shanlian.timebank.models import CatalogItem, QuizQuestion
from tests import conftest as city_conftest
from tests.charity import conftest as charity_conftest
from tests.evaluation.conftest import BANDS_100, small_tree
from tests.timebank import conftest as timebank_conftest
from tests.timebank.test_services import _late
from tests.web import (
    route_walk_capacity,
    route_walk_cases,
    route_walk_grading,
    route_walk_grants,
    route_walk_groupwork,
    route_walk_resources,
    route_walk_satisfaction,
    route_walk_supervision,
    route_walk_wishes,
)

EVALUATION_PARTS = {"grading": route_walk_grading, "capacity": route_walk_capacity, "supervision": route_walk_supervision,
                    "satisfaction": route_walk_satisfaction, "resources": route_walk_resources, "cases": route_walk_cases,
                    "groupwork": route_walk_groupwork, "wishes": route_walk_wishes}

# -- who walks -----------------------------------------------------------------------------------------

CITY_ROLES = ("city_admin", "district_admin", "street_officer", "agency_manager", "station_worker", "other_worker",
              "finance", "expert", "volunteer", "donor", "nobody")
# `mum` is the time bank's second volunteer (tests/timebank/conftest.py): another volunteer's sign-up or
# redemption is out of her scope. `root` is the superuser the fixtures' roles are granted by: in scope of
# everything, and the admin user.
# `group` manages a community group that proposes in the micro-venture round (tests/web/route_walk_grants.py).
WALKERS = ("anonymous", *CITY_ROLES, "mum", "group", *(w for p in EVALUATION_PARTS.values() for w in p.WALKERS),
           "root")
SIGNED_IN = frozenset(WALKERS) - {"anonymous"}

# -- who may see what: a path parameter's name → the object it is filled with ------------------------------


@dataclass(frozen=True)
class Binding:
    """What a path parameter stands for in the walk.

    `value(site, route)` is the real value. `in_scope` are the walkers who may get the object (None: it is
    public, to everyone, for the reason in `why`); everybody else must be refused. `missing` is a value that
    names no object (None: the parameter is not an object but a word the route takes, e.g. a field name)."""

    value: Callable[[Site, Route], Any]
    in_scope: frozenset[str] | None
    missing: Any
    why: str


def staff(*names: str) -> frozenset[str]:
    return frozenset(names) | {"root"}


NO_ID = 2_000_000_000  # fits a 32-bit integer column; no fixture row has it
# The 人民街 fund (books.other_fund, custodian 越秀区慈善会, station run by 启明): its custodian's finance officer,
# the agency running its station, the district and the city see it; the 北京街 station and street do not.
RMJ_FUND = staff("city_admin", "district_admin", "agency_manager", "finance")
# The time bank's 北京街 station (bank fixture): its social worker and the agency organise; volunteers take part.
BJJ_TIMEBANK = staff("station_worker", "agency_manager", "volunteer", "mum")
# The 北京街 fund's micro-venture round: the district and city, the street, the station and its agency, and the
# custodian's finance officer run it; 小何 (volunteer) and her mother live in 北京街's 盐运西 and take part.
ROUND_STAFF = staff("city_admin", "district_admin", "street_officer", "agency_manager", "station_worker", "finance")
BJJ_RESIDENTS = frozenset({"volunteer", "mum"})
APPLICANT = Binding(lambda s, r: s.grants.proposal.pk, staff("group"), NO_ID, "the group's own proposal: its manager")

BINDINGS: dict[str, Binding] = {
    "organization_id": Binding(
        lambda s, r: s.city.orgs["同心"].pk, None, NO_ID,
        "the registry of social organizations is open to every signed-in user (orgs.selectors.organization_get)"),
    "station_id": Binding(
        lambda s, r: s.city.stations["石牌街"].pk, staff("city_admin", "other_worker"), NO_ID,
        "天河's 石牌街 station: its own worker and the city; not 越秀's district, street, agency, station or federation"),
    "person_id": Binding(
        lambda s, r: s.city.people["张建国"].pk, staff("city_admin", "other_worker"), NO_ID,
        "张建国 lives in 天河's 东兴 community: the 石牌街 worker and the city see him"),
    "field": Binding(lambda s, r: "phone", None, None, "a field name (people.selectors.SENSITIVE_FIELDS), not an object"),
    "grant_id": Binding(
        lambda s, r: s.grant.pk, staff("city_admin"), NO_ID,
        "the 石牌街 worker's role grant (天河): only the city's administrator manages it, not 越秀's"),
    "federation_id": Binding(
        lambda s, r: s.city.orgs["慈善会"].pk, staff("city_admin", "district_admin", "finance"), NO_ID,
        "越秀区慈善会: its finance officer and the 越秀 and city administrators see its compliance"),
    "payout_id": Binding(lambda s, r: s.payout.pk, RMJ_FUND, NO_ID, "a payout of the 人民街 fund"),
    "attachment_id": Binding(lambda s, r: s.attachment.pk, RMJ_FUND, NO_ID, "that payout's attachment"),
    "donation_id": Binding(lambda s, r: s.gift.pk, RMJ_FUND, NO_ID, "a gift to the 人民街 fund"),
    "receipt_id": Binding(lambda s, r: s.receipt.pk, RMJ_FUND, NO_ID, "that gift's receipt (issued by 慈善会)"),
    "provider": Binding(lambda s, r: pay.FakePay.name, None, None, "a payment provider's name, not an object"),
    "ref": Binding(
        lambda s, r: s.intent.ref, None, "pi_" + "0" * 32,
        "a paid online gift's ref: its link is the key to its pages (charity/views_give.py)"),
    "slug": Binding(lambda s, r: s.books.campaign.slug, None, "no-such-campaign", "the open Giving-Day campaign (public)"),
    "project_id": Binding(lambda s, r: s.books.project.pk, None, NO_ID, "the 北京街 fund's project (public disclosure)"),
    "report_id": Binding(lambda s, r: s.report.pk, None, NO_ID, "a published disclosure report (public)"),
    "activity_id": Binding(lambda s, r: s.bank.activity.pk, BJJ_TIMEBANK, NO_ID, "the 北京街 station's activity"),
    "shift_id": Binding(lambda s, r: s.bank.now_shift.pk, BJJ_TIMEBANK, NO_ID, "a shift of that activity"),
    "signup_id": Binding(lambda s, r: s.signup.pk, staff("volunteer"), NO_ID, "小何's (the volunteer's) own sign-up"),
    "item_id": Binding(lambda s, r: s.item.pk, staff("volunteer", "mum"), NO_ID, "a catalog item of the volunteers' station"),
    "redemption_id": Binding(
        lambda s, r: s.redemption.pk, staff("volunteer", "station_worker", "agency_manager"), NO_ID,
        "小何's redemption of a 北京街 item: hers, and her station's to hand over"),
    "record_id": Binding(
        lambda s, r: s.hours.pk, staff("station_worker", "agency_manager"), NO_ID,
        "小何's hours waiting for the 北京街 organizer"),
    "division_id": Binding(
        lambda s, r: s.city.communities["东兴"].pk, None, NO_ID, "divisions are open to every signed-in user (places.selectors)"),
    "question_id": Binding(
        lambda s, r: s.question.pk, staff("station_worker", "agency_manager"), NO_ID,
        "a quiz question of the 北京街 station's own bank: its staff keep it (the city bank is the city admin's)"),
    "seq": Binding(lambda s, r: s.seal.seq, None, NO_ID, "a published seal of the ledger (public, by its number)"),
    "framework_id": Binding(lambda s, r: s.framework.pk, staff("city_admin"), NO_ID,
                            "a draft indicator framework of the city: its administrators (published ones: anyone signed in)"),
    # The micro-venture round of the 北京街 fund (route_walk_grants.py), in execution now.
    "round_id": Binding(lambda s, r: s.grants.round.pk, ROUND_STAFF, NO_ID, "the 北京街 fund's round: those who run it"),
    "need_id": Binding(lambda s, r: s.grants.need.pk, BJJ_RESIDENTS, NO_ID,
                       "a need of that round: residents of 北京街 support it (their own or another's)"),
    "proposal_id": Binding(lambda s, r: s.grants.proposal.pk, ROUND_STAFF, NO_ID, "the group's proposal: the round's staff"),
    "assignment_id": Binding(lambda s, r: s.grants.assignment.pk, staff("expert"), NO_ID, "the walker expert's own review"),
    "result_id": Binding(lambda s, r: s.grants.result.pk, ROUND_STAFF, NO_ID, "the proposal's result"),
    "agreement_id": Binding(lambda s, r: s.grants.agreement.pk, ROUND_STAFF | {"group"}, NO_ID,
                            "its grant agreement: the round's staff and the applicant's manager"),
    "tranche_id": Binding(lambda s, r: s.grants.tranche.pk, ROUND_STAFF, NO_ID, "the agreement's advance, requested"),
    "evidence_id": Binding(lambda s, r: s.grants.evidence.pk, ROUND_STAFF, NO_ID, "the group's evidence of milestone 1"),
    "change_id": Binding(lambda s, r: s.grants.change.pk, ROUND_STAFF | {"group"}, NO_ID, "the group's budget change, waiting"),
    "service_project_id": Binding(lambda s, r: s.grants.service_project.pk, ROUND_STAFF | {"group"}, NO_ID,
                                  "the registry's entry the agreement made: staff of its area and fund, and its lead group"),
    "progress_id": Binding(lambda s, r: s.grants.progress.pk, ROUND_STAFF | {"group"}, NO_ID, "a progress report of that project"),
    "photo_id": Binding(lambda s, r: s.grants.photo.pk, ROUND_STAFF | {"group"}, NO_ID, "that report's photo"),
    "plan_id": Binding(lambda s, r: s.grants.plan.pk, ROUND_STAFF | {"group"}, NO_ID, "the project's brand cultivation plan"),
}
# The same name for different things in different places: (namespace, name), looked up before BINDINGS.
FUND = Binding(lambda s, r: s.books.other_fund.code, RMJ_FUND, "no-such-fund", "the 人民街 fund, by its code")
BY_NAMESPACE: dict[tuple[str, str], Binding] = {
    ("charity", "code"): FUND,
    ("api", "code"): FUND,
    ("grants_public", "round_id"): Binding(lambda s, r: s.grants.round.pk, None, NO_ID, "the round's public page"),
    ("grants_public", "service_project_id"): Binding(lambda s, r: s.grants.service_project.pk, None, NO_ID,
                                                     "the project's public page"),
    ("evaluation_public", "framework_id"): Binding(lambda s, r: s.published_framework.pk, None, NO_ID,
                                                   "a published framework's public page"),
    ("public", "code"): Binding(lambda s, r: s.books.fund.code, None, "no-such-fund", "the 北京街 fund's public page"),
    ("timebank", "code"): Binding(lambda s, r: s.certificate.code, staff("volunteer"), "NOSUCHCODE",
                                  "小何's service certificate: the PDF is hers alone"),
    ("admin", "object_id"): Binding(lambda s, r: admin_object_id(r), None, None, "the first row of the admin page's model"),
    ("admin", "id"): Binding(lambda s, r: s.users["root"].pk, None, None, "a user (the admin's password form)"),
    ("admin", "app_label"): Binding(lambda s, r: "charity", None, None, "an app the admin lists"),
    ("admin", "url"): Binding(lambda s, r: "no-such-page/", None, None, "the admin's catch-all"),
}
# And one route's own meaning, looked up first: (route name, name).
RESIDENT_ROUND = Binding(lambda s, r: s.grants.round.pk, BJJ_RESIDENTS, NO_ID,
                         "the 北京街 round, on a resident's pages: residents of 北京街 take part (staff do not)")
BY_ROUTE: dict[tuple[str, str], Binding] = {
    **{(name, "round_id"): RESIDENT_ROUND for name in (
        "grants:resident_round", "grants:need_new", "grants:vote", "grants:need_support", "POST /api/grants/rounds/{round_id}/needs",
        "POST /api/grants/rounds/{round_id}/needs/{need_id}/support", "GET /api/grants/rounds/{round_id}/ballot",
        "PUT /api/grants/rounds/{round_id}/ballot")},
    # The group's own proposal on its manager's pages; the round it proposed in.
    **{(name, "proposal_id"): APPLICANT for name in (
        "grants:proposal", "grants:proposal_edit", "grants:proposal_submit", "grants:proposal_withdraw",
        "PUT /api/grants/proposals/{proposal_id}", "POST /api/grants/proposals/{proposal_id}/submit",
        "POST /api/grants/proposals/{proposal_id}/withdraw")},
    **{(name, "round_id"): Binding(lambda s, r: s.grants.round.pk, staff("group", "agency_manager", "tongxin"), NO_ID,
                                   "a round any organization's manager may propose in (the group; 启明; 同心)")
       for name in ("grants:proposal_new", "POST /api/grants/rounds/{round_id}/proposals")},
    # The public API of rounds and projects, as the public pages.
    **{(name, "round_id"): Binding(lambda s, r: s.grants.round.pk, None, NO_ID, "the round's public data")
       for name in ("GET /api/grants/rounds/{round_id}", "GET /api/grants/rounds/{round_id}/results")},
    ("GET /api/grants/projects/{service_project_id}", "service_project_id"): Binding(
        lambda s, r: s.grants.service_project.pk, None, NO_ID, "the project's public data"),
    ("public:receipt_verify", "code"): Binding(
        lambda s, r: s.receipt.verification_code, None, "NOSUCHCODE", "a receipt's verification code (anyone may check it)"),
    ("timebank:certificate_verify", "code"): Binding(
        lambda s, r: s.certificate.code, None, "NOSUCHCODE", "a certificate's code (anyone may check it, name masked)"),
    ("GET /api/give/gifts/{donation_id}", "donation_id"): Binding(
        lambda s, r: s.intent.donation_id, staff("donor") - {"root"}, NO_ID, "the donor's own online gift"),
    ("GET /api/give/gifts/{donation_id}/proof", "donation_id"): Binding(
        lambda s, r: s.intent.donation_id, staff("donor") - {"root"}, NO_ID, "the donor's own gift's ledger proof"),
    ("GET /api/give/gifts/{donation_id}/receipt.pdf", "donation_id"): Binding(
        lambda s, r: s.intent.donation_id, staff("donor") - {"root"}, NO_ID, "the donor's own gift's receipt (full name)"),
    ("GET /api/timebank/me/certificates/{code}", "code"): Binding(
        lambda s, r: s.certificate.code, staff("volunteer") - {"root"}, "NOSUCHCODE", "小何's own service certificate"),
    ("GET /api/timebank/me/certificates/{code}/pdf", "code"): Binding(
        lambda s, r: s.certificate.code, staff("volunteer") - {"root"}, "NOSUCHCODE", "小何's own certificate as PDF"),
    ("give:gift_receipt", "ref"): Binding(
        lambda s, r: s.intent.ref, staff("donor") - {"root"}, "pi_" + "0" * 32,
        "the receipt PDF of a gift carries the donor's full name: the donor's alone"),
    ("admin:view_on_site", "content_type_id"): Binding(
        lambda s, r: ContentType.objects.get_for_model(Division).pk, None, None, "a content type"),
    ("admin:view_on_site", "object_id"): Binding(lambda s, r: s.city.city.pk, None, None, "a division"),
}
for _part in EVALUATION_PARTS.values():  # the evaluation parts name their own objects (tests/web/route_walk_*.py)
    if hasattr(_part, "bindings"):
        _part.bindings(Binding, staff, NO_ID)
    _taken = set(BINDINGS) & set(_part.BINDINGS) - {k for k, v in _part.BINDINGS.items() if BINDINGS.get(k) is v}
    assert not _taken, f"{_part.__name__} rebinds {_taken}: name its path parameters apart"
    BINDINGS.update(_part.BINDINGS)
    BY_NAMESPACE.update(_part.BY_NAMESPACE)
    BY_ROUTE.update(_part.BY_ROUTE)


def binding(route: Route, name: str) -> Binding:
    found = BY_ROUTE.get((route.name, name)) or BY_NAMESPACE.get((route.namespace, name)) or BINDINGS.get(name)
    if found is None:
        pytest.fail(f"{route}: the path parameter {name!r} is not mapped to an object in BINDINGS (test_route_walk.py); "
                    "say which fixture object it names and who may see it", pytrace=False)
    return found


def admin_object_id(route: Route) -> str:
    match = re.match(r"admin/(\w+)/(\w+)/", route.path)
    assert match, route.path
    model = apps.get_model(match.group(1), match.group(2))
    pk = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
    return str(pk if pk is not None else NO_ID)


# -- the routes ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    kind: str  # "page", "admin" (Django's admin) or "api" (an OpenAPI operation)
    name: str  # "charity:payout_detail"; an API operation "POST /api/…"; a pattern with no name its path
    namespace: str
    path: str  # readable: "charity/payouts/<int:payout_id>/", "/api/charity/payouts/{payout_id}"
    params: tuple[str, ...]
    parts: tuple[Any, ...] = ()  # pages and admin: the pattern of each level of the URLconf
    method: str = ""  # API: the operation's method
    callback: Any = field(default=None, compare=False, hash=False)
    operation: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __str__(self) -> str:
        return self.name if self.kind == "api" else f"{self.name} ({self.path})"


def _patterns(resolver: URLResolver, parts: tuple[Any, ...] = (), namespaces: tuple[str, ...] = ()) -> Iterator[tuple]:
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p, (*parts, p.pattern), (*namespaces, p.namespace) if p.namespace else namespaces)
        else:
            assert isinstance(p, URLPattern)
            yield (*parts, p.pattern), namespaces, p


def _readable(parts: tuple[Any, ...]) -> str:
    return "".join(str(p) for p in parts)


def _schema_path(conf_path: str) -> str:
    """api/people/<person_id>/reveal (ninja's URLconf pattern) → /api/people/{person_id}/reveal (its OpenAPI path)."""
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", conf_path)


SCHEMA = api.get_openapi_schema()


def url_routes() -> list[Route]:
    """Every pattern of the URLconf but the API's operations (walked from the schema, `api_routes`)."""
    out = []
    for parts, namespaces, p in _patterns(get_resolver()):
        path = _readable(parts)
        namespace = namespaces[0] if namespaces else ""
        if namespace == "api" and _schema_path(path) in SCHEMA["paths"]:
            continue
        params = tuple(n for part in parts for n in part.regex.groupindex)
        name = ":".join((*namespaces, p.name)) if p.name else path
        out.append(Route("admin" if namespace == "admin" else "page", name, namespace, path, params, parts, callback=p.callback))
    return out


def api_routes() -> list[Route]:
    out = []
    for path, operations in SCHEMA["paths"].items():
        for method, op in operations.items():
            params = tuple(re.findall(r"{(\w+)}", path))
            out.append(Route("api", f"{method.upper()} {path}", "api", path, params, method=method.upper(), operation=op))
    return out


URL_ROUTES = url_routes()
PAGE_ROUTES = [r for r in URL_ROUTES if r.kind == "page"]
ADMIN_ROUTES = [r for r in URL_ROUTES if r.kind == "admin"]
API_ROUTES = api_routes()

# Pages that need no login: the front door and its code box, the disclosure pages and the donor's pages (their
# modules say so) but the donor's own list, the certificate check, the login page, signing up and resetting a
# password, what it takes to leave or to change the language, and
# the API's schema, its viewer and django-ninja's root (a 404 that only names the docs).
PUBLIC_NAMESPACES = {"public", "give", "grants_public", "evaluation_public", "wishes_public"}
LOGIN_IN_PUBLIC_NAMESPACES = {"give:mine"}
NINJA_PAGES = {"api:openapi-json", "api:openapi-view", "api:api-root"}
PUBLIC_NAMES = {"login", "logout", "set_language", "timebank:certificate_verify", "web:home", "web:verify", "accounts:signup",
                "accounts:reset", "favicon", *NINJA_PAGES}
ADMIN_OPEN = {"admin:login", "admin:logout"}


def is_public(route: Route) -> bool:
    if route.kind == "api":  # an operation the schema declares without security (signing in)
        return not route.operation.get("security")
    if route.kind != "page" or route.name in LOGIN_IN_PUBLIC_NAMESPACES:
        return False
    return route.namespace in PUBLIC_NAMESPACES or route.name in PUBLIC_NAMES


def _fill(part: Any, values: dict[str, Any]) -> str:
    if isinstance(part, RoutePattern):
        return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(part.converters[m.group(1)].to_url(values[m.group(1)])), str(part))
    assert isinstance(part, RegexPattern)
    template, _names = normalize(part.regex.pattern)[0]
    return template % {k: str(v) for k, v in values.items()}


def build_url(route: Route, values: dict[str, Any]) -> str:
    if route.kind == "api":
        return re.sub(r"{(\w+)}", lambda m: quote(str(values[m.group(1)]), safe=""), route.path)
    url = "/" + "".join(_fill(part, values) for part in route.parts)
    assert resolve(url).func is route.callback, f"{url} does not lead to {route}"
    return url


# -- the fixtures, once for the module ----------------------------------------------------------------------


@dataclass
class Site:
    city: Any
    books: Any
    bank: Any
    users: dict[str, Any]
    gift: Any = None
    receipt: Any = None
    payout: Any = None
    attachment: Any = None
    intent: Any = None
    report: Any = None
    grant: Any = None
    certificate: Any = None
    signup: Any = None
    item: Any = None
    redemption: Any = None
    hours: Any = None
    seal: Any = None
    question: Any = None
    grants: Any = None
    grading: Any = None
    capacity: Any = None
    supervision: Any = None
    satisfaction: Any = None
    clients: dict[str, Client] = field(default_factory=dict)


def build() -> Site:
    """`city`, `books` and `bank` (tests/conftest.py, tests/charity/conftest.py, tests/timebank/conftest.py) as the
    other tests get them, and the objects they lack, made through the services."""
    city = city_conftest.city.__wrapped__(None)  # the fixtures' own bodies (module scope; pytest's are per test)
    books = charity_conftest.books.__wrapped__(city)
    bank = timebank_conftest.bank.__wrapped__(city)
    users = {name: city.users[name] for name in CITY_ROLES} | {"mum": bank.mum_user,
                                                               "root": get_user_model().objects.get(username="root")}
    s = Site(city=city, books=books, bank=bank, users=users)
    finance = city.users["finance"]
    other = books.other_fund
    project = cs.project_create(actor=finance, fund=other, title="人民街助学", purpose="elderly", budget="20000",
                                starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2027, 12, 31))
    s.gift = cs.donation_record(actor=finance, fund=other, amount="800.00", channel="transfer", donor_name="林晓红")
    s.receipt = cs.receipt_issue(actor=finance, donation=s.gift)
    upload = SimpleUploadedFile("报价单.pdf", b"%PDF-1.4 quote", content_type="application/pdf")
    s.payout = cs.payout_request(actor=city.users["agency_manager"], fund=other, project=project, title="助学文具",
                                 payee="人民街文具店", lines=[("文具 20 套", "300.00")], attachments=[upload])
    s.attachment = s.payout.attachments.get()

    intent = pay_services.payment_start(campaign=books.campaign, fund=books.fund, amount="50", donor_name="捐赠人",
                                        show_name=False, donor_user=city.users["donor"], idempotency_key="route-walk")
    provider = pay.provider(intent.provider)
    body = provider.event(intent, type=pay.SUCCEEDED, payer="fpu_routewalk")
    pay_services.webhook_handle(provider_name=provider.name, body=body, headers=provider.signed_headers(body))
    intent.refresh_from_db()
    cs.receipt_issue(actor=finance, donation=intent.donation)
    s.seal = sealing.seal_create()  # so the gift has its ledger proof
    s.intent = intent
    s.question = QuizQuestion.objects.filter(station=city.stations["北京街"]).order_by("pk").first()
    s.framework = framework_save(actor=city.users["city_admin"], region=city.city, kind="grade", year=2026, title="等级评估指标",
                                 total="100", tree=small_tree(), bands=BANDS_100, org_kind="service_institution")
    s.published_framework = framework_publish(actor=city.users["city_admin"], framework=framework_save(
        actor=city.users["city_admin"], region=city.city, kind="station", year=2026, title="社工站评估指标", total="100",
        tree=small_tree()))
    reports_generate(today=timezone.localdate())
    s.report = DisclosureReport.objects.order_by("pk").first()
    s.grant = RoleGrant.objects.get(user=city.users["other_worker"], revoked_at__isnull=True)

    # 小何 earns 5 approved hours (a star at 4 h for the moment), redeems, takes a certificate, signs up; and
    # has 3 more hours waiting for the organizer.
    stars = {**settings.SHANLIAN, "TIMEBANK_STAR_HOURS": (4, 10, 600, 1000, 1500)}
    with override_settings(SHANLIAN=stars):
        done = _late(bank, city, "5", day_offset=2)
        ts.hours_agency_approve(actor=bank.agency, record=ts.hours_approve(actor=bank.organizer, record=done))
        s.item = CatalogItem.objects.create(station=city.stations["北京街"], name="社区理发", price="1", stock=5)
        s.redemption = ts.redemption_create(actor=bank.vol_user, volunteer=bank.vol, item=s.item)
    today = timezone.localdate()
    s.certificate = ts.certificate_issue(actor=bank.vol_user, volunteer=bank.vol, period_start=today - dt.timedelta(days=30),
                                         period_end=today)
    s.signup = ts.signup_create(actor=bank.vol_user, volunteer=bank.vol, shift=bank.later_shift)
    s.hours = _late(bank, city, "3", day_offset=3)
    s.grants = route_walk_grants.build(city, books, city.users["volunteer"])
    users["group"] = s.grants.group
    for name, part in EVALUATION_PARTS.items():  # each evaluation part's objects, as s.<part>
        setattr(s, name, part.build(city, users))

    for name, user in users.items():
        client = Client(raise_request_exception=False)
        client.force_login(user)
        s.clients[name] = client
    s.clients["anonymous"] = Client(raise_request_exception=False)
    return s


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker, tmp_path_factory):
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"], AXES_ENABLED=False,
                             MEDIA_ROOT=tmp_path_factory.mktemp("media"))
    quiet = [logging.getLogger(name) for name in ("django.request", "django.security")]
    levels = [log.level for log in quiet]
    for log in quiet:  # every refusal and error is logged; the walk reports its own
        log.setLevel(logging.CRITICAL)
    try:
        with django_db_blocker.unblock(), fast, transaction.atomic():
            yield build()
            transaction.set_rollback(True)
    finally:
        for log, level in zip(quiet, levels, strict=True):
            log.setLevel(level)


# -- asking ------------------------------------------------------------------------------------------------

# Garbage for every field: a digit to str.isdigit() that int() refuses; a NUL, which PostgreSQL's text refuses.
GARBAGE = ("²", "x\x00y")
FIELD_NAME = re.compile(r'<(?:input|select|textarea|button)\b[^>]*?\sname="([^"]+)"')
LINK = re.compile(r'\s(?:href|action|hx-get|hx-post)="([^"]*)"')
FORM_TAG = re.compile(r"<form\b[^>]*>", re.IGNORECASE)


@dataclass
class Answer:
    status: int
    location: str
    code: str  # an API answer's error code
    error: str  # the exception's last lines, when the request raised
    names: frozenset[str] = frozenset()  # a page: the fields its forms and its links to itself name
    posts_here: bool = False  # a page: it has a form (or an htmx call) that posts to its own URL


APP = str(Path(shanlian.__file__).parent)


def _tail(exc_info: Any) -> str:
    """The last two frames of the app's own code, the frame that raised, and the exception."""
    kind, exc, tb = exc_info
    frames = traceback.extract_tb(tb)
    ours = [f for f in frames if f.filename.startswith(APP)][-2:]
    shown = ours + [f for f in frames[-1:] if f not in ours]
    lines = [f"{f.filename.removeprefix(APP + '/')}:{f.lineno} in {f.name}: {(f.line or '').strip()}" for f in shown]
    lines += traceback.format_exception_only(kind, exc)[-1:]
    return "\n".join("        " + line.rstrip() for line in lines)


def _names(html: str, path: str) -> frozenset[str]:
    names = set(FIELD_NAME.findall(html))
    for link in LINK.findall(html):
        parts = urlsplit(unescape(link))
        if parts.path in ("", path):
            names.update(k for k, _v in parse_qsl(parts.query, keep_blank_values=True))
    return frozenset(names - {"csrfmiddlewaretoken"})


def _posts_here(html: str, path: str) -> bool:
    targets = re.findall(r'\shx-post="([^"]*)"', html)
    for tag in FORM_TAG.findall(html):
        if re.search(r'\smethod="post"', tag, re.IGNORECASE):
            action = re.search(r'\saction="([^"]*)"', tag)
            targets.append(action.group(1) if action else "")
    return any(urlsplit(unescape(t)).path in ("", path) for t in targets)


def ask(site: Site, walker: str, method: str, url: str, **kwargs: Any) -> Answer:
    """One request, in a savepoint rolled back afterwards; the client's cookies are put back too."""
    client = site.clients[walker]
    cookies = {k: v.value for k, v in client.cookies.items()}
    error = ""
    with transaction.atomic():
        response: HttpResponse = client.generic(method, url, **kwargs)
        if response.exc_info:
            error = _tail(response.exc_info)
        try:  # (the test client closes a streamed response once it is read, without the request_finished handler)
            if response.streaming:
                b"".join(response.streaming_content)
        except Exception as exc:  # noqa: BLE001 (a body that fails while it is sent is a server error too)
            error = _tail((type(exc), exc, exc.__traceback__))
        transaction.set_rollback(True)
    client.cookies.clear()
    for k, v in cookies.items():
        client.cookies[k] = v
    kind = response.get("Content-Type", "")
    code, names, posts_here = "", frozenset[str](), False
    if kind.startswith("application/json") and not response.streaming:
        try:
            code = str(json.loads(response.content).get("code", ""))
        except (ValueError, AttributeError):
            code = ""
    if kind.startswith("text/html") and response.status_code == 200 and not response.streaming:
        html, path = response.content.decode(errors="replace"), urlsplit(url).path
        names, posts_here = _names(html, path), _posts_here(html, path)
    return Answer(response.status_code, response.get("Location", ""), code, error, names, posts_here)


# The API's codes for a body refused before the operation runs: one that does not fit the schema, one that is not JSON.
BODY_REFUSED = ("invalid_request", "http_error", "invalid_json")  # refused by the parser or the schema, before the operation
LOGIN = reverse("login")
ADMIN_LOGIN = reverse("admin:login")
REGISTER = reverse("timebank:register")
FORM = "application/x-www-form-urlencoded"

Request = tuple[str, str, str, dict[str, Any]]  # method, label, query string, client.generic's arguments


def requests_for(route: Route, walker: str) -> list[Request]:
    if route.kind == "admin" or route.name in NINJA_PAGES:
        return [("GET", "", "", {})]
    if route.kind == "page":
        return [("GET", "", "", {}), ("POST", "empty form", "", {"data": "", "content_type": FORM})]
    if route.method == "GET":
        return [("GET", "", "", {})]
    typed = (route.method, "typed body", "", _json(sample(body_schema(route))))
    if "requestBody" not in route.operation or walker not in ("anonymous", "root"):
        # django-ninja reads the body after authenticating the caller and before the operation runs, the same way
        # for everybody: a body that is missing or not JSON is asked by anonymous and the superuser.
        return [typed]
    return [(route.method, "no body", "", _json(b"")), (route.method, "not JSON", "", _json(b"\x00garbage{")), typed]


def garbage_for(route: Route, names: frozenset[str]) -> list[Request]:
    """Every field a page names (every free-text query parameter and body field of an operation) set to each GARBAGE
    value."""
    out: list[Request] = []
    for value in GARBAGE:
        label = f"garbage {value!r}"
        if route.kind == "page":
            fields = urlencode(dict.fromkeys(sorted(names), value))
            shown = ", ".join(sorted(names)[:8]) + (", …" if len(names) > 8 else "")
            out += [("GET", f"{label} in ?{shown}", fields, {}),
                    ("POST", f"{label} in the form's {shown}", "", {"data": fields, "content_type": FORM})]
            continue
        query = [p["name"] for p in route.operation.get("parameters", []) if p["in"] == "query" and free_text(p.get("schema", {}))]
        if query:
            out.append((route.method, f"{label} in ?{', '.join(query)}", urlencode(dict.fromkeys(query, value)), {}))
        if "requestBody" in route.operation:
            out.append((route.method, f"{label} in the body's text", "", _json(sample(body_schema(route), text=value))))
    return out


def _json(body: Any) -> dict[str, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body)
    return {"data": data, "content_type": "application/json", "headers": {"Idempotency-Key": "route-walk"}}


def _ref(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def body_schema(route: Route) -> dict[str, Any]:
    return route.operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {"type": "object"})


def sample(schema: dict[str, Any], text: str | None = None) -> Any:
    """A value of the schema's type with no meaning: each required field of an object, the first of a choice. With
    `text`: every field, and every free text is `text` (a choice or a date stays valid, not to hide the text)."""
    schema = _ref(schema)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [o for o in schema[key] if _ref(o).get("type") != "null"]
            return sample(options[0], text) if options else None
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object":
        names = schema.get("properties", {}) if text is not None else schema.get("required", [])
        return {name: sample(schema["properties"][name], text) for name in names}
    if kind == "array":
        return [sample(schema["items"], text) for _ in range(max(int(text is not None), schema.get("minItems", 0)))]
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    if schema.get("format") == "date":
        return "2026-01-01"
    if schema.get("format") == "date-time":
        return "2026-01-01T08:00:00+08:00"
    word = text if text is not None else "route-walk"
    word *= 1 + schema.get("minLength", 0) // len(word)
    return word[: schema.get("maxLength", len(word))]


def free_text(schema: dict[str, Any]) -> bool:
    """A string that is neither a choice nor a date (garbage anywhere else would only fail validation first)."""
    schema = _ref(schema)
    options = [_ref(o) for o in schema.get("anyOf", [schema]) if _ref(o).get("type") != "null"]
    return any(o.get("type") == "string" and "enum" not in o and "format" not in o for o in options)


# -- judging -----------------------------------------------------------------------------------------------


def refused(route: Route, method: str, a: Answer) -> bool:
    """Nothing of the object was given: 403, 404, 405; the time bank's "register first"; a body the API refused
    before the operation ran."""
    if a.status in (403, 404, 405):
        return True
    if route.kind == "api":
        return a.status == 400 and method != "GET" and a.code in BODY_REFUSED
    return a.status == 302 and a.location.startswith(REGISTER)


def reached(route: Route, a: Answer) -> bool:
    """The object was found and acted on: a 2xx, a redirect onwards, or the operation's own 400 or 409."""
    if 200 <= a.status < 300 or a.status == 409:
        return True
    if a.status in (301, 302, 303):
        return not a.location.startswith((LOGIN, ADMIN_LOGIN, REGISTER))
    return a.status == 400 and not (route.kind == "api" and a.code in BODY_REFUSED)


def judge(route: Route, walker: str, method: str, a: Answer, *, in_scope: bool) -> str:
    """What is wrong with one answer ("" when nothing is)."""
    if a.error or a.status >= 500:
        return f"{a.status} server error" + (f"\n{a.error}" if a.error else "")
    to_login = a.status == 302 and a.location.startswith(LOGIN)
    if route.kind == "admin":
        if walker != "root" and route.name not in ADMIN_OPEN and not (a.status == 302 and a.location.startswith(ADMIN_LOGIN)):
            return f"{a.status}, not the admin's login page"
        return ""
    if walker == "anonymous" and route.kind == "api" and route.operation.get("security"):  # (none: a public operation)
        return "" if a.status == 401 and a.code == "not_authenticated" else f"{a.status} {a.code!r}, not 401 not_authenticated"
    if walker == "anonymous" and not is_public(route):
        return "" if to_login or a.status == 405 else f"{a.status} {a.location}, not the login page"
    if to_login and route.name != "logout":
        return "sent to the login page" if walker != "anonymous" else "a public page asks for a login"
    if a.status == 401:
        return "401 on a page"
    if not in_scope and not refused(route, method, a):
        return f"{a.status} {a.location} out of scope, not refused"
    return ""


# -- walking -----------------------------------------------------------------------------------------------


@dataclass
class Walk:
    failures: list[str] = field(default_factory=list)
    reached_by: list[str] = field(default_factory=list)
    pages: dict[str, frozenset[str]] = field(default_factory=dict)  # walker → the fields its page named
    got: dict[str, int] = field(default_factory=dict)  # walker → the status of its plain GET
    takes_post: bool = False  # the route takes POST (`posters`)


def walkers_of(route: Route) -> tuple[str, ...]:
    """Everybody, but on the pages of Django's admin and of django-ninja (its schema, its viewer, its root): these
    are theirs and the same for every caller, so anonymous and the superuser ask them (GET only, `requests_for`)."""
    return ("anonymous", "root") if route.kind == "admin" or route.name in NINJA_PAGES else WALKERS


def walk(site: Site, route: Route) -> Walk:
    bindings = {name: binding(route, name) for name in route.params}
    real = {name: b.value(site, route) for name, b in bindings.items()}
    objects = [name for name, b in bindings.items() if b.missing is not None]
    walkers = walkers_of(route)
    in_scope = [w for w in walkers if all(bindings[n].in_scope is None or w in bindings[n].in_scope for n in objects)]
    out = Walk()
    url = build_url(route, real)
    for walker in walkers:
        _ask_all(site, route, out, url, walker, _only(requests_for(route, walker), "GET"), walker in in_scope, "")
    for walker in posters(site, route, out, url, walkers, in_scope):
        _ask_all(site, route, out, url, walker, _only(requests_for(route, walker), "POST"), walker in in_scope, "")
    if objects and not out.reached_by:
        out.failures.append(f"no walker in scope reached {real}: the objects in BINDINGS are not what the route takes")
        return out
    # Garbage, from those who got the page (a walker whose page names fields nobody tried yet), or who reached the
    # operation (the superuser and the first other walker: a role's code path).
    if route.kind == "page":
        tried: set[str] = set()
        for walker, names in out.pages.items():
            if names - tried:
                tried |= names
                asked = garbage_for(route, names)
                _ask_all(site, route, out, url, walker, asked if out.takes_post else _only(asked, "GET"), True, "")
    elif route.kind == "api":
        for walker in _two(out.reached_by):
            _ask_all(site, route, out, url, walker, garbage_for(route, frozenset()), True, "")
    if objects:
        # An id that names nothing, from anonymous and from whoever reached the real object: refused to everybody.
        missing = build_url(route, {**real, **{n: bindings[n].missing for n in objects}})
        for walker in ("anonymous", *_two(out.reached_by)[:1]):
            asked = requests_for(route, walker)
            _ask_all(site, route, out, missing, walker, asked if out.takes_post else _only(asked, "GET"), False, "no such object: ")
    return out


def _only(requests: list[Request], method: str) -> list[Request]:
    """The GETs, or everything else."""
    return [r for r in requests if (r[0] == "GET") == (method == "GET")]


def posters(site: Site, route: Route, out: Walk, url: str, walkers: tuple[str, ...], in_scope: list[str]) -> list[str]:
    """Who POSTs: on the API, everybody (the schema says which operations take POST). A page takes POST when one of its
    pages posts to it or a GET was refused by method (405); else one who got the page posts to find out (an answer
    other than the page again or a 405: a form's 400, a redirect, a refusal), and if it does not, only those whose GET
    did not get the page post (a refusal must hold for POST too)."""
    if route.kind != "page":
        return list(walkers)
    got_page = [w for w in walkers if 200 <= out.got[w] < 300]
    if not out.takes_post and got_page:
        prober = "root" if "root" in got_page else got_page[0]
        answer = _ask_all(site, route, out, url, prober, _only(requests_for(route, prober), "POST"), prober in in_scope, "")
        out.takes_post = answer.status not in (out.got[prober], 405)
        return [w for w in walkers if w != prober and (out.takes_post or w not in got_page)]
    return [w for w in walkers if out.takes_post or w not in got_page]


def _two(reached_by: list[str]) -> list[str]:
    """The superuser (when it got there), then the first other walker that did."""
    return [w for w in reached_by if w == "root"] + [w for w in reached_by if w != "root"][:1]


def _ask_all(site: Site, route: Route, out: Walk, url: str, walker: str, requests: list[Request], in_scope: bool,
             variant: str) -> Answer:
    a = Answer(0, "", "", "")
    for method, label, query, kwargs in requests:
        target = f"{url}?{query}" if query else url
        a = ask(site, walker, method, target, **kwargs)
        problem = judge(route, walker, method, a, in_scope=in_scope)
        if problem:
            shown = target if not query else f"{url}?…"
            out.failures.append(f"{variant}{method} {shown}{f' [{label}]' if label else ''} as {walker}: {problem}")
        if in_scope and not variant and reached(route, a) and walker not in out.reached_by:
            out.reached_by.append(walker)
        if method == "GET" and not query and not variant:
            out.got[walker] = a.status
            out.takes_post |= a.posts_here or a.status == 405
            if a.names and walker not in out.pages:
                out.pages[walker] = a.names
    return a


def report(route: Route, result: Walk) -> None:
    if result.failures:
        pytest.fail(f"{route}: {len(result.failures)} problem(s)\n  " + "\n  ".join(result.failures), pytrace=False)


# -- the tests -----------------------------------------------------------------------------------------------


def test_the_walk_finds_the_routes():
    names = {r.name for r in URL_ROUTES}
    assert {"web:home", "charity:payout_detail", "give:gift_receipt", "timebank:manage_station", "login", "admin:index"} <= names
    assert len(API_ROUTES) == sum(len(ops) for ops in SCHEMA["paths"].values()) and len(API_ROUTES) > 30


def test_every_api_url_is_an_operation_or_a_public_page():
    """The API's URLconf patterns are its schema's operations (walked from the schema), or its public pages."""
    api_pages = {r.name for r in PAGE_ROUTES if r.namespace == "api"}
    assert api_pages <= PUBLIC_NAMES, api_pages - PUBLIC_NAMES


@pytest.mark.parametrize("route", URL_ROUTES + API_ROUTES, ids=str)
def test_every_path_parameter_is_mapped(route):
    for name in route.params:
        b = binding(route, name)
        if b.missing is not None and b.in_scope is not None:
            assert SIGNED_IN - b.in_scope, f"{route}: {name!r} leaves nobody out of scope"


@pytest.mark.parametrize("route", PAGE_ROUTES, ids=str)
def test_page(site, db, route):
    report(route, walk(site, route))


@pytest.mark.parametrize("route", API_ROUTES, ids=str)
def test_api_operation(site, db, route):
    report(route, walk(site, route))


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=str)
def test_admin_page_get_only(site, db, route):
    report(route, walk(site, route))
