"""The station's catalog page: adding items, and handing over or cancelling redemptions (page and API)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shanlian.core.models import AuditLog
from shanlian.timebank import services as ts
from shanlian.timebank.models import CatalogItem, Redemption, RedemptionStatus

from .test_api import code, post
from .test_selectors import approved

URL = "/timebank/manage/catalog/"


@pytest.fixture
def redeemed(bank, city, settings):
    """小何 (5 approved hours, the first star set at 4) holds one pending redemption of a haircut at 北京街."""
    settings.SHANLIAN = {**settings.SHANLIAN, "TIMEBANK_STAR_HOURS": (4, 10, 600, 1000, 1500)}
    approved(bank, city, bank.vol, "5")
    item = ts.catalog_item_create(actor=bank.organizer, station=city.stations["北京街"], name="义剪理发一次", price="2", stock=5,
                                  per_person_limit=3, merchant="北京街阿芳理发店")
    return ts.redemption_create(actor=bank.vol_user, volunteer=bank.vol, item=item, idempotency_key="r1")


def test_who_may_open_the_catalog_page(client, city, login):
    resp = client.get(URL)
    assert resp.status_code == 302 and resp["Location"].startswith(reverse("login"))
    for name in ("volunteer", "street_officer", "finance"):
        assert login(name).get(URL).status_code == 403, name
    assert login("station_worker").get(URL).status_code == 200
    assert login("agency_manager").get(URL).status_code == 200


def test_add_an_item_and_bad_input_writes_nothing(city, login):
    client = login("station_worker")
    station = city.stations["北京街"]
    base = {"station": station.pk, "name": "小家电维修", "merchant": "", "price": "2", "stock": "30", "per_person_limit": "2"}
    for bad, expect in (({"price": "0"}, "amount_not_positive"), ({"price": "1.2"}, "hours_step"), ({"price": "abc"}, "invalid_number"),
                        ({"stock": "-1"}, "min_value"), ({"name": ""}, "required"),
                        ({"station": city.stations["石牌街"].pk}, "invalid_choice")):
        resp = client.post(URL, {**base, **bad})
        assert resp.status_code == 400 and f'data-error-code="{expect}"' in resp.content.decode(), (bad, expect)
    assert not CatalogItem.objects.exists()
    resp = client.post(URL, base)
    assert resp.status_code == 302
    item = CatalogItem.objects.get()
    assert (item.name, item.price.value, item.stock, item.per_person_limit, item.station) == ("小家电维修", Decimal("2.0"), 30, 2, station)
    assert "小家电维修" in client.get(URL).content.decode()


def test_hand_over_and_cancel_from_the_page(bank, city, login, redeemed):
    other = login("other_worker")
    assert redeemed.pk and f'data-redemption-id="{redeemed.pk}"' not in other.get(URL).content.decode()
    resp = other.post(reverse("timebank:manage_redemption_fulfil", args=[redeemed.pk]))
    assert resp.status_code == 404 and AuditLog.objects.filter(action="access.denied", object_id=str(redeemed.pk)).exists()
    redeemed.refresh_from_db()
    assert redeemed.status == RedemptionStatus.PENDING
    client = login("station_worker")
    page = client.get(URL).content.decode()
    assert f'data-redemption-id="{redeemed.pk}"' in page and "ZY" in page and "志愿者小何" in page  # the station's own staff
    wrong = client.post(reverse("timebank:manage_redemption_fulfil", args=[redeemed.pk]), {"pickup_code": "x"}, follow=True)
    assert 'data-error-code="pickup_code_wrong"' in wrong.content.decode()
    redeemed.refresh_from_db()
    assert redeemed.status == RedemptionStatus.PENDING
    client.post(reverse("timebank:manage_redemption_fulfil", args=[redeemed.pk]), {"pickup_code": redeemed.pickup_code})
    redeemed.refresh_from_db()
    assert redeemed.status == RedemptionStatus.FULFILLED and redeemed.fulfilled_by == city.users["station_worker"]
    resp = client.post(reverse("timebank:manage_redemption_cancel", args=[redeemed.pk]), follow=True)
    assert "redemption_fulfilled" in resp.content.decode()
    again = ts.redemption_create(actor=bank.vol_user, volunteer=bank.vol, item=redeemed.item, idempotency_key="r2")
    bank.vol.account.refresh_from_db()
    assert bank.vol.account.balance == Decimal("1.00")
    client.post(reverse("timebank:manage_redemption_cancel", args=[again.pk]))
    again.refresh_from_db()
    bank.vol.account.refresh_from_db()
    assert again.status == RedemptionStatus.CANCELLED and bank.vol.account.balance == Decimal("3.00")
    assert client.get(reverse("timebank:manage_redemption_fulfil", args=[again.pk])).status_code == 405


def test_page_query_count_does_not_grow(bank, city, login, redeemed):
    client = login("station_worker")
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    mum_item = ts.catalog_item_create(actor=bank.organizer, station=city.stations["北京街"], name="米面油套装", price="1", stock=9)
    ts.redemption_create(actor=bank.vol_user, volunteer=bank.vol, item=mum_item, idempotency_key="r9")
    with CaptureQueriesContext(connection) as many:
        client.get(URL)
    assert len(many) == len(few)


def test_fulfil_through_the_api(bank, city, login, redeemed):
    path = f"/redemptions/{redeemed.pk}/fulfil"
    body = {"pickup_code": redeemed.pickup_code}
    assert post(login("volunteer"), path, body).status_code == 403
    resp = post(login("other_worker"), path, body)
    assert resp.status_code == 404
    resp = post(login("station_worker"), path, {"pickup_code": "12345"})
    assert resp.status_code == 400 and code(resp) == "pickup_code_wrong"
    assert post(login("station_worker"), path).status_code == 400  # no code: refused by the schema
    resp = post(login("station_worker"), path, body)
    answer = resp.json()
    assert resp.status_code == 200 and answer["status"] == "fulfilled" and answer["volunteer"] == bank.vol.number
    assert post(login("station_worker"), path, body).json()["status"] == "fulfilled"  # again: quiet
    other = ts.redemption_create(actor=bank.vol_user, volunteer=bank.vol, item=redeemed.item, idempotency_key="r3")
    ts.redemption_cancel(actor=bank.vol_user, redemption=other)
    resp = post(login("station_worker"), f"/redemptions/{other.pk}/fulfil", {"pickup_code": other.pickup_code})
    assert resp.status_code == 409 and code(resp) == "redemption_cancelled"
    assert Redemption.objects.get(pk=other.pk).status == RedemptionStatus.CANCELLED
