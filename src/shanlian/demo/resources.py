"""The resource hub's demo: 越秀区's partners (a hospital's free clinics, a school's tutoring and hall, a grain-and-oil
firm, a supermarket's vouchers, a property company's venue, the district's human-resources bureau) and the needs of the
district's stations, matched by the district's officer, partly delivered and confirmed. Written through the services,
under the demo's simulated clock: the offers and needs came in a month before last month's end, the officer matched them
three days later, the rice, oil and a first clinic were handed over and confirmed last month (so last month's report
counts them), and a second clinic was held today and awaits the station's confirmation. A second run finds it done and
writes nothing.

The hospital's volunteer office signs in as `partner` (陈志远, 志愿服务部主任 of 广州市越秀区中医医院, a member of the partner):
its "My resources" page (我的资源) shows its offers, their matches and what it gave.

Call it after the demo city is seeded: `from shanlian.demo.resources import seed_resources; seed_resources()`."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from stdnum.cn import ric

from shanlian.orgs.models import Station
from shanlian.people import services as people_services
from shanlian.places.models import Division, Level
from shanlian.resources import selectors as sel
from shanlian.resources import services as rs
from shanlian.resources.models import Match, Partner, PartnerMember

from .data import demo_password
from .timebank_clock import SimulatedClock, _local

# The partner's own staff member who signs in (username, name, position, partner).
PARTNER_LOGIN = ("partner", "陈志远", "志愿服务部主任", "广州市越秀区中医医院")
DISTRICT = "越秀区"
HOME_STREET = "北京街道"

CATEGORIES = [("义诊", "service", "人次"), ("课业辅导", "skill", "小时"), ("活动场地", "venue", "场"), ("大米", "goods", "袋"),
              ("食用油", "goods", "桶"), ("超市购物券", "goods", "张"), ("政策宣讲", "information", "场"),
              ("慈善资金", "money", "")]

# (partner, kind, based in: "district" or "street"), then its offers: (category, title, quantity, serves, days from
# today it is available from, days to its end or None, description)
PARTNERS: list[tuple[str, str, str, list[tuple[str, str, str, str, int, int | None, str]]]] = [
    ("广州市越秀区中医医院", "hospital", "district", [
        ("义诊", "“健康进社区”中医义诊", "160", "district", -60, 120, "每月两次，测血压血糖、中医问诊、用药咨询，面向辖内长者。"),
    ]),
    ("广州市越秀区北京街小学", "school", "street", [
        ("课业辅导", "教师志愿者课业辅导", "80", "street", -10, 150, "周末和寒假，为困境儿童辅导语文、数学、英语。"),
        ("活动场地", "学校礼堂周末借用", "10", "street", 0, 180, "可容纳 200 人，周六日开放，需提前一周预约。"),
    ]),
    ("广州粤丰粮油有限公司", "firm", "district", [
        ("大米", "爱心大米（10 公斤装）", "300", "district", -45, 60, "冬季和春节前为低保、特困家庭送米。"),
        ("食用油", "爱心食用油（5 升装）", "150", "district", -45, 60, "与爱心大米一同配送到社工站。"),
    ]),
    ("华润万家越秀东风店", "firm", "district", [
        ("超市购物券", "100 元超市购物券", "200", "district", 0, 90, "可在本店购买生活用品，不可兑换现金。"),
    ]),
    ("广州越秀城建物业管理有限公司", "firm", "street", [
        ("活动场地", "小区会所活动室", "12", "street", 0, None, "物业免费提供，适合小组活动和长者课堂。"),
    ]),
    ("广州市越秀区人力资源和社会保障局", "government", "district", [
        ("政策宣讲", "就业与社保政策进社区宣讲", "12", "district", 7, 200, "讲解灵活就业参保、失业登记和技能培训补贴。"),
    ]),
]

# Needs: (station index in the district, category, title, quantity, days until needed, description)
NEEDS: list[tuple[int, str, str, str, int, str]] = [
    (0, "义诊", "独居长者上门义诊", "40", 30, "辖内 40 位独居长者，行动不便，需上门测量血压血糖。"),
    (0, "课业辅导", "困境儿童寒假课业辅导", "60", 45, "12 名困境儿童，每人每周 2 小时，共 5 周。"),
    (0, "大米", "低保特困家庭春节慰问（大米）", "80", 40, "春节前慰问 80 户低保、特困家庭。"),
    (0, "食用油", "低保特困家庭春节慰问（食用油）", "80", 40, "与大米一同送到各户。"),
    (0, "活动场地", "长者“防诈骗”讲座场地", "2", 25, "约 120 位长者参加，需要礼堂。"),
    (1, "义诊", "长者健康讲座与义诊", "60", 35, "结合重阳敬老月活动。"),
    (1, "超市购物券", "困难家庭临时救助购物券", "50", 20, "发放给遭遇突发困难的家庭。"),
    (1, "大米", "困难长者送米", "120", 40, "辖内孤寡、困难长者。"),
    (2, "政策宣讲", "失业人员就业政策宣讲", "2", 60, "社区失业登记人员约 60 人。"),
    (2, "活动场地", "青少年暑期小组活动室", "6", 50, "每周一次，共 6 次。"),
    (2, "食用油", "困难家庭送油", "50", 40, ""),
]


def _division(name: str, level: str, parent: Division | None = None) -> Division:
    qs = Division.objects.filter(name=name, level=level)
    return (qs.filter(path__startswith=parent.path) if parent else qs).order_by("path").get()


@transaction.atomic
def seed_resources() -> Counter[str]:
    """Offers, needs, matches, deliveries and confirmations of 越秀区; found done on a second run (nothing written)."""
    counts: Counter[str] = Counter()
    users = {u.username: u for u in get_user_model().objects.filter(
        username__in=["admin", "city_admin", "district_admin", "station_worker"])}
    admin, district_admin, worker = users["admin"], users["district_admin"], users["station_worker"]
    yx = _division(DISTRICT, Level.DISTRICT)
    home = _division(HOME_STREET, Level.STREET, yx)
    if Match.objects.filter(offer__partner__division__path__startswith=yx.path).exists():
        _partner_login(district_admin, home, counts)
        return counts
    today = timezone.localdate()
    last_month_end = today.replace(day=1) - dt.timedelta(days=1)
    clock = SimulatedClock()
    with clock.installed():
        clock.at(_local(last_month_end - dt.timedelta(days=30), "09:30"))  # offers and needs come in
        _register(users, yx, home, today, counts)
        _match_and_deliver(clock, district_admin, worker, admin, yx, last_month_end, counts)
    _partner_login(district_admin, home, counts)
    return counts


def _register(users: dict[str, Any], yx: Division, home: Division, today: dt.date, counts: Counter[str]) -> None:
    """The categories, the partners and their offers, the stations' needs; dates are counted from the real today."""
    admin, district_admin, worker = users["admin"], users["district_admin"], users["station_worker"]
    cats = {name: rs.category_create(actor=users["city_admin"], name=name, kind=kind, unit=unit) for name, kind, unit in CATEGORIES}
    counts["resource_categories"] = len(cats)
    stations = [Station.objects.select_related("street").get(street=home), *Station.objects.filter(street__parent=yx).exclude(
        street=home).select_related("street").order_by("street__code")[:2]]
    for name, kind, based, offers in PARTNERS:
        partner = rs.partner_register(actor=district_admin, name=name, kind=kind, division=yx if based == "district" else home)
        counts["resource_partners"] += 1
        for category, title, quantity, serves, start, end, about in offers:
            rs.offer_register(actor=district_admin, partner=partner, category=cats[category], title=title, quantity=quantity,
                              division=yx if serves == "district" else home, available_from=today + dt.timedelta(days=start),
                              available_until=None if end is None else today + dt.timedelta(days=end), description=about)
            counts["resource_offers"] += 1
    for index, category, title, quantity, days, about in NEEDS:
        if index >= len(stations):
            continue
        station = stations[index]
        actor = worker if station.street_id == home.pk else admin  # 北京街's own social worker; the others' by the admin
        communities = list(Division.objects.filter(parent=station.street).order_by("code")[:1])
        rs.need_register(actor=actor, station=station, category=cats[category], title=title, quantity=quantity,
                         division=communities[0] if communities and category == "义诊" else station.street,
                         needed_by=today + dt.timedelta(days=days), description=about)
        counts["resource_needs"] += 1


