"""What the route walk asks about on the micro-wishes' pages and API: objects made through the services, and who may see
them.

李伟 of 都府 becomes a beneficiary of the 北京街 station and consents to his wish being posted; the station posts an open
wish (a desk lamp) and a second one (an electric fan) that the donor has claimed. The wall and a wish's public page are
for everyone; a station's wish page for its staff and the officers above; a claim for its claimant. The bindings are
built when the walk first reads them (test_route_walk imports this module before it defines `Binding`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shanlian.cases import services as cs
from shanlian.cases.models import Category, ConsentText
from shanlian.cases.standard import standard_data
from shanlian.wishes import services as ws
from shanlian.wishes import services_fulfil as wf
from tests.web.lazy import Lazy


def _bindings() -> dict[str, Any]:
    from tests.web.test_route_walk import NO_ID, Binding, staff

    bjj = staff("city_admin", "district_admin", "street_officer", "agency_manager", "station_worker")
    return {
        "wish_id": Binding(lambda s, r: s.wishes.open.pk, bjj, NO_ID,
                           "a 北京街 wish's station page: its station's staff, and its street, district and city (masked)"),
        "wish_claim_id": Binding(lambda s, r: s.wishes.claim.pk, frozenset({"donor"}), NO_ID,
                                 "the donor's own claim: the claimant alone"),
    }


def _public() -> dict[tuple[str, str], Any]:
    from tests.web.test_route_walk import NO_ID, Binding

    public = Binding(lambda s, r: s.wishes.open.pk, None, NO_ID, "an open wish on the public wall: anyone, no login")
    return {("wishes_public", "wish_id"): public}


def _routes() -> dict[tuple[str, str], Any]:
    from tests.web.test_route_walk import NO_ID, SIGNED_IN, Binding, staff

    anyone = Binding(lambda s, r: s.wishes.open.pk, SIGNED_IN - {"station_worker", "agency_manager"}, NO_ID,
                     "claiming an open wish: any signed-in person but the 北京街 station's own staff (403 own_station)")
    public = Binding(lambda s, r: s.wishes.open.pk, None, NO_ID, "an open wish's public data: anyone, no login")
    return {
        ("wishes:claim", "wish_id"): anyone,
        ("POST /api/wishes/wall/{wish_id}/claim", "wish_id"): anyone,
        ("GET /api/wishes/wall/{wish_id}", "wish_id"): public,
        ("wishes:photo", "wish_id"): Binding(lambda s, r: s.wishes.confirmed.pk, staff("city_admin", "district_admin", "street_officer",
                                                                                       "agency_manager", "station_worker"), NO_ID,
                                             "a confirmed wish's hand-over photo: its station's staff and the officers above"),
    }


BINDINGS: Mapping[str, Any] = Lazy(_bindings)
BY_NAMESPACE: Mapping[tuple[str, str], Any] = Lazy(_public)
BY_ROUTE: Mapping[tuple[str, str], Any] = Lazy(_routes)
WALKERS: tuple[str, ...] = ()


@dataclass
class WishesSite:
    open: Any
    claimed: Any
    claim: Any
    confirmed: Any


def build(city: Any, users: dict[str, Any]) -> Any:
    worker = users["station_worker"]
    standard_data(Category, ConsentText)
    cat = Category.objects.get(code="dibao")
    person = city.people["李伟"]
    beneficiary = cs.beneficiary_register(actor=worker, person=person, station=city.stations["北京街"], categories=[cat],
                                          living_situation="family")
    cs.consent_record(actor=worker, beneficiary=beneficiary, purpose="wish", recipients=["donor"],
                      given_on=timezone.localdate() - dt.timedelta(days=3))
    soon = timezone.localdate() + dt.timedelta(days=20)
    lamp = ws.wish_register(actor=worker, beneficiary=beneficiary, title="护眼台灯", wish_for="student", kind="goods", value="120",
                            needed_by=soon)
    fan = ws.wish_register(actor=worker, beneficiary=beneficiary, title="电风扇", wish_for="family", kind="goods", value="180",
                           needed_by=soon)
    claim = ws.wish_claim(actor=users["donor"], wish=fan)
    haircut = ws.wish_register(actor=worker, beneficiary=beneficiary, title="上门理发", wish_for="family", kind="service", value="40",
                               needed_by=soon)
    ws.wish_claim(actor=users["volunteer"], wish=haircut)
    wf.wish_fulfil(actor=worker, wish=haircut, kind="service", value="40")
    png = SimpleUploadedFile("handover.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, content_type="image/png")
    wf.wish_confirm(actor=worker, wish=haircut, photo=png, acknowledged_by="beneficiary", acknowledged_how="signature",
                    acknowledged_on=timezone.localdate())
    return WishesSite(open=lamp, claimed=fan, claim=claim, confirmed=haircut)
