"""What the route walk asks about on the resource hub's pages and API: objects made through the services, and who may
see them.

越秀区中医院 (a hospital partner of 越秀区, registered by the district) offers free clinics to the whole district; the
北京街 station needs some for its elders in 盐运西; the district committed a match and recorded a first delivery, not yet
confirmed. 陈志远 of the hospital's volunteer office, a member of the partner added by the district, walks as `partner`:
he alone (and the superuser) opens the partner pages ("My resources") of its offer and match; the hub's pages refuse him.
The bindings are built when the walk first reads them (test_route_walk imports this module before it defines
`Binding`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from shanlian.resources import services as rs
from tests import factories as f
from tests.web.lazy import Lazy


def _bindings() -> dict[str, Any]:
    from tests.web.test_route_walk import NO_ID, Binding, staff

    yuexiu_bjj = staff("city_admin", "district_admin", "street_officer", "agency_manager", "station_worker")
    return {
        "resource_need_id": Binding(lambda s, r: s.resources.need.pk, yuexiu_bjj, NO_ID,
                                    "the 北京街 station's need: its staff (worker, agency), its street, district and city"),
        "resource_offer_id": Binding(lambda s, r: s.resources.offer.pk, yuexiu_bjj, NO_ID,
                                     "越秀区中医院's offer serving 越秀: the district's officers and stations' staff, and the city"),
        "resource_match_id": Binding(lambda s, r: s.resources.match.pk, yuexiu_bjj, NO_ID,
                                     "that offer matched to that need: whoever sees either"),
        "resource_delivery_id": Binding(lambda s, r: s.resources.delivery.pk, yuexiu_bjj, NO_ID,
                                        "the match's first delivery: the same readers (the 北京街 station confirms it)"),
        "resource_partner_id": Binding(lambda s, r: s.resources.offer.partner_id, yuexiu_bjj, NO_ID,
                                       "越秀区中医院, based in 越秀: whoever sees its offers in the hub (its members are kept by the "
                                       "district, the city, and the staff of the street it is based in)"),
        "resource_member_id": Binding(lambda s, r: s.resources.member.pk, yuexiu_bjj, NO_ID,
                                      "陈志远's membership of 越秀区中医院: as the partner"),
    }


def _by_route() -> dict[tuple[str, str], Any]:
    from tests.web.test_route_walk import NO_ID, Binding, staff

    own = staff("partner")
    offer = Binding(lambda s, r: s.resources.offer.pk, own, NO_ID, "越秀区中医院's offer on its partner pages: its member")
    match = Binding(lambda s, r: s.resources.match.pk, own, NO_ID, "a match of that offer on its partner pages: its member")
    mine_offer, mine_match = "/api/resources/mine/offers/{resource_offer_id}", "/api/resources/mine/matches/{resource_match_id}"
    return {
        ("resources:mine_offer", "resource_offer_id"): offer,
        (f"GET {mine_offer}", "resource_offer_id"): offer,
        (f"PUT {mine_offer}", "resource_offer_id"): offer,
        (f"POST {mine_offer}/withdraw", "resource_offer_id"): offer,
        ("resources:mine_match", "resource_match_id"): match,
        (f"GET {mine_match}", "resource_match_id"): match,
        (f"POST {mine_match}/deliveries", "resource_match_id"): match,
    }


BINDINGS: Mapping[str, Any] = Lazy(_bindings)
BY_NAMESPACE: dict[tuple[str, str], Any] = {}
BY_ROUTE: Mapping[tuple[str, str], Any] = Lazy(_by_route)
# 陈志远, a member of the hospital partner (no role of his own): the partner pages' walker.
WALKERS: tuple[str, ...] = ("partner",)


@dataclass
class ResourcesSite:
    offer: Any
    need: Any
    match: Any
    delivery: Any
    member: Any


def build(city: Any, users: dict[str, Any]) -> Any:
    today = timezone.localdate()
    clinic = rs.category_create(actor=users["city_admin"], name="义诊", kind="service", unit="人次")
    hospital = rs.partner_register(actor=users["district_admin"], name="越秀区中医院", kind="hospital", division=city.districts["越秀"])
    offer = rs.offer_register(actor=users["district_admin"], partner=hospital, category=clinic, title="社区义诊", quantity="100",
                              division=city.districts["越秀"], available_from=today)
    need = rs.need_register(actor=users["station_worker"], station=city.stations["北京街"], category=clinic, title="独居长者义诊",
                            quantity="30", division=city.communities["盐运西"], needed_by=today + dt.timedelta(days=20))
    match = rs.matches_commit(actor=users["district_admin"], choices=[(offer.pk, need.pk, 30)])[0]
    delivery = rs.delivery_record(actor=users["district_admin"], match=match, quantity="12")
    users["partner"] = f.user_with_role("partner", "", person_in=city.communities["东兴"], name="陈志远")  # no round's resident
    member = rs.partner_member_add(actor=users["district_admin"], partner=hospital, person=users["partner"].person,
                                   title="志愿服务部主任")
    return ResourcesSite(offer=offer, need=need, match=match, delivery=delivery, member=member)