def _partner_login(officer: Any, home: Division, counts: Counter[str]) -> None:
    """陈志远 of the hospital's volunteer office: a login of his own, made a member of the partner by the district's
    officer (who manages the partner). Found there, nothing is written."""
    username, name, title, partner_name = PARTNER_LOGIN
    partner = Partner.objects.filter(name=partner_name).first()
    if partner is None:
        return
    user = get_user_model().objects.filter(username__iexact=username).first()
    if user is None:
        community = Division.objects.filter(parent=home).order_by("code").first() or home
        body = "44010019790612851"  # a man born 1979-06-12 (GB 11643: odd sequence digits for men)
        person = people_services.person_create(actor=None, real_name=name, division=community, gender="M",
                                               resident_id=body + ric.calc_check_digit(body + "0"), phone="13926081851")
        user = people_services.account_create(actor=None, person=person, username=username, password=demo_password())
        counts["partner_logins"] += 1
    member = getattr(user, "person", None)
    if member is None or PartnerMember.objects.filter(partner=partner, person=member, active=True).exists():
        return
    rs.partner_member_add(actor=officer, partner=partner, person=member, title=title)
    counts["resource_partner_members"] += 1


def _match_and_deliver(clock: SimulatedClock, officer: Any, worker: Any, admin: Any, district: Division,
                       last_month_end: dt.date, counts: Counter[str]) -> None:
    """The district officer commits the proposal for the district three days after the needs came in; the firms hand the
    rice and oil over to the stations eleven days before last month ended, confirmed the next morning; the hospital's
    first clinic is held five days before it ended and confirmed the next day, its second today, awaiting confirmation."""
    clock.at(_local(last_month_end - dt.timedelta(days=27), "10:00"))
    proposed = sel.proposal_for_area(officer, district)
    made = rs.matches_commit(actor=officer, choices=[(p.offer, p.need, p.quantity) for p in proposed.plan.proposals])  # type: ignore[misc]
    counts["resource_matches"] = len(made)
    matches = [Match.objects.select_related("offer__category", "need__station__street").get(pk=m.pk) for m in made]

    def receiver(m: Match) -> Any:
        return worker if m.need.station is not None and m.need.station.street.name == HOME_STREET else admin

    handed = last_month_end - dt.timedelta(days=11)
    for m in (m for m in matches if m.offer.category.name in ("大米", "食用油")):
        clock.at(_local(handed, "15:00"))
        d = rs.delivery_record(actor=officer, match=m, quantity=str(m.committed), note="已送达社工站，按户分发")
        clock.at(_local(handed + dt.timedelta(days=1), "09:30"))
        rs.delivery_confirm(actor=receiver(m), delivery=d)
        counts["resource_deliveries_confirmed"] += 1
    clinic_day = last_month_end - dt.timedelta(days=5)
    for m in (m for m in matches if m.offer.category.name == "义诊"):
        first = max(1, m.committed // 4)
        clock.at(_local(clinic_day, "11:30"))
        d = rs.delivery_record(actor=officer, match=m, quantity=str(first), note="首场义诊：测血压血糖、中医问诊")
        clock.at(_local(clinic_day + dt.timedelta(days=1), "09:00"))
        rs.delivery_confirm(actor=receiver(m), delivery=d)
        counts["resource_deliveries_confirmed"] += 1
        if m.committed - first >= 1:
            clock.real()  # today
            rs.delivery_record(actor=officer, match=m, quantity=str(min(first, m.committed - first)), note="第二场义诊")
            counts["resource_deliveries"] += 1
