"""The demo city's satisfaction surveys, written through the evaluation services (see `demo.evaluation`).

Stations in several districts survey their beneficiaries or their residents twice this year (spring, and the one open
now) and some did last year too, for a trend; the 北京街 street's service projects survey theirs: 「耆乐安居」's
elders, the after-school class's parents, the smartphone class's elders, and the neighbourhood council's residents by
name (answered by the street's residents who sign in). Answers are drawn around each survey's own level (mostly 85–95%
satisfied, a few lower: a cramped activity room, a station between teams), under the simulated clock on the day they
were given, with the comments people write. The answers are drawn from a seeded generator, so each run is the same.
A second run finds each survey there and makes nothing."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from shanlian.evaluation.models import Survey
from shanlian.evaluation.services import satisfaction as ss
from shanlian.grants.models import ServiceProject
from shanlian.orgs.models import Station
from shanlian.people.models import Person, RoleGrant

from .charity import Timeline
from .timebank_clock import TZ, SimulatedClock

SEED = 20260707

Q_BENEFICIARY = ss.default_questions("beneficiary")
Q_RESIDENT = ss.default_questions("resident")
Q_ELDERS = ["社工上门探访的及时性", "社工的服务态度", "居家安全评估与改造的效果", "紧急呼叫设备的使用与响应", "对项目的总体满意度"]
Q_CLASS = ["老师和志愿者的态度", "辅导作业的效果", "孩子的安全与接送安排", "课堂的环境", "对四点半课堂的总体满意度"]
Q_PHONE = ["讲解是否耐心、听得明白", "课程内容是否实用", "课后能否自己使用", "对课堂的总体满意度"]
Q_COUNCIL = ["议事会议题是否贴近居民需要", "议事过程是否公开、公平", "议定事项的落实情况", "对邻里议事厅的总体满意度"]

# Comments as people write them: pleased, with a suggestion, or unhappy; for beneficiaries and for residents.
PLEASED = {
    "beneficiary": (
        "社工每周都来看我，陪我聊聊天，心里踏实多了。", "上次家里水管爆了，社工帮忙联系师傅，当天就修好了，谢谢！",
        "小林很有耐心，一遍遍教我用手机和孙子视频。", "长者饭堂的饭菜软烂合口，价钱也实惠。", "社工帮我申请了临时救助，解了燃眉之急。",
        "有困难打个电话就有人来，很贴心。", "工作人员说话客气，办事也快。", "希望这样的服务一直做下去。",
        "康复小组让我认识了很多同路人，不再觉得孤单。", "社工帮我们家办好了残疾人两项补贴，跑了好几趟，辛苦了。",
        "每次来活动都很开心，比在家看电视强。", "社工姐姐记得我的药什么时候吃完，会提醒我去开药。",
    ),
    "resident": (
        "邻里节办得很热闹，认识了不少街坊。", "垃圾分类宣传做得好，小区干净多了。", "义剪、义诊这些活动很实用，希望常态化。",
        "社工站的工作人员很热情，咨询什么都耐心解答。", "加装电梯的事终于有人牵头协调了，点赞！", "暑期托管帮了双职工家庭大忙。",
        "楼下的长者活动中心比以前热闹多了。",
    ),
}
SUGGEST = {
    "beneficiary": (
        "活动室有点小，人多的时候转不开，夏天也比较热。", "上门探访能不能多一点，一个月一次有点少。",
        "电梯经常坏，腿脚不方便，上二楼活动室很吃力。", "希望多开展健康讲座，比如防跌倒、慢病管理。",
        "社工换得比较勤，刚熟悉又换人了。", "排队等候的时间有点长。", "希望周末也能开放。",
    ),
    "resident": (
        "希望多组织亲子活动，周末带孩子有个去处。", "社工站的位置有点偏，第一次去找了半天。", "希望活动时间能安排在晚上，方便上班族参加。",
        "活动通知最好提前几天在楼栋群里发，有时候知道的时候已经报满了。", "希望增加一些适合年轻人的活动。",
        "议事会开得有点长，有些议题可以提前在群里收集意见。",
    ),
}
UNHAPPY = {
    "beneficiary": ("打了两次电话都没人接，事情拖了一个多星期才处理。", "申请的助餐补贴一直没有消息，希望尽快回复。",
                    "活动场地太吵，听不清讲的内容。"),
    "resident": ("反映的楼道堆物问题过了一个月还没解决。", "活动名额太少，每次都报不上。"),
}


@dataclass(frozen=True)
class SurveySpec:
    title: str
    audience: str
    questions: list[str]
    opens: dt.date
    closes: dt.date
    level: float  # how satisfied its people are: the share of 4s and 5s it is drawn around
    responses: int
    creator: str  # the login that sets it up
    station: str = ""  # the street whose station is surveyed, or:
    project: str = ""  # part of the surveyed project's title
    anonymous: bool = True
    weak: int = -1  # a question people rate lower (its index), e.g. the environment


def _windows(today: dt.date) -> dict[str, tuple[dt.date, dt.date]]:
    """Spring and autumn windows of this year (the autumn one open now), and last year's two."""
    year = today.year
    jan = dt.date(year, 1, 1)
    span = max((today - jan).days, 30)
    spring = jan + dt.timedelta(days=int(span * 0.3))
    summer = jan + dt.timedelta(days=int(span * 0.55))
    return {
        "spring": (spring, spring + dt.timedelta(days=30)),
        "summer": (summer, summer + dt.timedelta(days=45)),
        "now": (today - dt.timedelta(days=12), today + dt.timedelta(days=18)),
        "last_spring": (dt.date(year - 1, 4, 15), dt.date(year - 1, 5, 15)),
        "last_autumn": (dt.date(year - 1, 10, 20), dt.date(year - 1, 11, 20)),
    }


