"""The API's front door: bearer tokens and sessions, 401s, CSRF, error bodies, and the OpenAPI document."""

from __future__ import annotations

import pytest
from django.test import Client

from shanlian.orgs.models import Organization
from shanlian.people.models import ApiToken
from shanlian.people.services import api_token_create, api_token_revoke
from tests import factories as f

pytestmark = pytest.mark.django_db



ENDPOINTS = [
    ("get", "/api/me"),
    ("get", "/api/divisions"),
    ("get", "/api/divisions/{division}"),
    ("get", "/api/organizations"),
    ("get", "/api/organizations/{org}"),
    ("post", "/api/organizations"),
    ("get", "/api/stations"),
    ("get", "/api/stations/{station}"),
    ("get", "/api/people"),
    ("get", "/api/people/{person}"),
    ("post", "/api/people"),
    ("post", "/api/people/{person}/reveal"),
]


PUBLIC_WISH_PATHS = {"/api/wishes/wall", "/api/wishes/wall/{wish_id}", "/api/wishes/leaderboard", "/api/wishes/counts"}


def _url(city, template: str) -> str:
    return template.format(
        division=city.communities["盐运西"].pk, org=city.orgs["启明"].pk, station=city.stations["北京街"].pk,
        person=city.people["陈秀英"].pk,
    )


def _call(client: Client, method: str, url: str, **headers):
    if method == "post":
        return client.post(url, {"field": "phone"}, content_type="application/json", **headers)
    return client.get(url, **headers)


def _bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.mark.parametrize(("method", "template"), ENDPOINTS)
def test_every_endpoint_is_401_without_credentials(client, city, method, template):
    resp = _call(client, method, _url(city, template))
    assert resp.status_code == 401
    body = resp.json()
    assert body["code"] == "not_authenticated"
    assert body["message_en"] and body["message_zh"]
    assert "陈秀英" not in resp.content.decode("unicode_escape")


@pytest.mark.parametrize(("method", "template"), ENDPOINTS)
def test_every_endpoint_is_401_with_a_revoked_token(client, city, method, template):
    token, secret = api_token_create(actor=None, user=city.users["city_admin"], name="old")
    assert client.get("/api/me", **_bearer(secret)).status_code == 200
    api_token_revoke(actor=city.users["city_admin"], token=token)
    resp = _call(client, method, _url(city, template), **_bearer(secret))
    assert resp.status_code == 401
    assert resp.json()["code"] == "not_authenticated"


def test_a_token_authenticates_and_records_its_use(client, city):
    token, secret = api_token_create(actor=None, user=city.users["street_officer"], name="etl")
    assert token.last_used_at is None
    resp = client.get("/api/me", **_bearer(secret))
    assert resp.status_code == 200
    assert resp.json()["username"] == "street_officer"
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert ApiToken.objects.get(pk=token.pk).key_hash != secret


@pytest.mark.parametrize(
    "header",
    ["Bearer sl_not-a-real-token", "Bearer ", "Token {secret}", "{secret}", "Basic c3RyZWV0X29mZmljZXI6eA=="],
)
def test_bad_credentials_are_401(client, city, header):
    _, secret = api_token_create(actor=None, user=city.users["street_officer"], name="etl")
    resp = client.get("/api/people", HTTP_AUTHORIZATION=header.format(secret=secret))
    assert resp.status_code == 401


def test_a_token_of_a_deactivated_user_is_401(client, city):
    user = city.users["street_officer"]
    _, secret = api_token_create(actor=None, user=user, name="etl")
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get("/api/people", **_bearer(secret)).status_code == 401


def test_session_works_and_logout_ends_it(client, city):
    client.force_login(city.users["station_worker"])
    assert client.get("/api/me").json()["username"] == "station_worker"
    client.logout()
    assert client.get("/api/me").status_code == 401


def test_session_writes_need_the_csrf_token_but_token_writes_do_not(city):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(city.users["city_admin"])
    body = {
        "name": "广州市越秀区晨光社会工作服务中心", "kind": "service_institution",
        "credit_code": f.make_credit_code(seq=880001), "registered_on": "2021-01-01",
        "division_id": city.districts["越秀"].pk,
    }
    before = Organization.objects.count()
    resp = browser.post("/api/organizations", body, content_type="application/json")
    assert resp.status_code == 403
    assert Organization.objects.count() == before

    _, secret = api_token_create(actor=None, user=city.users["city_admin"], name="sync")
    machine = Client(enforce_csrf_checks=True)
    resp = machine.post("/api/organizations", body, content_type="application/json", **_bearer(secret))
    assert resp.status_code == 201
    assert Organization.objects.count() == before + 1


