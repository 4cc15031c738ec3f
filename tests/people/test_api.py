"""/api/people and /api/me: scoped, masked, audited; bad input saves nothing."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shanlian.core.models import AuditLog
from shanlian.people.models import Person
from shanlian.people.services import api_token_create
from tests import factories as f

pytestmark = pytest.mark.django_db


PLAIN_ID = "440100195203150026"
PLAIN_PHONE = "13912345678"


def _grant_reveal(user) -> None:
    user.user_permissions.add(Permission.objects.get(codename="reveal_sensitive", content_type__app_label="people"))


def _names(resp) -> list[str]:
    assert resp.status_code == 200, resp.content
    return [row["real_name"] for row in resp.json()["results"]]


def _text(resp) -> str:
    """The body with Chinese as characters (the renderer escapes non-ASCII as \\uXXXX)."""
    return json.dumps(resp.json(), ensure_ascii=False)


def _assert_no_plain_values(resp, city) -> None:
    text = _text(resp)
    assert PLAIN_ID not in text
    assert PLAIN_PHONE not in text
    assert city.people["陈秀英"].resident_id_enc not in text
    assert city.people["陈秀英"].phone_enc not in text


# --- list ---


def test_list_needs_authentication(client, city):
    resp = client.get("/api/people")
    assert resp.status_code == 401
    assert resp.json()["code"] == "not_authenticated"


def test_station_worker_sees_their_street_masked(login, city):
    resp = login("station_worker").get("/api/people")
    assert sorted(_names(resp)) == sorted(["陈秀英", "李伟", "志愿者小何"])
    row = next(r for r in resp.json()["results"] if r["real_name"] == "陈秀英")
    assert row["resident_id_masked"] == "440100********0026"
    assert row["phone_masked"] == "139****5678"
    assert row["division"]["name"] == "盐运西社区"
    assert row["street"]["name"] == "北京街道"
    assert row["gender"] == "F"
    assert row["birth_year"] == 1952
    assert set(row) == {
        "id", "real_name", "gender", "birth_year", "division", "street", "resident_id_masked", "phone_masked"
    }
    _assert_no_plain_values(resp, city)


def test_other_worker_sees_only_their_street_with_a_token(client, city):
    _, secret = api_token_create(actor=None, user=city.users["other_worker"], name="app")
    resp = client.get("/api/people", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert _names(resp) == ["张建国"]


@pytest.mark.parametrize(
    ("username", "count"), [("city_admin", 5), ("district_admin", 4), ("street_officer", 3), ("agency_manager", 4)]
)
def test_area_roles_see_their_area(login, city, username, count):
    assert login(username).get("/api/people").json()["count"] == count


@pytest.mark.parametrize("username", ["volunteer", "donor", "expert", "finance", "nobody"])
def test_list_is_403_without_a_people_role(login, city, username):
    resp = login(username).get("/api/people")
    assert resp.status_code == 403
    assert resp.json()["code"] == "permission_denied"
    assert "陈秀英" not in _text(resp)


def test_search_and_division_filter(login, city):
    client = login("district_admin")
    assert _names(client.get("/api/people", {"q": "cxy"})) == ["陈秀英"]
    assert _names(client.get("/api/people", {"q": "李"})) == ["李伟"]
    assert _names(client.get("/api/people", {"q": PLAIN_PHONE})) == ["陈秀英"]
    assert _names(client.get("/api/people", {"q": PLAIN_ID})) == ["陈秀英"]
    assert _names(client.get("/api/people", {"division_id": city.streets["人民街"].pk})) == ["王芳"]
    # A division outside the caller's area filters to nothing rather than widening the scope.
    assert _names(client.get("/api/people", {"division_id": city.streets["石牌街"].pk})) == []


# --- detail ---


def test_detail_in_scope_is_masked(login, city):
    resp = login("station_worker").get(f"/api/people/{city.people['陈秀英'].pk}")
    assert resp.status_code == 200
    assert resp.json()["resident_id_masked"] == "440100********0026"
    _assert_no_plain_values(resp, city)


def test_detail_out_of_scope_is_a_bare_404_and_logged(login, city):
    person = city.people["陈秀英"]
    resp = login("other_worker").get(f"/api/people/{person.pk}")
    assert resp.status_code == 404
    body = _text(resp)
    assert resp.json()["code"] == "not_found"
    assert "陈秀英" not in body and "盐运西" not in body and "440100" not in body
    missing = login("other_worker").get("/api/people/999999")
    assert missing.status_code == 404
    assert missing.json() == resp.json()
    assert AuditLog.objects.filter(
        action="access.denied", object_id=str(person.pk), actor=city.users["other_worker"]
    ).exists()


def test_volunteer_sees_themselves_only(login, city):
    me = Person.objects.get(user=city.users["volunteer"])
    client = login("volunteer")
    assert client.get(f"/api/people/{me.pk}").json()["real_name"] == "志愿者小何"
    assert client.get(f"/api/people/{city.people['陈秀英'].pk}").status_code == 404


def test_detail_needs_authentication(client, city):
    assert client.get(f"/api/people/{city.people['陈秀英'].pk}").status_code == 401


# --- create ---


def _new_person(city, **kw):
    return {
        "real_name": "黄小梅",
        "division_id": city.communities["都府"].pk,
        "resident_id": f.make_resident_id("440104", seq=321),
        "phone": "13800138000",
    } | kw


def test_station_worker_registers_a_person(login, city):
    before = Person.objects.count()
    body = _new_person(city)
    resp = login("station_worker").post("/api/people", body, content_type="application/json")
    assert resp.status_code == 201, resp.content
    out = resp.json()
    assert out["real_name"] == "黄小梅"
    assert out["phone_masked"] == "138****8000"
    assert out["resident_id_masked"] == body["resident_id"][:6] + "********" + body["resident_id"][-4:]
    assert body["resident_id"] not in _text(resp)
    assert "13800138000" not in _text(resp)
    assert Person.objects.count() == before + 1
    assert AuditLog.objects.filter(action="person.create", object_id=str(out["id"])).exists()


def test_register_with_a_token(client, city):
    _, secret = api_token_create(actor=None, user=city.users["street_officer"], name="intake")
    resp = client.post(
        "/api/people", _new_person(city, resident_id="", phone=""), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert resp.status_code == 201
    assert resp.json()["resident_id_masked"] == ""


def test_register_outside_area_is_403(login, city):
    before = Person.objects.count()
    resp = login("station_worker").post(
        "/api/people", _new_person(city, division_id=city.communities["东兴"].pk), content_type="application/json"
    )
    assert resp.status_code == 403
    assert resp.json()["code"] == "scope_outside_yours"
    assert Person.objects.count() == before


@pytest.mark.parametrize("username", ["volunteer", "finance", "nobody"])
def test_register_without_a_people_role_is_403(login, city, username):
    before = Person.objects.count()
    resp = login(username).post("/api/people", _new_person(city), content_type="application/json")
    assert resp.status_code == 403
    assert resp.json()["code"] == "permission_denied"
    assert Person.objects.count() == before


def test_register_needs_authentication(client, city):
    before = Person.objects.count()
    assert client.post("/api/people", _new_person(city), content_type="application/json").status_code == 401
    assert Person.objects.count() == before


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("resident_id", "440104198601010011", "invalid_resident_id"),  # wrong check digit
        ("resident_id", "12345", "invalid_resident_id"),
        ("resident_id", "440104209901010010", "invalid_resident_id"),  # born in the future
        ("phone", "12345", "invalid_phone"),
        ("phone", "+1 650 253 0000", "invalid_phone"),
    ],
)
def test_invalid_identifiers_are_400_and_save_nothing(login, city, field, value, code):
    before, audits = Person.objects.count(), AuditLog.objects.count()
    resp = login("station_worker").post("/api/people", _new_person(city, **{field: value}), content_type="application/json")
    assert resp.status_code == 400
    body = resp.json()
    assert body["code"] == code
    assert body["fields"][field][0]["code"] == code
    assert value not in _text(resp)
    assert (Person.objects.count(), AuditLog.objects.count()) == (before, audits)


def test_duplicate_resident_id_is_409_and_saves_nothing(login, city):
    before = Person.objects.count()
    resp = login("street_officer").post(
        "/api/people", _new_person(city, resident_id=PLAIN_ID), content_type="application/json"
    )
    assert resp.status_code == 409
    assert resp.json()["code"] == "duplicate_resident_id"
    assert "resident_id" in resp.json()["fields"]
    assert PLAIN_ID not in _text(resp)
    assert "陈秀英" not in _text(resp)
    assert Person.objects.count() == before


def test_register_other_bad_input(login, city):
    client = login("city_admin")
    before = Person.objects.count()
    missing = client.post("/api/people", _new_person(city, division_id=999999), content_type="application/json")
    assert (missing.status_code, missing.json()["code"]) == (400, "invalid_division")
    district = client.post(
        "/api/people", _new_person(city, division_id=city.districts["越秀"].pk), content_type="application/json"
    )
    assert (district.status_code, district.json()["code"]) == (400, "invalid_division")
    blank = client.post("/api/people", _new_person(city, real_name="  "), content_type="application/json")
    assert (blank.status_code, blank.json()["code"]) == (400, "required")
    gender = client.post("/api/people", _new_person(city, gender="X"), content_type="application/json")
    assert (gender.status_code, gender.json()["code"]) == (400, "invalid_request")
    assert Person.objects.count() == before


# --- reveal ---


def test_reveal_with_the_permission_returns_the_value_and_logs(login, city):
    _grant_reveal(city.users["street_officer"])
    person = city.people["陈秀英"]
    resp = login("street_officer").post(
        f"/api/people/{person.pk}/reveal", {"field": "resident_id"}, content_type="application/json"
    )
    assert resp.status_code == 200
    assert resp.json() == {"person_id": person.pk, "field": "resident_id", "value": PLAIN_ID}
    assert resp["Cache-Control"] == "no-store"
    phone = login("street_officer").post(f"/api/people/{person.pk}/reveal", {"field": "phone"}, content_type="application/json")
    assert phone.json()["value"] == PLAIN_PHONE
    logged = AuditLog.objects.filter(action="person.reveal", object_id=str(person.pk), actor=city.users["street_officer"])
    assert sorted(row.after["field"] for row in logged) == ["phone", "resident_id"]
    assert all(PLAIN_ID not in str(row.after) and PLAIN_PHONE not in str(row.after) for row in logged)


def test_reveal_with_a_token(client, city):
    _grant_reveal(city.users["city_admin"])
    _, secret = api_token_create(actor=None, user=city.users["city_admin"], name="audit")
    resp = client.post(
        f"/api/people/{city.people['陈秀英'].pk}/reveal", {"field": "phone"}, content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert resp.status_code == 200
    assert resp.json()["value"] == PLAIN_PHONE
    assert AuditLog.objects.filter(action="person.reveal", via="api").exists()


def test_reveal_without_the_permission_is_403_and_logged(login, city):
    person = city.people["陈秀英"]
    resp = login("station_worker").post(f"/api/people/{person.pk}/reveal", {"field": "resident_id"}, content_type="application/json")
    assert resp.status_code == 403
    assert resp.json()["code"] == "reveal_not_allowed"
    _assert_no_plain_values(resp, city)
    assert AuditLog.objects.filter(action="person.reveal.denied", object_id=str(person.pk)).count() == 1


def test_reveal_out_of_scope_is_404_even_with_the_permission(login, city):
    _grant_reveal(city.users["other_worker"])
    person = city.people["陈秀英"]
    resp = login("other_worker").post(f"/api/people/{person.pk}/reveal", {"field": "phone"}, content_type="application/json")
    assert resp.status_code == 404
    assert "陈秀英" not in _text(resp)
    _assert_no_plain_values(resp, city)
    assert not AuditLog.objects.filter(action="person.reveal").exists()


def test_reveal_bad_field_and_no_auth(client, city):
    person = city.people["陈秀英"]
    assert client.post(f"/api/people/{person.pk}/reveal", {"field": "phone"}, content_type="application/json").status_code == 401
    _grant_reveal(city.users["city_admin"])
    client.force_login(city.users["city_admin"])
    resp = client.post(f"/api/people/{person.pk}/reveal", {"field": "resident_id_enc"}, content_type="application/json")
    assert resp.status_code == 400
    assert resp.json()["code"] == "invalid_request"
    _assert_no_plain_values(resp, city)


# --- /api/me ---


def test_me_for_a_volunteer_shows_their_masked_person(login, city):
    resp = login("volunteer").get("/api/me")
    assert resp.status_code == 200
    body = resp.json()
    assert body["username"] == "volunteer"
    assert body["display_name"] == "志愿者小何"
    assert body["roles"] == ["volunteer"]
    assert body["person"]["real_name"] == "志愿者小何"
    assert body["person"]["resident_id_masked"].count("*") == 8
    assert len(body["grants"]) == 1


def test_me_for_staff_with_a_token(client, city):
    _, secret = api_token_create(actor=None, user=city.users["station_worker"], name="me")
    body = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {secret}").json()
    assert body["roles"] == ["station_worker"]
    assert body["person"] is None
    assert body["grants"][0]["scope"] == "北京街道社工站"


def test_me_needs_authentication(client, city):
    resp = client.get("/api/me")
    assert resp.status_code == 401
    assert resp.json()["code"] == "not_authenticated"


# --- nothing unmasked anywhere ---


def test_no_answer_carries_an_unmasked_value(client, city):
    """Every read endpoint, as every user: the plain ID and phone never appear (only reveal may show them)."""
    person = city.people["陈秀英"]
    urls = [
        "/api/me", "/api/people", f"/api/people/{person.pk}", f"/api/people?q={PLAIN_ID}", f"/api/people?q={PLAIN_PHONE}",
        "/api/divisions", f"/api/divisions/{city.communities['盐运西'].pk}", "/api/organizations",
        f"/api/organizations/{city.orgs['启明'].pk}", "/api/stations", f"/api/stations/{city.stations['北京街'].pk}",
    ]
    seen = 0
    for username, user in city.users.items():
        if username == "volunteer":
            Person.objects.filter(user=user).update(user=None)
            Person.objects.filter(pk=person.pk).update(user=user)  # 陈秀英 herself asks /api/me
        client.force_login(user)
        for url in urls:
            resp = client.get(url)
            _assert_no_plain_values(resp, city)
            seen += "陈秀英" in _text(resp)
        for field in ("resident_id", "phone"):
            resp = client.post(f"/api/people/{person.pk}/reveal", {"field": field}, content_type="application/json")
            assert resp.status_code in (403, 404)
            _assert_no_plain_values(resp, city)
    assert seen > 10  # the person was in many answers, masked


# --- query counts ---


def _queries(client, url: str) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(url)
    assert resp.status_code == 200, resp.content
    return len(ctx.captured_queries), resp.json()


@pytest.mark.parametrize("username", ["station_worker", "agency_manager", "city_admin"])
def test_people_list_query_count_is_fixed(login, city, username):
    client = login(username)
    url = "/api/people?page_size=100"
    few, body = _queries(client, url)
    n = body["count"]
    for i in range(30):
        f.person(f"居民{i}", city.communities["都府"], resident_id=f.make_resident_id(seq=600 + i))
    many, body = _queries(client, url)
    assert body["count"] == n + 30
    assert few == many
    filtered_few, _ = _queries(client, f"/api/people?division_id={city.streets['北京街'].pk}&q=ju")
    assert filtered_few == few + 1  # the division filter reads the division's path once