def _specs(today: dt.date) -> list[SurveySpec]:
    w = _windows(today)
    year, last = today.year, today.year - 1
    out: list[SurveySpec] = []
    # Stations: (street, creator, this year's level, last year's level or None, audience of the autumn survey, weak question)
    stations = (
        ("北京街道", "station_worker", 0.93, 0.88, "resident", -1),
        ("人民街道", "district_admin", 0.90, 0.86, "beneficiary", -1),
        ("光塔街道", "district_admin", 0.78, None, "beneficiary", 3),  # a cramped, hot activity room
        ("东山街道", "district_admin", 0.91, None, "resident", -1),
        ("石牌街道", "station_worker2", 0.89, 0.84, "resident", -1),
        ("五山街道", "city_admin", 0.94, 0.92, "beneficiary", -1),
        ("林和街道", "city_admin", 0.82, None, "beneficiary", 1),  # between teams: slow to answer
        ("赤岗街道", "city_admin", 0.87, 0.90, "resident", -1),
        ("三元里街道", "city_admin", 0.92, None, "beneficiary", -1),
        ("市桥街道", "city_admin", 0.88, None, "beneficiary", 3),
    )
    rng = random.Random(SEED)
    for street, creator, level, before, autumn, weak in stations:
        name = street.removesuffix("道")
        out.append(SurveySpec(f"{name}社工站{year}年上半年服务对象满意度调查", "beneficiary", Q_BENEFICIARY, *w["spring"], level + 0.01,
                              rng.randint(18, 36), creator, station=street, weak=weak))
        kind = "居民" if autumn == "resident" else "服务对象"
        out.append(SurveySpec(f"{name}社工站{year}年下半年{kind}满意度调查", autumn, Q_RESIDENT if autumn == "resident" else Q_BENEFICIARY,
                              *w["now"], level - 0.01, rng.randint(10, 24), creator, station=street, weak=weak))
        if before is not None:
            out.append(SurveySpec(f"{name}社工站{last}年服务对象满意度调查", "beneficiary", Q_BENEFICIARY, *w["last_autumn"], before,
                                  rng.randint(18, 32), creator, station=street))
    out += [
        SurveySpec(f"「耆乐安居」项目{last}年服务对象满意度调查", "beneficiary", Q_ELDERS, *w["last_autumn"], 0.86, 28, "agency_manager",
                   project="耆乐安居", weak=3),
        SurveySpec(f"「耆乐安居」项目{year}年服务对象满意度调查", "beneficiary", Q_ELDERS, *w["summer"], 0.93, 36, "agency_manager",
                   project="耆乐安居"),
        SurveySpec("「四点半课堂」家长满意度调查", "beneficiary", Q_CLASS, *w["now"], 0.91, 22, "group_manager",
                   project="四点半课堂", weak=3),
        SurveySpec("长者智能手机课堂学员满意度调查", "beneficiary", Q_PHONE, *w["now"], 0.89, 18, "station_worker",
                   project="长者智能手机课堂", weak=2),
        SurveySpec("社区邻里议事厅居民满意度调查（实名）", "resident", Q_COUNCIL, *w["now"], 0.87, 0, "station_worker",
                   project="邻里议事厅", anonymous=False),
    ]
    return out


