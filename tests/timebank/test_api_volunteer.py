"""The volunteer's journey through the API only (/api/timebank), as a mini-program makes it: sign in with the phone,
register at the home station, pass the quiz, sign up for a shift and cancel, read one's hours, spend credits, add
family and give them credits, and take a service certificate with its PDF. Allowed and denied (anonymous 401, not a
volunteer 403, another volunteer's records 404), replays, and hostile input never a 500."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shanlian.ledger.models import Entry
from shanlian.ledger.selectors import balances_mismatched
from shanlian.timebank import services as ts
from shanlian.timebank.models import QuizAttempt, QuizQuestion, Redemption, ServiceCertificate, Signup, Volunteer
from tests.app import App, app_of, code, resident, sign_in

from .test_selectors import approved

pytestmark = pytest.mark.django_db

PHONE = "13800138011"
TB = "/timebank"


@pytest.fixture
def newcomer(city):
    """A resident of 都府社区 (北京街) who signed up and is not yet a volunteer."""
    return resident("huangxm", "黄小敏", city.communities["都府"], phone=PHONE)


@pytest.fixture
def low_stars(settings):
    settings.SHANLIAN = {**settings.SHANLIAN, "TIMEBANK_STAR_HOURS": (4, 300, 600, 1000, 1500)}


def register(app: App, city, key: str = "reg-1", **changes):
    body = {"station": city.stations["北京街"].pk, "skills": ["elderly_care"], "availability": ["sat_am"],
            "service_areas": [city.communities["都府"].pk]}
    body.update(changes)
    return app.post(f"{TB}/registration", body, key=key)


def right_answers(quiz: dict) -> dict[str, int]:
    by_id = QuizQuestion.objects.in_bulk([q["id"] for q in quiz["open"]["questions"]])
    return {str(q["id"]): by_id[q["id"]].answer for q in quiz["open"]["questions"]}


def wrong_answers(quiz: dict) -> dict[str, int]:
    return {k: 1 - v for k, v in right_answers(quiz).items()}


def as_volunteer(bank, who: str = "vol") -> App:
    return app_of(bank.vol_user if who == "vol" else bank.mum_user)


# -- the journey --------------------------------------------------------------------------------------------


def test_a_resident_becomes_a_volunteer_serves_spends_gives_and_gets_a_certificate(newcomer, bank, city, low_stars):
    app = sign_in(PHONE)
    resp = app.get(f"{TB}/me")
    assert resp.status_code == 403 and code(resp) == "not_volunteer"

    # Register at the home station; a retry is the same registration.
    stations = app.get(f"{TB}/registration/stations").json()["results"]
    home = next(s for s in stations if s["home"])
    assert home["id"] == city.stations["北京街"].pk
    assert {c["name"] for c in home["communities"]} == {"盐运西社区", "都府社区"}
    resp = register(app, city)
    assert resp.status_code == 201, resp.content
    number = resp.json()["volunteer"]["number"]
    assert resp.json()["volunteer"]["name_masked"] == "黄**" and resp.json()["service_areas"] == [city.communities["都府"].pk]
    again = register(app, city)
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true" and again.json()["volunteer"]["number"] == number
    resp = register(app, city, skills=["it"])
    assert resp.status_code == 409 and code(resp) == "idempotency_mismatch"
    resp = register(app, city, key="reg-2")
    assert resp.status_code == 409 and code(resp) == "already_volunteer"
    me = Volunteer.objects.get(number=number)
    assert me.person.user == newcomer and Volunteer.objects.filter(person__user=newcomer).count() == 1

    # The quiz: a paper, started once, handed in once.
    quiz = app.get(f"{TB}/quiz").json()
    assert quiz["open"] is None and quiz["passed"] is False and quiz["attempts_left"] == 3
    resp = app.post(f"{TB}/quiz/start")
    assert resp.status_code == 201
    quiz = resp.json()
    assert len(quiz["open"]["questions"]) == 10 and "answer" not in quiz["open"]["questions"][0]
    again = app.post(f"{TB}/quiz/start")
    assert again.status_code == 200 and again.json()["open"]["id"] == quiz["open"]["id"]
    resp = app.post(f"{TB}/quiz/answers", {"attempt": quiz["open"]["id"], "answers": right_answers(quiz)})
    assert resp.status_code == 200 and resp.json()["attempt"]["passed"] is True and resp.json()["attempt"]["score"] == 100
    certificate_code = resp.json()["certificate_code"]
    assert certificate_code
    again = app.post(f"{TB}/quiz/answers", {"attempt": quiz["open"]["id"], "answers": wrong_answers(quiz)})
    assert again.status_code == 200 and again.json()["attempt"]["score"] == 100  # scored once
    resp = app.post(f"{TB}/quiz/start")
    assert resp.status_code == 409 and code(resp) == "quiz_already_passed"
    assert app.get(f"{TB}/quiz").json()["certificate_code"] == certificate_code

    # An activity, a sign-up, a cancellation.
    activity = app.get(f"{TB}/activities/{bank.activity.pk}").json()
    assert activity["certified"] is True and [s["free"] for s in activity["shifts"]] == [2, 1]
    resp = app.post(f"{TB}/shifts/{bank.later_shift.pk}/signup")
    assert resp.status_code == 201
    signup_id = resp.json()["id"]
    mine = app.get(f"{TB}/me/signups").json()["results"]
    assert [(s["id"], s["status"], s["activity_title"]) for s in mine] == [(signup_id, "confirmed", "长者饭堂送餐")]
    assert app.get(f"{TB}/activities/{bank.activity.pk}").json()["shifts"][1]["mine"] == {"id": signup_id, "status": "confirmed"}
    resp = app.post(f"{TB}/me/signups/{signup_id}/cancel")
    assert resp.status_code == 200 and resp.json()["status"] == "cancelled"
    assert app.post(f"{TB}/me/signups/{signup_id}/cancel").json()["status"] == "cancelled"  # again: quiet
    assert app.get(f"{TB}/me/signups").json()["count"] == 0

    # Hours: only one's own.
    approved(bank, city, me, "5", days_ago=2)
    approved(bank, city, bank.vol, "3")
    hours = app.get(f"{TB}/me/hours").json()
    assert hours["count"] == 1 and hours["results"][0]["hours"] == "5.0" and hours["results"][0]["status"] == "approved"
    assert hours["totals"] == {"approved": {"records": 1, "hours": "5.0"}}

    # The catalog and a redemption, cancelled.
    item = ts.catalog_item_create(actor=bank.organizer, station=city.stations["北京街"], name="理发一次", price="1", stock=3)
    catalog = app.get(f"{TB}/catalog").json()
    assert catalog["can_spend"] is True and catalog["balance"] == "5.0"
    assert [(i["name"], i["price"], i["own_station"]) for i in catalog["results"]] == [("理发一次", "1.0", True)]
    resp = app.post(f"{TB}/redemptions", {"item": item.pk, "quantity": 1}, key="r1")
    assert resp.status_code == 201 and resp.json()["balance"] == "4.0"
    mine = app.get(f"{TB}/me/redemptions").json()["results"]
    assert [(r["item_name"], r["status"], r["collect_at"]) for r in mine] == [("理发一次", "pending", city.stations["北京街"].name)]
    resp = app.post(f"{TB}/me/redemptions/{mine[0]['id']}/cancel")
    assert resp.status_code == 200 and resp.json()["status"] == "cancelled" and resp.json()["balance"] == "5.0"

    # Family, and credits for them and for the pool.
    resp = app.post(f"{TB}/me/family", {"number": bank.mum.number.lower(), "real_name": "何母", "relation": "parent"})
    assert resp.status_code == 201
    assert (resp.json()["number"], resp.json()["name_masked"], resp.json()["relation"]) == (bank.mum.number, "何*", "parent")
    again = app.post(f"{TB}/me/family", {"number": bank.mum.number, "real_name": "何母", "relation": "parent"})
    assert again.status_code == 200
    resp = app.post(f"{TB}/me/family", {"number": bank.vol.number, "real_name": "别人", "relation": "sibling"})
    assert resp.status_code == 400 and code(resp) == "volunteer_not_found"
    assert app.get(f"{TB}/me/family").json()["results"][0]["number"] == bank.mum.number

    resp = app.post(f"{TB}/me/credits/give", {"to": bank.mum.number, "amount": "1.5"}, key="g1")
    assert resp.status_code == 201 and resp.json()["balance"] == "3.5" and resp.json()["amount"] == "1.5"
    again = app.post(f"{TB}/me/credits/give", {"to": bank.mum.number, "amount": "1.5"}, key="g1")
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true" and again.json()["entry"] == resp.json()["entry"]
    assert again.json()["balance"] == "3.5"
    resp = app.post(f"{TB}/me/credits/give", {"to": bank.mum.number, "amount": "2"}, key="g1")
    assert resp.status_code == 409 and code(resp) == "idempotency_mismatch"
    resp = app.post(f"{TB}/me/credits/give", {"to": "pool", "amount": "0.5"}, key="g2")
    assert resp.status_code == 201 and resp.json()["to"] == "pool" and resp.json()["balance"] == "3.0"
    bank.mum.account.refresh_from_db()
    assert bank.mum.account.balance == Decimal("1.50") and not balances_mismatched()

    # The service certificate: issued once per key, listed, its PDF.
    start = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
    resp = app.post(f"{TB}/me/certificates", {"period_start": start}, key="c1")
    assert resp.status_code == 201, resp.content
    cert = resp.json()
    assert cert["hours"] == "5.0" and cert["records"] == 1 and cert["verify_url"].endswith(f"/timebank/verify/{cert['code']}/")
    again = app.post(f"{TB}/me/certificates", {"period_start": start}, key="c1")
    assert again.status_code == 200 and again.json()["code"] == cert["code"]
    resp = app.post(f"{TB}/me/certificates", {"period_start": (timezone.localdate() - dt.timedelta(days=3)).isoformat()}, key="c1")
    assert resp.status_code == 409 and code(resp) == "idempotency_mismatch"
    assert ServiceCertificate.objects.filter(volunteer=me).count() == 1
    assert [c["code"] for c in app.get(f"{TB}/me/certificates").json()["results"]] == [cert["code"]]
    assert app.get(f"{TB}/me/certificates/{cert['code'].lower()}").json()["code"] == cert["code"]
    pdf = app.get(cert["pdf_url"].removeprefix("/api"))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")

    profile = app.get(f"{TB}/me").json()
    assert profile["balance"] == "3.0" and profile["volunteer"]["number"] == number


# -- the same rules as the pages ----------------------------------------------------------------------------


def test_quiz_attempts_are_limited_as_on_the_quiz_page(bank):
    app = as_volunteer(bank)
    for left in (2, 1, 0):
        quiz = app.post(f"{TB}/quiz/start").json()
        resp = app.post(f"{TB}/quiz/answers", {"attempt": quiz["open"]["id"], "answers": wrong_answers(quiz)})
        assert resp.json()["attempt"]["passed"] is False and resp.json()["attempts_left"] == left
    resp = app.post(f"{TB}/quiz/start")
    assert resp.status_code == 400 and code(resp) == "quiz_attempts_exhausted"
    assert QuizAttempt.objects.filter(volunteer=bank.vol).count() == 3


def test_an_incomplete_paper_is_refused_and_stays_open(bank):
    app = as_volunteer(bank)
    quiz = app.post(f"{TB}/quiz/start").json()
    answers = right_answers(quiz)
    answers.pop(next(iter(answers)))
    resp = app.post(f"{TB}/quiz/answers", {"attempt": quiz["open"]["id"], "answers": answers})
    assert resp.status_code == 400 and code(resp) == "quiz_incomplete"
    assert app.get(f"{TB}/quiz").json()["open"]["id"] == quiz["open"]["id"]


def test_giving_more_credits_than_one_has_says_the_balance_is_too_low(bank, city):
    approved(bank, city, bank.vol, "2")
    ts.family_link(actor=bank.vol_user, volunteer=bank.vol, member=bank.mum, relation="parent")
    app = as_volunteer(bank)
    entries = Entry.objects.count()
    resp = app.post(f"{TB}/me/credits/give", {"to": bank.mum.number, "amount": "2.5"}, key="g1")
    assert resp.status_code == 400 and code(resp) == "insufficient_balance"
    body = resp.json()
    assert body["message_en"] == "Your balance is too low: you have 2.0 credits."
    assert body["fields"]["amount"][0]["code"] == "insufficient_balance"
    for amount, expected in (("0", "amount_not_positive"), ("1.2", "hours_step"), ("-1", "amount_not_positive")):
        resp = app.post(f"{TB}/me/credits/give", {"to": "pool", "amount": amount}, key="g2")
        assert resp.status_code == 400 and code(resp) == expected, (amount, resp.content)
    resp = app.post(f"{TB}/me/credits/give", {"to": "ZY000", "amount": "1"}, key="g3")
    assert resp.status_code == 400 and code(resp) == "not_family"
    assert Entry.objects.count() == entries


def test_registration_refusals(newcomer, bank, city):
    app = sign_in(PHONE)
    for changes, expected in (
        ({"station": 999999}, "unknown_station"),
        ({"skills": ["juggling"]}, "invalid_skill"),
        ({"availability": ["midnight"]}, "invalid_availability"),
        ({"service_areas": [city.communities["东兴"].pk]}, "invalid_service_area"),
        ({"party_member": True}, "consent_required"),
    ):
        resp = register(app, city, **changes)
        assert resp.status_code == 400 and code(resp) == expected, (changes, resp.content)
    assert not Volunteer.objects.filter(person__user=newcomer).exists()


# -- who may ------------------------------------------------------------------------------------------------


OPERATIONS = [
    ("get", "/registration/stations"), ("post", "/registration"), ("get", "/quiz"), ("post", "/quiz/start"),
    ("post", "/quiz/answers"), ("get", "/activities/1"), ("get", "/me/signups"), ("post", "/me/signups/1/cancel"),
    ("get", "/me/hours"), ("get", "/catalog"), ("get", "/me/redemptions"), ("post", "/me/redemptions/1/cancel"),
    ("get", "/me/family"), ("post", "/me/family"), ("post", "/me/credits/give"), ("post", "/me/certificates"),
    ("get", "/me/certificates"), ("get", "/me/certificates/ABC"), ("get", "/me/certificates/ABC/pdf"),
]
BODY = {"station": 1, "attempt": 1, "answers": {"1": 0}, "number": "ZY1", "real_name": "x", "relation": "parent",
        "to": "pool", "amount": "1", "period_start": "2026-01-01"}


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_anonymous_is_401_and_those_who_are_not_volunteers_403(bank, city, method, path):
    for app, status, expected in ((App(), 401, "not_authenticated"), (App("sl_nope"), 401, "not_authenticated"),
                                  (app_of(city.users["station_worker"]), 403, None), (app_of(city.users["donor"]), 403, None)):
        resp = app.get(f"{TB}{path}") if method == "get" else app.post(f"{TB}{path}", BODY, key="k1")
        assert resp.status_code == status, (path, resp.content)
        assert code(resp) == expected or (expected is None and code(resp) in ("not_volunteer", "no_person")), (path, resp.content)
    assert Volunteer.objects.count() == 2


def test_another_volunteers_records_are_not_found(bank, city, low_stars):
    approved(bank, city, bank.vol, "5")
    vol = as_volunteer(bank)
    signup = vol.post(f"{TB}/shifts/{bank.later_shift.pk}/signup").json()
    item = ts.catalog_item_create(actor=bank.organizer, station=city.stations["北京街"], name="理发一次", price="1", stock=3)
    redemption = vol.post(f"{TB}/redemptions", {"item": item.pk, "quantity": 1}, key="r1").json()
    attempt = vol.post(f"{TB}/quiz/start").json()["open"]
    cert = vol.post(f"{TB}/me/certificates", {"period_start": "2025-01-01"}, key="c1").json()

    mum = as_volunteer(bank, "mum")
    for method, path in (("post", f"/me/signups/{signup['id']}/cancel"), ("post", f"/me/redemptions/{redemption['id']}/cancel"),
                         ("get", f"/me/certificates/{cert['code']}"), ("get", f"/me/certificates/{cert['code']}/pdf")):
        resp = mum.get(f"{TB}{path}") if method == "get" else mum.post(f"{TB}{path}")
        assert resp.status_code == 404, path
    resp = mum.post(f"{TB}/quiz/answers", {"attempt": attempt["id"], "answers": right_answers({"open": attempt})})
    assert resp.status_code == 404
    for path in ("/me/hours", "/me/signups", "/me/redemptions", "/me/certificates"):
        assert mum.get(f"{TB}{path}").json()["count"] == 0, path
    assert Signup.objects.get(pk=signup["id"]).status == "confirmed"
    assert Redemption.objects.get(pk=redemption["id"]).status == "pending"
    assert QuizAttempt.objects.get(pk=attempt["id"]).submitted_at is None


# -- hostile input ------------------------------------------------------------------------------------------


def test_bad_input_is_refused_with_a_code_and_nothing_written(newcomer, bank, city):
    app = sign_in(PHONE)
    for changes in ({"station": 10**20}, {"station": "\x00"}, {"skills": ["x" * 33]}, {"skills": ["it"] * 20},
                    {"service_areas": list(range(1, 102))}, {"service_areas": [10**19]}, {"skills": ["it\x00"]}):
        resp = register(app, city, **changes)
        assert resp.status_code == 400, (changes, resp.content)
    for key in (None, "", "k" * 129, "k k"):
        assert code(register(app, city, key=key)) == "idempotency_key_required"
    assert not Volunteer.objects.filter(person__user=newcomer).exists()

    vol = as_volunteer(bank)
    attempt = vol.post(f"{TB}/quiz/start").json()["open"]["id"]
    for answers in ({str(i): 0 for i in range(101)}, {"1": 10**6}, {"1": -1}, {"1\x00": 0}, {"x" * 21: 0}, {"1": "a"}):
        resp = vol.post(f"{TB}/quiz/answers", {"attempt": attempt, "answers": answers})
        assert resp.status_code == 400, (answers, resp.content)
    assert vol.post(f"{TB}/quiz/answers", {"attempt": 10**20, "answers": {}}).status_code == 400
    assert QuizAttempt.objects.get(pk=attempt).submitted_at is None

    for body in ({"to": "pool", "amount": "1e20"}, {"to": "pool", "amount": "99999999999999999"}, {"to": "pool", "amount": "1\x00"},
                 {"to": "pool", "amount": "1" * 13}, {"to": "p" * 21, "amount": "1"}, {"to": "pool", "amount": 1}):
        resp = vol.post(f"{TB}/me/credits/give", body, key="g1")
        assert resp.status_code == 400, (body, resp.content)
    for body in ({"number": "Z" * 21, "real_name": "x", "relation": "parent"}, {"number": "ZY1", "real_name": "x" * 33,
                 "relation": "parent"}, {"number": bank.mum.number, "real_name": "何母", "relation": "cousin"}):
        resp = vol.post(f"{TB}/me/family", body)
        assert resp.status_code == 400, (body, resp.content)
    for body, expected in (({"period_start": "0001-01-01"}, "date_out_of_range"), ({"period_start": "9999-12-31"}, "date_out_of_range"),
                           ({"period_start": "2026-13-01"}, "invalid_request"), ({"period_start": "2025-01-01\x00"}, "nul_character"),
                           ({"period_start": "2025-02-01", "period_end": "2025-01-01"}, "invalid_period"),
                           ({"period_start": "2025-01-01"}, "no_hours")):
        resp = vol.post(f"{TB}/me/certificates", body, key="c1")
        assert resp.status_code == 400 and code(resp) == expected, (body, resp.content)
    for path in ("/me/certificates/%00", "/me/certificates/" + "A" * 17, "/me/certificates/A-B", "/me/signups/99999999999999999999/cancel",
                 "/activities/0", "/activities/99999999999999999999"):
        resp = vol.get(f"{TB}{path}") if "cancel" not in path else vol.post(f"{TB}{path}")
        assert resp.status_code == 404, path
    for params in ({"page": 10**20}, {"page": 0}, {"page_size": 10**6}):
        assert vol.get(f"{TB}/me/hours", **params).status_code == 400
    assert not ServiceCertificate.objects.exists() and Entry.objects.filter(source__startswith="timebank.give").count() == 0


# -- lists cost the same however many rows --------------------------------------------------------------------


def test_list_queries_do_not_grow(bank, city, low_stars):
    approved(bank, city, bank.vol, "5", days_ago=1)
    item = ts.catalog_item_create(actor=bank.organizer, station=city.stations["北京街"], name="理发一次", price="1", stock=9,
                                  per_person_limit=9)
    app = as_volunteer(bank)
    app.post(f"{TB}/redemptions", {"item": item.pk, "quantity": 1}, key="r0")
    app.post(f"{TB}/me/certificates", {"period_start": "2025-01-01"}, key="c0")
    paths = ("/me/hours", "/me/redemptions", "/me/certificates", "/catalog", "/me/signups", "/me/family")

    def queries() -> list[int]:
        out = []
        for path in paths:
            with CaptureQueriesContext(connection) as q:
                assert app.get(f"{TB}{path}").status_code == 200
            out.append(len(q))
        return out

    few = queries()
    for i in range(2, 5):
        approved(bank, city, bank.vol, "2", days_ago=i)
        app.post(f"{TB}/redemptions", {"item": item.pk, "quantity": 1}, key=f"r{i}")
        app.post(f"{TB}/me/certificates", {"period_start": "2025-01-01"}, key=f"c{i}")
        ts.catalog_item_create(actor=bank.agency, station=city.stations["人民街"], name=f"物品{i}", price="1", stock=1)
    assert queries() == few


def test_the_openapi_document_describes_the_volunteers_journey(client, db):
    doc = client.get("/api/openapi.json").json()
    paths = doc["paths"]
    for method, path in OPERATIONS:
        template = (f"/api{TB}{path}".replace("/1/", "/{activity_id}/" if "activities" in path else "/{id}/")
                    .replace("/activities/1", "/activities/{activity_id}").replace("/ABC", "/{code}"))
        template = template.replace("signups/{id}", "signups/{signup_id}").replace("redemptions/{id}", "redemptions/{redemption_id}")
        op = paths[template][method]
        assert op["summary"] and "401" in op["responses"] and "403" in op["responses"], template
    for path in ("/me/credits/give", "/me/certificates", "/registration"):
        params = {p["name"] for p in paths[f"/api{TB}{path}"]["post"].get("parameters", [])}
        assert "Idempotency-Key" in params, path
    answers = doc["components"]["schemas"]["AnswersIn"]["properties"]["answers"]
    assert answers["maxProperties"] == 100
