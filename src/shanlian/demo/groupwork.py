"""Group work and community activities of the demo city: at the 北京街道 station (林晓彤) and the 石牌街道 station (吴嘉欣),
groups with their members (residents of the street, the station's beneficiaries among them) and weekly or fortnightly
sessions over the past three months, and community activities (重阳节敬老千叟宴, 社区义诊, 冬至送温暖 still to come).
Written through the services by the stations' own workers; a programme found by its title is left as it is, so a second
run writes nothing.

Dates read true on 2026-12-04 (the demo's today) and move with the clock after it: each is that many days before today."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from shanlian.cases.models import Beneficiary
from shanlian.groupwork import services as gs
from shanlian.groupwork.models import Programme
from shanlian.orgs.models import Station
from shanlian.people.models import Person

DEMO_TODAY = dt.date(2026, 12, 4)

# (title, kind, group type, care area, planned, starts, aims, members, [(date, start, minutes, venue, theme, present of
# members or None for all, headcount, volunteers)], summary or "" (running))
Session = tuple[str, str, int, str, str, int | None, int, int]
Spec = tuple[str, str, str, str, int, str, str, int, list[Session], str]

ELDER_HEALTH: list[Session] = [
    ("2026-09-24", "09:30", 90, "北京街社工站活动室", "相识相知：小组契约与健康目标", None, 0, 2),
    ("2026-10-08", "09:30", 90, "北京街社工站活动室", "认识高血压：量血压与记录", 7, 0, 2),
    ("2026-10-15", "09:30", 90, "北京街社工站活动室", "吃出健康：低盐低油的广府菜", 8, 0, 3),
    ("2026-10-22", "09:30", 90, "北京街社区卫生服务中心", "用药安全：家庭药箱整理", 6, 0, 2),
    ("2026-11-05", "09:30", 90, "北京街社工站活动室", "动起来：八段锦与防跌倒练习", 8, 0, 3),
    ("2026-11-12", "09:30", 90, "北京街社工站活动室", "情绪与睡眠：放松训练", 7, 0, 2),
    ("2026-11-19", "09:30", 90, "北京街社工站活动室", "同伴分享：我的健康小目标", 7, 0, 2),
    ("2026-11-26", "09:30", 120, "北京街社工站活动室", "回顾与告别：健康承诺书", 8, 0, 4),
]
ALONE_MUTUAL: list[Session] = [
    ("2026-10-10", "15:00", 90, "盐运西社区党群服务中心", "结对认识：我们是邻居", None, 0, 2),
    ("2026-10-24", "15:00", 90, "盐运西社区党群服务中心", "平安守望：每日报平安约定", 5, 0, 2),
    ("2026-11-07", "15:00", 90, "盐运西社区党群服务中心", "紧急时刻：一键呼叫与求助电话", 6, 0, 3),
    ("2026-11-21", "15:00", 90, "盐运西社区党群服务中心", "生活互助：买菜陪诊轮值表", 6, 0, 2),
]
YOUTH: list[Session] = [
    ("2026-10-17", "14:30", 120, "北京街青少年空间", "破冰：认识你我他", None, 0, 3),
    ("2026-10-31", "14:30", 120, "北京街青少年空间", "情绪小怪兽：认识和表达情绪", 9, 0, 3),
    ("2026-11-14", "14:30", 120, "北京街青少年空间", "时间管理：我的周末计划", 8, 0, 2),
    ("2026-11-28", "14:30", 120, "北京街青少年空间", "沟通练习：和家人好好说话", 9, 0, 2),
]
CRAFT: list[Session] = [
    ("2026-09-26", "14:00", 120, "石牌街社工站手工室", "相见欢：手工坊的约定", None, 0, 2),
    ("2026-10-10", "14:00", 120, "石牌街社工站手工室", "衍纸画入门", 7, 0, 3),
    ("2026-10-24", "14:00", 120, "石牌街社工站手工室", "香包缝制：重阳送长辈", 8, 0, 3),
    ("2026-11-07", "14:00", 120, "石牌街社工站手工室", "超轻黏土：我的家", 6, 0, 2),
    ("2026-11-21", "14:00", 120, "石牌街社工站手工室", "义卖准备：作品定价与摆摊", 8, 0, 4),
]
PHONE: list[Session] = [
    ("2026-10-20", "09:30", 90, "石牌街长者饭堂二楼", "手机基本操作与字体放大", None, 0, 4),
    ("2026-11-03", "09:30", 90, "石牌街长者饭堂二楼", "健康码与预约挂号", 9, 0, 4),
    ("2026-11-17", "09:30", 90, "石牌街长者饭堂二楼", "识破电信诈骗", 10, 0, 3),
]

PROGRAMMES: dict[str, list[Spec]] = {
    "北京街道": [
        ("长者健康自我管理小组", "group", "education", "elderly", 8, "2026-09-20",
         "帮助患慢性病的长者掌握血压监测、合理膳食与安全用药，建立同伴支持；目标：8节小组后组员能自行记录血压、每周运动三次。",
         8, ELDER_HEALTH, "8节小组全部完成，平均出席7.4人。组员均能独立测量并记录血压，"
         "6人坚持每周三次八段锦；组员自发建立微信群互相提醒服药，转入独居长者互助小组跟进2人。"),
        ("独居长者互助小组", "group", "support", "elderly", 6, "2026-10-08",
         "以邻里互助减少独居长者的孤独与意外风险：结对报平安、互助买菜陪诊。", 6, ALONE_MUTUAL, ""),
        ("青少年成长小组", "group", "growth", "children", 6, "2026-10-15",
         "面向困境与留守儿童：认识情绪、学习时间管理与亲子沟通，提升自我效能感。", 10, YOUTH, ""),
        ("重阳节敬老千叟宴", "community", "", "elderly", 1, "2026-10-29",
         "重阳节联合辖内商户与志愿者为长者设宴祝寿，表演粤剧、赠送寿桃。", 12,
         [("2026-10-29", "11:00", 180, "北京街文化广场", "重阳敬老千叟宴：粤剧表演与寿宴", None, 180, 36)],
         "共接待长者及家属192人次（登记12人，现场180人），36名志愿者协助；辖内6家商户赞助寿桃与菜品。"),
        ("社区义诊", "community", "", "other", 3, "2026-11-08",
         "联合社区卫生服务中心开展义诊：量血压、测血糖、中医问诊与用药咨询。", 0,
         [("2026-11-08", "09:00", 180, "盐运西社区广场", "秋冬季健康义诊：血压血糖筛查", None, 86, 8),
          ("2026-11-29", "09:00", 150, "都府社区广场", "中医问诊与用药咨询", None, 64, 6)], ""),
        ("冬至送温暖", "community", "", "hardship", 1, "2026-12-21",
         "冬至前为困难家庭与独居长者上门送汤圆、棉被与慰问金。", 0, [], ""),
    ],
    "石牌街道": [
        ("残障人士手工坊", "group", "recreation", "disability", 8, "2026-09-20",
         "为社区残障人士提供手工技能学习与社交空间，作品参加年末义卖；目标：组员完成至少3件作品并参与义卖。",
         8, CRAFT, ""),
        ("长者智能手机学习小组", "group", "education", "elderly", 4, "2026-10-15",
         "帮助长者跨越数字鸿沟：手机基本操作、预约挂号、防范电信诈骗。", 10, PHONE, ""),
        ("社区义诊", "community", "", "other", 2, "2026-11-14",
         "联合石牌街社区卫生服务中心为居民免费体检与健康咨询。", 0,
         [("2026-11-14", "09:00", 180, "石牌街社工站门前广场", "冬季健康义诊：测血压、查视力", None, 72, 7)], ""),
    ],
}
WORKERS = {"北京街道": "station_worker", "石牌街道": "station_worker2"}


def _shift(day: str, today: dt.date) -> dt.date:
    return dt.date.fromisoformat(day) - (DEMO_TODAY - today)


@transaction.atomic
def seed_groupwork() -> Counter[str]:
    """Groups and community activities at two stations; found done on a second run (nothing written)."""
    counts: Counter[str] = Counter()
    users = {u.username: u for u in get_user_model().objects.filter(username__in=WORKERS.values())}
    today = timezone.localdate()
    for street, specs in PROGRAMMES.items():
        station = Station.objects.select_related("street").filter(street__name=street).first()
        worker = users.get(WORKERS[street])
        if station is None or worker is None:
            continue
        residents = list(Person.objects.filter(division__path__startswith=station.street.path, user__isnull=True)
                         .order_by(F("beneficiary__id").desc(nulls_last=True), "id")[:40])  # the station's beneficiaries first
        activity = _timebank_activity(station)
        areas: dict[int, set[str]] = {}
        for pk, a in Beneficiary.objects.filter(station=station).values_list("person_id", "categories__area"):
            areas.setdefault(pk, set()).add(a)
        for offset, (title, kind, group_type, area, planned, starts, aims, n_members, sessions, summary) in enumerate(specs):
            if Programme.objects.filter(station=station, title=title).exists():
                continue
            p = gs.programme_create(actor=worker, station=station, kind=kind, title=title, care_area=area, group_type=group_type,
                                    planned_sessions=planned, starts_on=_shift(starts, today), leaders=[worker], aims=aims)
            counts["groupwork_programmes"] += 1
            pool = [r for r in residents if area in areas.get(r.pk, {area}) or area == "other"]  # no child in an elders' group
            served = [r for r in pool if r.pk in areas]  # the station's beneficiaries of the area first, then neighbours
            others = [r for r in pool if r.pk not in areas]
            members = (served + others[offset * 2 % max(1, len(others) - n_members):])[:n_members] if n_members else []
            if members:
                gs.members_enrol(actor=worker, programme=p, people=members, joined_on=_shift(starts, today))
                counts["groupwork_members"] += len(members)
            for i, (day, start, minutes, venue, theme, came, headcount, volunteers) in enumerate(sessions):
                present = members if came is None else [m for j, m in enumerate(members) if (j + i) % len(members) < came]
                gs.session_record(actor=worker, programme=p, held_on=_shift(day, today), starts_at=dt.time.fromisoformat(start),
                                  minutes=minutes, venue=venue, theme=theme, workers=[worker], present=present,
                                  headcount=headcount, volunteers=volunteers,
                                  timebank_activity=activity if volunteers >= 4 else None,
                                  content=f"{theme}。社工带领，组员积极参与分享。")
                counts["groupwork_sessions"] += 1
            if summary:
                last = _shift(sessions[-1][0], today) if sessions else today
                gs.programme_end(actor=worker, programme=p, summary=summary, ended_on=min(today, last + dt.timedelta(days=3)))
                counts["groupwork_ended"] += 1
    return counts


def _timebank_activity(station: Station) -> Any:
    from shanlian.timebank.models import Activity

    return Activity.objects.filter(station=station).order_by("id").first()