def _answers(rng: random.Random, spec: SurveySpec) -> list[int]:
    """One person's answers: their own mood around the survey's level, a weak question rated lower."""
    mood = min(0.99, max(0.3, rng.gauss(spec.level, 0.07)))
    out = []
    for i in range(len(spec.questions)):
        p = mood - (0.12 if i == spec.weak else 0.0) + (0.03 if i == len(spec.questions) - 1 else 0.0)
        roll = rng.random()
        if roll < p:
            out.append(5 if rng.random() < 0.62 else 4)
        else:
            out.append(rng.choices((3, 2, 1), weights=(65, 25, 10))[0])
    return out


def _comment(rng: random.Random, spec: SurveySpec, answers: list[int], said: set[str]) -> str:
    """About a third comment, in the tone of their answers; nobody in one survey writes what another wrote."""
    if rng.random() > 0.32:
        return ""
    mean = sum(answers) / len(answers)
    pool = [c for c in (PLEASED if mean >= 4.2 else SUGGEST if mean >= 3 else UNHAPPY)[spec.audience] if c not in said]
    if not pool:
        return ""
    said.add(comment := rng.choice(pool))
    return comment


def _moment(rng: random.Random, first: dt.date, last: dt.date) -> dt.datetime:
    day = first + dt.timedelta(days=rng.randint(0, max((last - first).days, 0)))
    return dt.datetime(day.year, day.month, day.day, rng.randint(9, 20), rng.randint(0, 59), rng.randint(0, 59), tzinfo=TZ)


class _Seeder:
    def __init__(self, admin: Any) -> None:
        self.rng = random.Random(SEED)
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.counts: Counter[str] = Counter()
        users = get_user_model().objects.filter(username__in={"station_worker", "station_worker2", "district_admin", "agency_manager",
                                                              "group_manager", "city_admin"})
        self.users = {u.username: u for u in users}
        self.admin = admin
        self.stations = {s.street.name: s for s in Station.objects.select_related("street")}
        self.projects = list(ServiceProject.objects.select_related("station", "fund", "lead"))
        self.timeline = Timeline(SimulatedClock(), self.now - dt.timedelta(minutes=1))
        self.said: dict[int, set[str]] = {}  # comments written, by survey

    def run(self) -> Counter[str]:
        for spec in _specs(self.today):
            self.schedule(spec)
        self.timeline.run()
        return self.counts

    def _subject(self, spec: SurveySpec) -> dict[str, Any] | None:
        if spec.station:
            station = self.stations.get(spec.station)
            return {"station": station} if station is not None else None
        project = next((p for p in self.projects if spec.project in p.title), None)
        return {"project": project} if project is not None else None

    def schedule(self, spec: SurveySpec) -> None:
        subject = self._subject(spec)
        if subject is None or Survey.objects.filter(title=spec.title, **subject).exists():
            return
        creator = self.users.get(spec.creator) or self.admin
        made = dt.datetime(spec.opens.year, spec.opens.month, spec.opens.day, 10, 0, tzinfo=TZ) - dt.timedelta(days=3)
        self.timeline.at(made, self.create, spec, creator, subject)

    def create(self, spec: SurveySpec, creator: Any, subject: dict[str, Any]) -> None:
        survey = ss.survey_create(actor=creator, title=spec.title, audience=spec.audience, anonymous=spec.anonymous,
                                  questions=spec.questions, opens_on=spec.opens, closes_on=spec.closes, **subject)
        self.counts["evaluation_surveys"] += 1
        last = min(spec.closes, self.today)
        if spec.anonymous:
            for n in range(spec.responses):
                self.timeline.at(_moment(self.rng, spec.opens, last), self.answer, survey, spec, f"demo-{survey.pk}-{n:04d}-device", None)
        else:
            for user in self._residents(survey):
                self.timeline.at(_moment(self.rng, spec.opens, last), self.answer, survey, spec, "", user)

    def _residents(self, survey: Survey) -> list[Any]:
        """The street's residents who sign in and hold no role: most of them answer the named survey."""
        assert survey.project is not None and survey.project.station is not None
        staff = set(RoleGrant.objects.filter(revoked_at__isnull=True).values_list("user_id", flat=True))
        people = (Person.objects.filter(user__isnull=False, division__path__startswith=survey.project.station.street.path)
                  .exclude(user_id__in=staff).select_related("user").order_by("pk"))
        return [p.user for p in people if self.rng.random() < 0.8]

    def answer(self, survey: Survey, spec: SurveySpec, device: str, user: Any) -> None:
        values = _answers(self.rng, spec)
        comment = _comment(self.rng, spec, values, self.said.setdefault(survey.pk, set()))
        ss.response_submit(survey=survey, answers=values, comment=comment, device=device, actor=user)
        self.counts["evaluation_survey_responses"] += 1


def seed_satisfaction(*, admin: Any, city: Any) -> Counter[str]:
    """What it made, by kind; a second run finds it there and makes nothing."""
    return _Seeder(admin).run()
