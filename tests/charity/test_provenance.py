"""Every gift names the request it came by (`Donation.audit`: who, from which address and user agent, signed in with
which token or a session), whichever path wrote it; and the campaign's progress goes to a slot picked at random on
every path, the file import's included."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from shanlian.charity import tallies
from shanlian.charity.intake.batch import BatchGiftIn
from shanlian.charity.intake.groupcommit import GroupCommitter, Ticket
from shanlian.charity.intake.importer_write import gifts_import
from shanlian.charity.models import CampaignTally, Donation
from shanlian.core.context import RequestMeta
from shanlian.people.services import api_token_create

pytestmark = pytest.mark.django_db

UA = "PayPlatform/2.1 (giving-day relay)"


def token(user) -> str:
    _, secret = api_token_create(actor=None, user=user, name="平台转发")
    return secret


def online(**kw) -> dict:
    body = {"fund": "yx-bjj", "amount": "50.00", "channel": "online", "donor_name": "网友甲", "campaign": "gd-2026",
            "donor_key": "payer-1"}
    body.update(kw)
    return body


def test_a_gift_by_the_api_names_its_request_and_token(client, books, city):
    secret = token(city.users["finance"])
    resp = client.post("/api/charity/donations", json.dumps(online()), content_type="application/json",
                       HTTP_IDEMPOTENCY_KEY="prov:1", HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_USER_AGENT=UA,
                       REMOTE_ADDR="203.0.113.7")
    assert resp.status_code == 201, resp.content
    row = Donation.objects.get(external_id="prov:1").audit
    assert (row.ip, row.user_agent, row.via, row.credential) == ("203.0.113.7", UA, "api", f"token:{secret[:8]}")
    assert row.actor == city.users["finance"] and row.after["keys"] == ["prov:1"] and row.after["gifts"] == 1


def test_a_batch_names_its_one_request_for_every_gift(client, books, city):
    secret = token(city.users["finance"])
    body = {"gifts": [{"idempotency_key": f"b:{i}", "amount": "10.00", "fund": "yx-bjj"} for i in range(3)]}
    resp = client.post("/api/charity/donations/batch", json.dumps(body), content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_USER_AGENT=UA, REMOTE_ADDR="198.51.100.4")
    assert resp.status_code == 200 and resp.json()["created"] == 3, resp.content
    rows = {d.audit_id for d in Donation.objects.filter(external_id__startswith="b:")}
    assert len(rows) == 1
    row = Donation.objects.filter(external_id="b:0").get().audit
    assert (row.ip, row.user_agent, row.credential, row.after["gifts"]) == ("198.51.100.4", UA, f"token:{secret[:8]}", 3)


def test_a_staff_page_gift_names_the_session(client, books, city):
    client.force_login(city.users["station_worker"])
    data = {"token": uuid.uuid4().hex, "channel": "cash", "point": books.point.pk, "amount": "20.00", "donor_name": "街坊"}
    response = client.post(reverse("charity:gift_create", args=[books.fund.code]), data, HTTP_USER_AGENT="Mozilla/5.0 (iPhone)",
                           REMOTE_ADDR="192.0.2.10")
    assert response.status_code == 302, response.content[:500]
    row = Donation.objects.get(external_id=data["token"]).audit
    assert (row.ip, row.user_agent, row.via, row.credential, row.actor) == (
        "192.0.2.10", "Mozilla/5.0 (iPhone)", "page", "session", city.users["station_worker"])


def test_a_group_of_requests_names_each_gift_its_own_request(books, city):
    finance = city.users["finance"]
    tickets = [Ticket(actor=finance, gift=BatchGiftIn(idempotency_key=f"g:{i}", amount="5.00", fund="yx-bjj"),
                      request=RequestMeta(ip=f"203.0.113.{i + 1}", user_agent=f"relay-{i}", via="api", credential="token:abcd1234"))
               for i in range(3)]
    GroupCommitter().commit_group(tickets)
    assert [t.result.status for t in tickets] == ["created"] * 3
    rows = [Donation.objects.get(external_id=f"g:{i}").audit for i in range(3)]
    assert [(r.ip, r.user_agent) for r in rows] == [(f"203.0.113.{i + 1}", f"relay-{i}") for i in range(3)]
    assert len({r.pk for r in rows}) == 3 and all(r.after["keys"] == [f"g:{i}"] for i, r in enumerate(rows))


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["external id", "time", "donor", "amount", "campaign or fund", "match"])
        writer.writerows(rows)
    return path


def test_an_import_names_its_command_and_adds_to_a_random_tally_slot(books, city, tmp_path, monkeypatch):
    when = (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    slots = iter([7, 3])
    monkeypatch.setattr(tallies.random, "randrange", lambda n: next(slots))
    before = dict(CampaignTally.objects.filter(campaign=books.campaign).values_list("slot", "fen"))
    call_command("charity", "import", str(_csv(tmp_path / "a.csv", [["T-1", when, "林晓红", "100", "gd-2026", ""]])),
                 "--source", "tally", stdout=io.StringIO(), stderr=io.StringIO())
    gifts_import(path=_csv(tmp_path / "b.csv", [["T-2", when, "陈大文", "30", "gd-2026", ""]]), source="tally")
    after = dict(CampaignTally.objects.filter(campaign=books.campaign).values_list("slot", "fen"))
    assert after[7] - before.get(7, 0) == 10000 and after[3] - before.get(3, 0) == 3000
    assert all(after.get(s, 0) == before.get(s, 0) for s in set(after) - {3, 7})  # slot 0 is not special any more
    row = Donation.objects.get(source="tally", external_id="T-1").audit
    assert row.via == "command" and row.object_id == "tally"
