"""Finding a person by the last four digits of a phone, a part of the name, the pinyin initials or the full pinyin,
on the page, in the API and in the selector; never outside the actor's area, never by decrypting a row, and with
the search keys kept by the services (create, edit) and filled in by migration people 0002 for older rows."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shanlian.core import crypto
from shanlian.core.models import AuditLog
from shanlian.people import search
from shanlian.people import services as ps
from shanlian.people.selectors import actor_scope, people_list
from tests import factories as f

PERSON_LIST = reverse("people:person_list")
CHEN_PHONE = "13912345678"  # 陈秀英 in 盐运西 (北京街), tests/conftest.py


@pytest.fixture
def twins(city):
    """陈秀兰 in 东兴 (石牌街, another district): the same last four as 陈秀英 and the same pinyin up to chenxiu."""
    return f.person("陈秀兰", city.communities["东兴"], district_code="440106", phone="13700005678")


def found(user, query: str) -> list[str]:
    return sorted(people_list(scope=actor_scope(user), query=query).values_list("real_name", flat=True))


def rows(response) -> list[str]:
    assert response.status_code == 200
    return re.findall(r'data-testid="person-row" data-person-id="(\d+)"', response.text)


# --- how a query is read ------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw,kind", [
    ("5678", "phone_last4"), ("５６７８", "phone_last4"), (" 56 78 ", "phone_last4"),
    ("13912345678", "phone"), ("139-1234-5678", "phone"), ("+86 139 1234 5678", "phone"), ("02083001234", "phone"),
    ("440100195203150026", "resident_id"), ("44010019520315002x", "resident_id"),
    ("cxy", "pinyin"), ("ChenXiuYing", "pinyin"), ("chen xiu ying", "pinyin"), ("ｃｘｙ", "pinyin"), ("lü", "pinyin"),
    ("陈秀", "name"), ("秀英", "name"), ("567", "name"), ("12345", "name"), ("陈1", "name"), ("", ""), ("   ", ""),
])
def test_search_term_kinds(raw, kind):
    assert search.search_term(raw).kind == kind


def test_the_same_phone_typed_differently_is_the_same_key():
    keys = {search.search_term(raw).value for raw in ("13912345678", "139 1234 5678", "+86-139-1234-5678", "１３９１２３４５６７８")}
    assert keys == {crypto.blind_index(CHEN_PHONE, purpose="phone")}
    assert search.search_term("5678").value == crypto.blind_index("5678", purpose="phone_last4")
    assert search.search_term("5678").value != crypto.blind_index("5678", purpose="phone")  # its own purpose


# --- the selector ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["5678", "５６７８", "陈秀", "秀英", "cxy", "CX", "chenxiuying", "chenxiu", "Chen Xiu Ying",
                                   CHEN_PHONE, "139-1234-5678", "440100195203150026"])
def test_finds_by_last4_name_initials_and_full_pinyin(city, query):
    assert found(city.users["station_worker"], query) == ["陈秀英"]


def test_wrong_keys_find_nobody(city):
    worker = city.users["station_worker"]
    for query in ("1234", "9999", "xiuying", "cxyz", "chenxiuyingx", "13912345679", "440100195203150027", "秀兰"):
        assert found(worker, query) == [], query


def test_a_station_worker_never_finds_a_person_outside_their_street(city, twins):
    worker, admin = city.users["station_worker"], city.users["city_admin"]
    twin_phone, twin_id = crypto.decrypt(twins.phone_enc), crypto.decrypt(twins.resident_id_enc)
    for query in ("5678", "chenxiu", "cx", "陈秀", "秀兰", "chenxiulan", "cxl", twin_phone, twin_id):
        assert "陈秀兰" not in found(worker, query), query
        assert "陈秀兰" in found(admin, query), query
    assert found(worker, "5678") == ["陈秀英"]
    assert found(admin, "5678") == ["陈秀兰", "陈秀英"]
    # The other street's worker finds only their own.
    assert found(city.users["other_worker"], "5678") == ["陈秀兰"]
    # An agency manager: the streets of the agency's stations (北京街, 人民街), not 石牌街.
    assert found(city.users["agency_manager"], "5678") == ["陈秀英"]


@pytest.mark.parametrize("who", ["volunteer", "donor", "expert", "nobody", "finance"])
def test_roles_without_people_find_only_themselves(city, twins, who):
    assert found(city.users[who], "5678") == []
    assert found(city.users[who], "chenxiu") == []


def test_searching_decrypts_nothing_and_sends_no_plain_digits(city):
    scope = actor_scope(city.users["city_admin"])
    for query in ("5678", CHEN_PHONE, "chenxiuying", "陈秀"):
        with mock.patch.object(crypto, "decrypt", side_effect=AssertionError("a search decrypted a row")), \
                CaptureQueriesContext(connection) as ctx:
            names = list(people_list(scope=scope, query=query).values_list("real_name", flat=True))
        assert names == ["陈秀英"], query
        sql = " ".join(q["sql"] for q in ctx.captured_queries)
        assert not re.search(r"(?<![0-9a-f])(5678|13912345678)(?![0-9a-f])", sql), (query, sql)


def test_a_last4_search_compares_the_indexed_key_only(city):
    sql = str(people_list(scope=actor_scope(city.users["city_admin"]), query="5678").query)
    assert "phone_last4_hash" in sql and "real_name" not in sql.split("WHERE", 1)[1].split("ORDER BY")[0]


# --- the services keep the keys ----------------------------------------------------------------------------------


def test_create_and_edit_keep_the_keys(city):
    def last4(phone: str) -> str:
        return crypto.blind_index(phone[-4:], purpose="phone_last4")

    p = ps.person_create(actor=None, real_name="吕小明", division=city.communities["都府"], phone="137 0000 1357")
    assert (p.name_initials, p.name_pinyin, p.phone_last4_hash) == ("lxm", "lvxiaoming", last4("13700001357"))
    p = ps.person_update(actor=None, person=p, real_name="曾小明", division=p.division, phone="13700002468")
    p.refresh_from_db()
    assert (p.name_initials, p.name_pinyin, p.phone_last4_hash) == ("cxm", "cengxiaoming", last4("13700002468"))
    p = ps.person_update(actor=None, person=p, real_name="曾小明", division=p.division, phone=None)  # keeps the phone
    p.refresh_from_db()
    assert p.phone_last4_hash == last4("13700002468")
    p = ps.person_update(actor=None, person=p, real_name="曾小明", division=p.division, phone="")  # clears it
    p.refresh_from_db()
    assert p.phone_enc == p.phone_hash == p.phone_last4_hash == ""
    assert found(city.users["station_worker"], "2468") == []


def test_the_audit_log_holds_no_last_four(city):
    p = ps.person_create(actor=None, real_name="林晓燕", division=city.communities["都府"], phone="13700004321")
    ps.person_update(actor=None, person=p, real_name="林晓燕", division=p.division, phone="13700008765")
    rows = AuditLog.objects.filter(object_type="people.person", object_id=str(p.pk))
    assert rows.count() == 2
    for row in rows:
        text = f"{row.before} {row.after}"
        assert "4321" not in text and "8765" not in text, text
    update = rows.get(action="person.update")
    assert update.before["phone"] != update.after["phone"]  # a change still shows


def test_a_latin_name_and_a_long_one(city):
    p = ps.person_create(actor=None, real_name="Maria 李", division=city.communities["都府"])
    assert p.name_pinyin == "mariali"
    assert found(city.users["station_worker"], "maria") == ["Maria 李"]
    long_name = "欧阳" * 16  # 32 characters, the longest name
    q = ps.person_create(actor=None, real_name=long_name, division=city.communities["都府"])
    assert len(q.name_pinyin) <= 192 and q.name_pinyin.startswith("ouyang")


# --- the page and the API ---------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["5678", "chenxiu", "cxy", "秀英"])
def test_page_search(login, city, twins, query):
    response = login("station_worker").get(PERSON_LIST, {"q": query})
    assert rows(response) == [str(city.people["陈秀英"].pk)]
    assert "陈秀兰" not in response.text
    assert f'value="{query}"' in response.text  # a last four, a name or a pinyin is shown back as typed


def test_page_search_by_full_phone_is_not_echoed(login, city):
    response = login("station_worker").get(PERSON_LIST, {"q": "139 1234 5678"})
    assert rows(response) == [str(city.people["陈秀英"].pk)]
    body = re.sub(r'<input name="next"[^>]*>', "", response.text)
    assert "139 1234 5678" not in body and CHEN_PHONE not in body and 'value="139****5678"' in body


def test_page_search_query_count_does_not_grow(login, city):
    client = login("station_worker")

    def count(url: str) -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    targets = [PERSON_LIST + "?q=5678", PERSON_LIST + "?q=chen", PERSON_LIST + "?q=陈"]
    before = [count(t) for t in targets]
    for i in range(6):
        f.person(f"陈居民{i}", city.communities["都府"], phone=f"1360{i:03d}5678")
    assert [count(t) for t in targets] == before
    assert len(rows(client.get(PERSON_LIST, {"q": "5678"}))) == 7
    assert len(rows(client.get(PERSON_LIST, {"q": "chen"}))) == 7


def test_api_search(login, city, twins):
    client = login("station_worker")
    for query in ("5678", "chenxiuying", "cxy", "陈秀"):
        resp = client.get("/api/people", {"q": query})
        assert resp.status_code == 200
        assert [r["real_name"] for r in resp.json()["results"]] == ["陈秀英"], query
    admin = login("city_admin").get("/api/people", {"q": "5678"})
    assert sorted(r["real_name"] for r in admin.json()["results"]) == ["陈秀兰", "陈秀英"]


def test_api_search_is_bounded(login, city):
    resp = login("station_worker").get("/api/people", {"q": "陈" * 65})
    assert resp.status_code == 400
    assert login("station_worker").get("/api/people", {"q": "陈" * 64}).status_code == 200


def test_page_search_is_bounded(login, city):
    response = login("station_worker").get(PERSON_LIST, {"q": "陈" * 65})
    assert response.status_code == 200 and rows(response) != []  # an invalid form searches nothing: the area's list
