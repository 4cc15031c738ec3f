"""The ledger's seals in public: a gift becomes provable when the scheduled seal job runs, its proof page links
the seal that covers it, and the seals are listed (newest first, a page at a time) on a page and as JSON that
anyone can read and that name nobody."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from shanlian.charity.views_seals import PAGE_SIZE
from shanlian.core.scheduler import Scheduler
from shanlian.ledger import sealing
from shanlian.ledger.models import Seal
from shanlian.ledger.services import account_open, entry_post
from shanlian.schedule import SCHEDULE

from .test_give_pages import give, pay


def _seals(n: int) -> list[Seal]:
    a = account_open(code="seal-a", name="a", unit="CNY", type="asset")
    b = account_open(code="seal-b", name="b", unit="CNY", type="liability")
    out = []
    for i in range(n):
        entry_post(legs=[(a, f"{i + 1}.00"), (b, f"-{i + 1}.00")], memo=f"测试 {i}")
        seal = sealing.seal_create()
        assert seal is not None
        out.append(seal)
    return out


def test_a_gift_becomes_provable_when_the_scheduled_seal_job_runs(client, books):
    sealing.seal_create()  # the books' start money is sealed already
    intent = pay(client, give(client, books))
    assert client.get(f"/give/gift/{intent.ref}/proof.json").status_code == 404
    assert 'data-testid="not-sealed"' in client.get(f"/give/gift/{intent.ref}/").content.decode()

    ran = Scheduler(SCHEDULE).tick()  # what the demo's thread does every minute: the jobs that are due
    assert "ledger-seal" in ran

    r = client.get(f"/give/gift/{intent.ref}/proof.json")
    assert r.status_code == 200
    proof = json.loads(r.content)
    assert sealing.check_proof(proof)
    seq = proof["seal"]["seq"]
    body = client.get(f"/give/gift/{intent.ref}/").content.decode()
    assert f'href="/public/seals/{seq}/" data-testid="seal-link"' in body
    # The published seal is the one the proof ends with, for anyone.
    page = Client().get(f"/public/seals/{seq}/")
    assert page.status_code == 200 and proof["seal_hash"] in page.content.decode()
    ranged = re.search(r'data-testid="seal-range">([^<]*)<', page.content.decode()).group(1)
    first, last = proof["seal"]["first_entry_id"], proof["seal"]["last_entry_id"]
    assert re.findall(r"\d+", ranged)[:2] == ([str(first)] if first == last else [str(first), str(last)])
    published = json.loads(Client().get(f"/public/seals/{seq}.json").content)
    assert published["seal_hash"] == proof["seal_hash"] and published["merkle_root"] == proof["merkle_root"]
    assert published["first_entry_id"] <= proof["entry_id"] <= published["last_entry_id"]
    newest = json.loads(Client().get("/public/seals.json").content)["seals"][0]
    assert newest["seq"] == seq and newest["seal_hash"] == proof["seal_hash"]


def test_the_disclosure_index_links_the_seals(client, db):
    body = client.get("/public/").content.decode()
    assert 'href="/public/seals/" data-testid="seals-link"' in body


def test_no_seals_yet(client, db):
    r = client.get("/public/seals/")
    assert r.status_code == 200 and 'data-testid="empty"' in r.content.decode()
    body = json.loads(client.get("/public/seals.json").content)
    assert body["count"] == 0 and body["seals"] == [] and body["older"] is None and body["newer"] is None


def test_seals_page_newest_first_with_range_root_and_time(client, db):
    seals = _seals(3)
    r = client.get("/public/seals/")
    assert r.status_code == 200
    body = r.content.decode()
    assert re.findall(r'data-seq="(\d+)"', body) == ["3", "2", "1"]
    for s in seals:
        assert s.merkle_root in body and s.seal_hash in body and f'href="/public/seals/{s.seq}/"' in body
    assert 'data-testid="seals-older"' not in body and 'data-testid="seals-newer"' not in body
    ranges = re.findall(r'data-testid="seal-range">([^<]*)<', body)
    assert [re.findall(r"\d+", text) for text in ranges] == [[str(s.first_entry_id)] for s in reversed(seals)]
    data = json.loads(client.get("/public/seals.json").content)
    assert data["count"] == 3 and data["seal_every_minutes"] == 10
    first = data["seals"][0]
    assert set(first) == {"seq", "sealed_at", "first_entry_id", "last_entry_id", "entry_count", "merkle_root", "prev_hash",
                          "seal_hash", "url"}
    assert first["seq"] == 3 and first["seal_hash"] == seals[2].seal_hash and first["prev_hash"] == seals[1].seal_hash
    assert first["sealed_at"].endswith("+08:00") and first["url"] == "http://testserver/public/seals/3/"
    assert (first["first_entry_id"], first["last_entry_id"], first["entry_count"]) == (
        seals[2].first_entry_id, seals[2].last_entry_id, 1)
    one = client.get("/public/seals/2/")
    assert one.status_code == 200
    text = one.content.decode()
    assert seals[1].seal_hash in text and seals[1].prev_hash in text
    assert f"2|{seals[1].first_entry_id}|{seals[1].last_entry_id}|1|{seals[1].merkle_root}|{seals[1].prev_hash}" in text
    assert 'href="/public/seals/1/" data-testid="seal-previous"' in text and 'href="/public/seals/3/" data-testid="seal-next"' in text


def test_seals_are_paged_by_sequence(client, db):
    _seals(PAGE_SIZE + 5)  # 30
    data = json.loads(client.get("/public/seals.json").content)
    assert [s["seq"] for s in data["seals"]] == list(range(30, 5, -1))
    assert data["older"] == "http://testserver/public/seals.json?before=6" and data["newer"] is None
    older = json.loads(client.get("/public/seals.json?before=6").content)
    assert [s["seq"] for s in older["seals"]] == [5, 4, 3, 2, 1] and older["older"] is None
    assert older["newer"] == "http://testserver/public/seals.json"  # the newest page has no cursor
    middle = json.loads(client.get("/public/seals.json?before=28").content)
    assert [s["seq"] for s in middle["seals"]] == list(range(27, 2, -1))
    assert middle["newer"] == "http://testserver/public/seals.json" and middle["older"].endswith("?before=3")
    deep = json.loads(client.get("/public/seals.json?before=3").content)
    assert deep["newer"].endswith("?before=28")
    page = client.get("/public/seals/?before=6").content.decode()
    assert re.findall(r'data-seq="(\d+)"', page) == ["5", "4", "3", "2", "1"]
    assert 'data-testid="seals-newer"' in page and 'data-testid="seals-older"' not in page
    first = client.get("/public/seals/").content.decode()
    assert 'href="/public/seals/?before=6"' in first and 'href="/public/seals.json"' in first


def test_the_seals_page_costs_the_same_for_many_seals(client, db):
    _seals(2)
    client.get("/public/seals/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/public/seals/").status_code == 200
    a = account_open(code="more-a", name="a", unit="CNY", type="asset")
    b = account_open(code="more-b", name="b", unit="CNY", type="liability")
    for _ in range(PAGE_SIZE + 3):
        entry_post(legs=[(a, "1.00"), (b, "-1.00")])
        sealing.seal_create()
    with CaptureQueriesContext(connection) as many:
        assert client.get("/public/seals/?before=10").status_code == 200
    assert len(many.captured_queries) <= len(few.captured_queries) + 1  # the newer page's look-up


def test_seals_name_nobody(client, books):
    intent = pay(client, give(client, books))
    sealing.seal_create()
    leaf = sealing.inclusion_proof(intent.donation.entry_id)["leaf_data"]
    assert "林晓红" in leaf  # the entry itself names the donor ...
    for target in ("/public/seals/", "/public/seals.json", "/public/seals/1/", "/public/seals/1.json"):
        body = Client().get(target).content.decode()
        assert "林晓红" not in body and "晓红" not in body and leaf not in body, target  # ... its seal does not
        assert intent.ref not in body


@pytest.mark.parametrize("before", ["abc", "0", "-1", "1.5", "9" * 20, "1e3", "1\u202e"])
def test_a_bad_cursor_is_refused_with_its_code(client, db, before):
    _seals(1)
    r = client.get("/public/seals.json", {"before": before})
    assert r.status_code == 400 and r["Content-Type"].startswith("application/json")
    assert json.loads(r.content)["code"], r.content
    page = client.get("/public/seals/", {"before": before})
    assert page.status_code == 400 and "data-error-code=" in page.content.decode()


def test_unknown_seals_and_other_methods(client, db):
    _seals(1)
    assert client.get("/public/seals/2/").status_code == 404
    r = client.get("/public/seals/2.json")
    assert r.status_code == 404 and json.loads(r.content)["code"] == "seal_not_found"
    assert client.get("/public/seals/" + "9" * 19 + "/").status_code == 404  # past the id converter
    r = client.get("/public/seals/" + "9" * 19 + ".json")
    assert r.status_code == 404 and r["Content-Type"].startswith("application/json")
    assert client.get("/public/seals/0/").status_code == 404
    for target in ("/public/seals/", "/public/seals.json", "/public/seals/1/", "/public/seals/1.json"):
        assert client.post(target).status_code == 405, target


def test_anyone_signed_in_sees_the_same_seals(login, db):
    _seals(2)
    anonymous = Client().get("/public/seals.json").content
    for name in ("donor", "volunteer", "station_worker", "finance"):
        assert login(name).get("/public/seals.json").content == anonymous, name