@pytest.mark.parametrize("header", [None, "Bearer sl_not-a-real-token"])
def test_a_write_without_a_session_or_with_a_bad_token_is_401_not_a_csrf_refusal(city, header):
    """A real server checks CSRF (the test client skips it unless asked): with no session cookie there is no
    session to protect, so the caller is told to authenticate, with the API's error shape."""
    machine = Client(enforce_csrf_checks=True)
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    before = Organization.objects.count()
    resp = machine.post("/api/organizations", {"name": "x"}, content_type="application/json", **extra)
    assert resp.status_code == 401
    assert resp.json()["code"] == "not_authenticated" and resp.json()["message_en"]
    assert Organization.objects.count() == before


def test_validation_errors_have_the_common_shape(login, city):
    resp = login("city_admin").post("/api/people", {"division_id": "x"}, content_type="application/json")
    assert resp.status_code == 400
    body = resp.json()
    assert body["code"] == "invalid_request"
    assert set(body) == {"code", "message", "message_zh", "message_en", "fields"}
    assert {"real_name", "division_id"} <= set(body["fields"])
    assert set(body["fields"]["division_id"][0]) == {"code", "message", "message_en"}


# --- OpenAPI ---

EXPECTED = {
    "/api/me": {"get"},
    "/api/divisions": {"get"},
    "/api/divisions/{division_id}": {"get"},
    "/api/organizations": {"get", "post"},
    "/api/organizations/{organization_id}": {"get"},
    "/api/stations": {"get"},
    "/api/stations/{station_id}": {"get"},
    "/api/people": {"get", "post"},
    "/api/people/{person_id}": {"get"},
    "/api/people/{person_id}/reveal": {"post"},
}


def test_openapi_lists_every_path_with_summaries_and_error_schemas(client, db):
    resp = client.get("/api/openapi.json")
    assert resp.status_code == 200
    doc = resp.json()
    paths = {path: set(ops) for path, ops in doc["paths"].items()}
    assert {path: paths.get(path) for path in EXPECTED} == EXPECTED  # (other apps add their own paths)
    error_ref = "#/components/schemas/ErrorOut"
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op.get("summary"), (method, path)
            codes = set(op["responses"])
            if op.get("security") is not None:  # an operation that needs a login says what not having one gets
                assert "401" in codes, (method, path)
            else:  # the public ones: signing in, the micro-venture rounds' and projects' public data, evaluation notices
                # and certificates, answering a survey or a diagnosis by its link, and the de-identified wish wall
                assert path == "/api/auth/token" or path.startswith((
                    "/api/grants/rounds", "/api/grants/projects", "/api/evaluation/notices", "/api/evaluation/certificates",
                    "/api/evaluation/satisfaction/answer", "/api/evaluation/capacity/answer")) or (
                    method == "get" and path in PUBLIC_WISH_PATHS), (method, path)
            assert codes & {"200", "201"}, (method, path)
            for code in codes - {"200", "201"}:
                schema = op["responses"][code]["content"]["application/json"]["schema"]
                assert schema == {"$ref": error_ref}, (method, path, code)
    assert {"400", "401", "403", "409"} <= set(doc["paths"]["/api/organizations"]["post"]["responses"])
    assert {"400", "401", "403", "409"} <= set(doc["paths"]["/api/people"]["post"]["responses"])
    assert "404" in doc["paths"]["/api/people/{person_id}"]["get"]["responses"]
    assert "403" in doc["paths"]["/api/stations"]["get"]["responses"]
    schemas = doc["components"]["schemas"]
    person = schemas["PersonOut"]["properties"]
    assert "resident_id_masked" in person and "phone_masked" in person
    assert not any("enc" in name or name in ("resident_id", "phone") for name in person)
    assert set(schemas["PersonPage"]["properties"]) == {"count", "count_capped", "page", "page_size", "results"}
    assert doc["components"]["securitySchemes"]["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    assert doc["paths"]["/api/people"]["get"]["security"] == [{"TokenAuth": []}, {"SessionAuth": []}]
