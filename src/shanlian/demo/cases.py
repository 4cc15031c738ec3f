"""Beneficiaries of the demo city: at four stations (越秀区's 北京街, 人民街 and 东山街, 天河区's 石牌街), residents of every
category (elders living alone or without family, people on 低保 or in 特困, orphans and children in difficulty with their
guardians, people with disabilities), with their households, allowances, consents (one withdrawn, one expired) and a
data-subject request. Written through the services by the stations' own workers where the demo has one (北京街: 林晓彤,
石牌街: 吴嘉欣), else by the administrator; a second run finds them and writes nothing.

Call it after the demo city is seeded: `from shanlian.demo.cases import seed_cases; seed_cases()`."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from stdnum.cn import ric

from shanlian.cases import services as cs
from shanlian.cases.models import Beneficiary, Category, ConsentText, DataRequest
from shanlian.cases.standard import standard_data
from shanlian.core import crypto
from shanlian.orgs.models import Station
from shanlian.people import services as people_services
from shanlian.people.models import Person
from shanlian.places.models import Division, Level

# Station (street name) → the demo login who works there (None: the administrator writes).
STATIONS = {"北京街道": "station_worker", "人民街道": None, "东山街道": None, "石牌街道": "station_worker2"}

# (street, name, gender, birth date, categories, living situation, address, health, disability, finances, child's
# situation, allowances [(kind, monthly yuan, from)], household [(name, relation, lives together)], guardian
# (name, gender, birth date, relation) or None)
Spec = tuple[str, str, str, str, list[str], str, str, str, str, str, str, list[tuple[str, str, str]],
             list[tuple[str, str, bool]], tuple[str, str, str, str] | None]
PEOPLE: list[Spec] = [
    ("北京街道", "陈秀英", "F", "1941-03-15", ["elderly_alone", "elderly_advanced"], "alone", "北京路大马站12号302房",
     "高血压、膝关节退行性病变，行走需拐杖", "", "退休金每月2100元", "", [("old_age", "100.00", "2021-03-01")],
     [("黄志强", "child", False)], None),
    ("北京街道", "梁伯坚", "M", "1946-08-02", ["elderly_solitary", "tekun"], "alone", "北京路西湖路45号2楼",
     "慢性阻塞性肺病，夜间需吸氧", "", "无固定收入，特困供养", "", [("tekun", "2160.00", "2019-07-01")], [], None),
    ("北京街道", "林小雨", "F", "2016-05-01", ["child_in_difficulty", "left_behind_child"], "relatives", "北京路仰忠街8号501房",
     "轻度哮喘", "", "祖父退休金维持生活", "父母在外务工，由祖父照料；四年级，成绩中等，周末无人辅导",
     [("child", "600.00", "2024-09-01")], [("林国栋", "grandparent", True)], ("林国栋", "M", "1955-03-02", "grandparent")),
    ("北京街道", "周建华", "M", "1968-11-20", ["disability", "dibao"], "family", "北京路文明路66号1楼",
     "脑卒中后遗症，右侧肢体偏瘫", "肢体残疾二级，残疾证号4401001968112000xx", "家庭月收入低于低保线",
     "", [("dibao", "1120.00", "2022-01-01"), ("disability_living", "180.00", "2022-01-01")], [("周太太", "spouse", True)], None),
    ("人民街道", "何桂芳", "F", "1939-12-08", ["elderly_alone", "elderly_advanced"], "alone", "人民中路光塔路15号403房",
     "轻度认知障碍，需每周探访", "", "退休金每月1800元", "", [("old_age", "200.00", "2019-12-01")], [], None),
    ("人民街道", "黄嘉豪", "M", "2013-02-14", ["orphan"], "relatives", "人民中路诗书路22号",
     "", "", "孤儿基本生活费", "父母双亡，由姑母监护；初二，学习积极", [("orphan", "1900.00", "2020-03-01")],
     [("黄美玲", "relative", True)], ("黄美玲", "F", "1980-06-18", "relative")),
    ("人民街道", "冯志伟", "M", "1975-04-09", ["dibao", "dibao_edge"], "family", "人民北路盘福路9号601房",
     "", "", "失业，妻子打零工，家庭月收入约2500元", "", [("dibao", "860.00", "2025-05-01")],
     [("冯太太", "spouse", True), ("冯小明", "child", True)], None),
    ("东山街道", "吴美玲", "F", "1958-07-30", ["disability", "severe_disability"], "family", "东山口署前路3号",
     "视力残疾，双目失明", "视力残疾一级", "重度残疾人护理补贴", "", [("disability_care", "240.00", "2018-01-01")],
     [("吴国强", "sibling", True)], None),
    ("东山街道", "郭振邦", "M", "1944-01-22", ["elderly_empty_nest"], "spouse", "东山口新河浦路18号",
     "糖尿病，需定期测血糖", "", "退休金夫妇合计每月5200元", "", [], [("郭太太", "spouse", True)], None),
    ("东山街道", "邓子轩", "M", "2018-09-10", ["unsupported_child"], "relatives", "东山口庙前西街7号",
     "", "", "事实无人抚养儿童保障金", "父亲失联、母亲重病，由外婆照料；幼儿园大班",
     [("child", "1900.00", "2023-01-01")], [("邓外婆", "grandparent", True)], ("李淑贞", "F", "1956-04-12", "grandparent")),
    ("石牌街道", "张建国", "M", "1950-10-01", ["elderly_alone", "dibao"], "alone", "石牌西路88号东座1202房",
     "冠心病，装有心脏支架", "", "低保，每月另有少量子女资助", "", [("dibao", "1120.00", "2020-10-01")],
     [("张丽", "child", False)], None),
    ("石牌街道", "赵晓燕", "F", "1985-03-27", ["disability"], "family", "石牌东路12号3楼",
     "", "听力残疾三级", "在社区工厂就业，月收入3000元", "", [("disability_living", "180.00", "2021-06-01")], [], None),
]


def _division(name: str, level: str) -> Division:
    return Division.objects.filter(name=name, level=level).order_by("path").first()  # type: ignore[return-value]


def _resident_id(born: str, seq: int, gender: str) -> str:
    # Sequence digits: odd for men, even for women (GB 11643); the city's code is valid for any birth year.
    n = seq * 2 + (1 if gender == "M" else 0)
    body = f"440100{born.replace('-', '')}{800 + n % 200:03d}"
    return body + ric.calc_check_digit(body + "0")


def _person(name: str, gender: str, born: str, community: Division, seq: int, counts: Counter[str]) -> Person:
    rid = _resident_id(born, seq, gender)
    found = Person.objects.filter(resident_id_hash=crypto.blind_index(rid, purpose="resident_id")).first()
    if found is not None:
        return found
    counts["people"] += 1
    return people_services.person_create(actor=None, real_name=name, division=community, resident_id=rid, gender=gender,
                                         phone=f"139{20260000 + seq:08d}")


@transaction.atomic
def seed_cases() -> Counter[str]:
    """Beneficiaries of every category at four stations, with consents; found done on a second run (nothing written)."""
    counts: Counter[str] = Counter()
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["admin", "station_worker", "station_worker2"])}
    admin = users.get("admin") or get_user_model().objects.filter(is_superuser=True).order_by("id").first()
    standard_data(Category, ConsentText)  # as migration 0002 writes them (a test that emptied the tables left none)
    cats = {c.code: c for c in Category.objects.all()}
    today = timezone.localdate()
    for seq, (street_name, name, gender, born, codes, living, address, health, disability, finances, child, allowances,
              household, guardian) in enumerate(PEOPLE, start=1):
        street = _division(street_name, Level.STREET)
        station = Station.objects.filter(street=street).first()
        if station is None:
            continue
        community = Division.objects.filter(parent=street, level=Level.COMMUNITY).order_by("code").first() or street
        worker = users.get(STATIONS[street_name] or "", admin)
        person = _person(name, gender, born, community, seq, counts)
        if Beneficiary.objects.filter(person=person).exists():
            continue
        guardians = []
        if guardian is not None:
            g_name, g_gender, g_born, relation = guardian
            guardians = [(_person(g_name, g_gender, g_born, community, seq + 100, counts), relation)]
        b = cs.beneficiary_register(actor=worker, person=person, station=station, categories=[cats[c] for c in codes],
                                    living_situation=living, address=address, health=health, disability=disability,
                                    finances=finances, child_situation=child, guardians=guardians)
        counts["beneficiaries"] += 1
        for kind, amount, since in allowances:
            cs.allowance_add(actor=worker, beneficiary=b, kind=kind, monthly_amount=amount, starts_on=dt.date.fromisoformat(since))
            counts["allowances"] += 1
        for member, relation, together in household:
            cs.household_member_add(actor=worker, beneficiary=b, name=member, relation=relation, lives_together=together)
            counts["household"] += 1
        _consents(worker, b, codes, seq, today, counts)
    _requests(users.get("station_worker", admin), today, counts)
    from shanlian.demo.cases_cycle import seed_case_cycle

    counts.update(seed_case_cycle())  # the case cycle over these beneficiaries (demo/cases_cycle.py)
    return counts


def _consents(worker: Any, b: Beneficiary, codes: list[str], seq: int, today: dt.date, counts: Counter[str]) -> None:
    """A consent to services for everyone (a guardian's for a child), to assistance for those on allowances, to
    safeguarding for children; one consent to publicity withdrawn, one to referral expired."""
    guardian = b.guardians.filter(ended_on__isnull=True).first()
    by: dict[str, Any] = {"given_by": "guardian", "guardian": guardian} if guardian is not None else {}
    given = today - dt.timedelta(days=30 + seq * 17)
    cs.consent_record(actor=worker, beneficiary=b, purpose="service", recipients=["station", "agency"], given_on=given, **by)
    counts["consents"] += 1
    if {"dibao", "tekun", "dibao_edge", "disability", "severe_disability", "orphan", "unsupported_child"} & set(codes):
        cs.consent_record(actor=worker, beneficiary=b, purpose="assistance", recipients=["civil_affairs", "community"],
                          given_on=given, **by)
        counts["consents"] += 1
    if guardian is not None:
        cs.consent_record(actor=worker, beneficiary=b, purpose="safeguarding", recipients=["station", "agency"], given_on=given,
                          **by)
        counts["consents"] += 1
    if seq == 1:
        c = cs.consent_record(actor=worker, beneficiary=b, purpose="publicity", recipients=["station"], given_on=given)
        cs.consent_withdraw(actor=worker, consent=c, withdrawn_on=today - dt.timedelta(days=3))
        counts["consents_withdrawn"] += 1
    if seq == 2:
        old = today - dt.timedelta(days=800)
        cs.consent_record(actor=worker, beneficiary=b, purpose="referral", recipients=["health"], given_on=old,
                          expires_on=old + dt.timedelta(days=365))
        counts["consents_expired"] += 1


def _requests(worker: Any, today: dt.date, counts: Counter[str]) -> None:
    first = Beneficiary.objects.filter(station__street__name="北京街道").order_by("id").first()
    if first is None or DataRequest.objects.filter(beneficiary=first).exists():
        return
    answered = cs.data_request_record(actor=worker, beneficiary=first, kind="access", received_on=today - dt.timedelta(days=9))
    cs.data_request_answer(actor=worker, request=answered, note="已打印个人信息副本，当面交付本人")
    cs.data_request_record(actor=worker, beneficiary=first, kind="correction", received_on=today - dt.timedelta(days=2),
                           details="住址门牌号应为12号之一")
    counts["data_requests"] += 2
