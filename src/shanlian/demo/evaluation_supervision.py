"""The demo city's supervision calendar, written through the evaluation services on the days it happened (the
simulated clock of `timebank_clock`, the `Timeline` of the charity history): a year of tasks up to today, made by the
daily generator on each month's first day, for the projects of the registry (the city's few: the 北京街 round's five
and 「耆乐安居」) and the agencies running stations (a half-yearly self-assessment each).

Most checks are done in time by whoever must do them (each agency's director, each project's lead organization, the
越秀 administrators for the quarterly spot-checks), rated good or excellent about nineteen times in twenty, as the
city's best agencies report; the rest name what was found, with rectifications mostly closed, some still open, a few
overdue. A few checks are overdue too. Three 1+N supervision groups (two at 北京街's agency, one at 石牌街's) meet
through the year. Agencies whose director had no login get one (`agency_manager`), and the groups' social workers
theirs (`station_worker`), all with the demo password. A second run finds the history there and makes nothing."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from shanlian.core import crypto
from shanlian.core.scoping import Role
from shanlian.evaluation.access import ORG_ROLES
from shanlian.evaluation.models import CheckRating, Rectification, SupervisionGroup, SupervisionTask, TaskKind, TaskStatus
from shanlian.evaluation.services import supervision as ss
from shanlian.evaluation.services import supervision_groups as sg
from shanlian.orgs.models import Organization, Station
from shanlian.people import services as people_services
from shanlian.people.models import Person, RoleGrant
from shanlian.people.selectors import actor_scope
from shanlian.places.models import Division, Level

from . import data
from .charity import Timeline, _on
from .data import demo_password
from .plan import _Planner, unique_username
from .timebank_clock import SimulatedClock

DAY = dt.timedelta(days=1)

# (finding, severity, rectification, what was done)
PROJECT_FINDINGS = (
    ("服务台账未及时更新，本月两次入户探访缺少签到记录", "minor", "补齐入户探访签到记录，建立每周五台账核对机制",
     "已补齐2次签到记录，项目主管每周五核对台账"),
    ("个案档案中服务计划未按季度复评", "minor", "对在册个案逐一开展季度复评并更新服务计划", "已完成18个在册个案的季度复评"),
    ("活动安全预案未覆盖雨天室内转移", "minor", "修订活动安全预案，补充恶劣天气应急转移流程", "预案已修订，并在站内例会上宣讲"),
    ("志愿者服务时长登记与活动签到表不一致", "minor", "逐场核对志愿者时长并更正系统记录", "已核对9场活动，更正3条时长记录"),
    ("项目经费支出凭证缺少经办人签字", "major", "补签支出凭证，报销单增加经办人、审核人双签", "凭证已补签，报销流程已调整为双签"),
    ("独居长者紧急联系人信息过期未更新", "major", "逐户核实并更新独居长者紧急联系人信息", "已完成32户紧急联系人核实更新"),
    ("服务对象满意度回访未按计划开展", "minor", "本月内完成服务对象电话回访并记录", "已电话回访26人，满意率96%"),
    ("活动宣传照片未取得服务对象书面同意", "major", "补签肖像使用同意书，未同意者照片一律下架", "已补签14份同意书，下架照片5张"),
    ("第二阶段小组活动比计划少开展2节", "major", "制定补课计划，下月加开2节小组活动", "已加开2节小组活动，出勤率90%"),
    ("康复训练记录表填写不完整", "minor", "规范康复训练记录表，每次训练当日填写", "记录表已统一，由带组社工当日填写"),
)
SPOT_FINDINGS = (
    ("抽查发现服务档案与系统记录不一致", "major", "限期整改服务档案，区民政局复查", "档案已整改，复查合格"),
    ("站点公示栏项目信息未更新", "minor", "更新公示栏项目信息及监督电话", "公示栏已更新"),
    ("抽查服务对象5户，1户不清楚服务内容", "minor", "向服务对象补充说明服务内容并发放服务卡", "已上门说明并发放服务联系卡"),
)
AGENCY_FINDINGS = (
    ("部分一线社工季度督导不足4次", "minor", "补足督导并完善1+N督导记录", "已补足督导，记录归档"),
    ("内部财务管理制度未按新规修订", "minor", "修订财务管理制度并经理事会审议", "制度已修订，理事会审议通过"),
    ("半年内一线社工离职3人，人员流失偏高", "minor", "完善薪酬激励与新人带教机制", "已出台带教补贴办法，新人配备带教社工"),
    ("社工站年度服务指标完成率低于进度", "major", "调整服务计划，加密个案与小组服务", "已调整计划，季度指标达成"),
)
FINDINGS = {TaskKind.SELF_CHECK: PROJECT_FINDINGS, TaskKind.SPOT_CHECK: SPOT_FINDINGS, TaskKind.SELF_ASSESSMENT: AGENCY_FINDINGS}
NOTES = {
    TaskKind.SELF_CHECK: ("本月开展入户探访{a}人次、小组活动{b}节，服务按计划推进。", "各项服务按计划开展，台账完整，服务对象反馈良好。",
                          "本月跟进个案{b}个，社区活动2场，志愿者参与{a}人次。"),
    TaskKind.SPOT_CHECK: ("区民政局实地抽查：查阅台账，走访服务对象{b}户，服务规范。", "抽查服务档案{a}份、现场观察活动1场，总体良好。"),
    TaskKind.SELF_ASSESSMENT: ("半年服务指标完成率{c}%，督导、培训按计划开展。", "半年自评：个案、小组、社区活动均达进度，财务规范。"),
}
TOPICS = ("个案评估与服务计划制定", "长者个案危机介入", "小组工作带领技巧", "社区需求调研方法", "专业伦理与服务界限", "服务记录与档案规范",
          "入户探访安全", "哀伤辅导", "资源链接与转介", "项目成效评估", "社工情绪压力与自我照顾", "困境儿童个案管理", "志愿者团队管理",
          "家庭会议的组织", "半年服务总结与反思")

SESSION_NOTES = ("结合在案个案讨论，形成跟进要点。", "督导者示范入户评估提问，督导对象分组演练。", "复盘上月危机个案，明确转介流程与时限。",
                 "督导对象轮流汇报个案进展，督导者逐一点评。", "布置下次督导前的阅读材料与个案记录自查。")


@dataclass(frozen=True)
class GroupSpec:
    street: str  # the station whose agency forms the group, and where its social workers work
    name: str
    senior: tuple[str, str, int]  # name, gender, birth year
    juniors: tuple[tuple[str, str, int], ...]
    login: str = ""  # an existing demo login among the supervisees
    per_month: int = 1


GROUPS = (
    GroupSpec("北京街道", "北京街站一带四督导小组", ("梁嘉慧", "F", 1984),
              (("陈子晴", "F", 1998), ("黄梓轩", "M", 1997), ("李诗琪", "F", 1999)), login="station_worker", per_month=2),
    GroupSpec("农林街道", "农林街站一带三督导小组", ("区志强", "M", 1982),
              (("麦颖琳", "F", 1996), ("谭浩然", "M", 1998), ("苏可欣", "F", 2000))),
    GroupSpec("石牌街道", "石牌街站一带三督导小组", ("冼慧玲", "F", 1986), (("罗俊熙", "M", 1997), ("钟欣怡", "F", 1999)),
              login="station_worker2"),
)


def _months_back(day: dt.date, n: int) -> dt.date:
    """The first day of the month `n` months before `day`'s (after it, for a negative `n`)."""
    m = day.year * 12 + day.month - 1 - n
    return dt.date(m // 12, m % 12 + 1, 1)


def _moment(rng: random.Random, day: dt.date) -> dt.datetime:
    return _on(day, f"{rng.randint(9, 17):02d}:{rng.randint(0, 59):02d}")


class SupervisionDemo:
    def __init__(self, *, admin: Any, password: str) -> None:
        self.admin, self.password = admin, password
        self.rng = random.Random(data.SEED + 61)
        self.planner = _Planner(data.SEED + 67)
        self.counts: Counter[str] = Counter()
        self.today = timezone.localdate()
        self.start = _months_back(self.today, 12)
        self.timeline = Timeline(SimulatedClock(), timezone.now() - dt.timedelta(minutes=1))
        self.planned: set[int] = set()
        self.city_admin = get_user_model().objects.filter(username="city_admin").first()
        self.taken = {u.lower() for u in get_user_model().objects.values_list("username", flat=True)}
        self.rids = set(Person.objects.exclude(resident_id_hash="").values_list("resident_id_hash", flat=True))
        # (kind, period) → how many of its checks are left undone (overdue now)
        self.undone: Counter[tuple[str, str]] = Counter({
            (TaskKind.SELF_CHECK, f"{_months_back(self.today, 2):%Y-%m}"): 1,
            (TaskKind.SPOT_CHECK, ss.period_for(TaskKind.SPOT_CHECK, self.today - 100 * DAY).code): 1,
            (TaskKind.SELF_ASSESSMENT, ss.period_for(TaskKind.SELF_ASSESSMENT, self.today - 200 * DAY).code): 1})

    # -- who -------------------------------------------------------------------------------------------------------

    def _person(self, name: str, gender: str, birth_year: int, street: Division) -> Person:
        community = Division.objects.filter(parent=street, level=Level.COMMUNITY).order_by("code").first() or street
        birth = dt.date(birth_year, self.rng.randint(1, 12), self.rng.randint(1, 28))
        while True:
            rid = self.planner.resident_id((community.code[:6],), birth, gender)
            index = crypto.blind_index(rid, purpose="resident_id")
            if index not in self.rids:
                self.rids.add(index)
                break
        return people_services.person_create(actor=self.admin, real_name=name, division=community, resident_id=rid,
                                             phone=self.planner.mobile(), gender=gender)

    def _login(self, person: Person, role: str, target: Any) -> Any:
        username = unique_username(person.real_name, self.rng, self.taken, "worker")
        user = people_services.account_create(actor=None, person=person, username=username, password=self.password)
        people_services.role_grant(actor=self.admin, scope=actor_scope(self.admin), user=user, role=role, target=target)
        self.counts["evaluation_supervision_logins"] += 1
        return user

    def directors(self) -> None:
        """A login for the director of each agency running a station that has no manager with one yet."""
        managed = set(RoleGrant.objects.filter(role__in=ORG_ROLES, revoked_at__isnull=True).values_list("organization_id", flat=True))
        agencies = Organization.objects.filter(is_agency=True, stations__isnull=False).exclude(pk__in=managed).distinct()
        for agency in agencies.order_by("pk"):
            station = Station.objects.filter(agency=agency).select_related("street").order_by("street__code").first()
            assert station is not None  # (agencies running stations)
            gender = self.rng.choice("MF")
            name = agency.legal_representative or self.planner.name(gender, 1975)
            self._login(self._person(name, gender, self.rng.randint(1968, 1985), station.street), Role.AGENCY_MANAGER, agency)

    def manager_of(self, organization_id: int) -> Any:
        grant = (RoleGrant.objects.filter(role__in=ORG_ROLES, organization_id=organization_id, revoked_at__isnull=True,
                                          user__is_active=True).select_related("user").order_by("pk").first())
        return grant.user if grant is not None else None

    def doer(self, task: SupervisionTask) -> Any:
        if task.kind != TaskKind.SPOT_CHECK:
            return self.manager_of(task.organization_id)
        grant = (RoleGrant.objects.filter(role=Role.DISTRICT_ADMIN, division_id=task.region_id, revoked_at__isnull=True)
                 .select_related("user").order_by("pk").first())
        return grant.user if grant is not None else self.city_admin

    # -- the calendar ----------------------------------------------------------------------------------------------

    def generate(self, day: dt.date) -> None:
        """The daily job's run on a month's first day; each new task is then planned (done on a day, or left undone)."""
        self.counts.update({f"evaluation_supervision_{k}": n for k, n in ss.tasks_generate(on=day).items()})
        for task in SupervisionTask.objects.filter(status=TaskStatus.OPEN).exclude(pk__in=self.planned).order_by("due_on", "kind", "pk"):
            self.planned.add(task.pk)
            self.plan(task)

    def plan(self, task: SupervisionTask) -> None:
        period = ss.period_of(task)
        if self.undone[(task.kind, task.period)] > 0:
            self.undone[(task.kind, task.period)] -= 1
            return
        if self.rng.random() < (0.1 if task.kind == TaskKind.SPOT_CHECK else 0.05):
            day = task.due_on + self.rng.randint(2, 12) * DAY  # late
        elif task.kind == TaskKind.SELF_CHECK:
            day = period.last + self.rng.randint(-6, 4) * DAY
        elif task.kind == TaskKind.SPOT_CHECK:
            day = period.last - self.rng.randint(-10, 25) * DAY
        else:
            day = task.due_on - self.rng.randint(1, 14) * DAY
        self.timeline.at(_moment(self.rng, max(day, period.first + 20 * DAY)), self.complete, task.pk)

    def _rating(self) -> str:
        r = self.rng.random()
        return (CheckRating.EXCELLENT if r < 0.35 else CheckRating.GOOD if r < 0.9 else CheckRating.FAIR if r < 0.98
                else CheckRating.POOR)

    def _findings(self, task: SupervisionTask, rating: str, owner: str) -> list[dict[str, Any]]:
        n = {CheckRating.EXCELLENT: 0, CheckRating.GOOD: int(self.rng.random() < 0.25), CheckRating.FAIR: self.rng.randint(1, 2),
             CheckRating.POOR: 2}[CheckRating(rating)]
        out: list[dict[str, Any]] = []
        today = timezone.localdate()
        for text, severity, action, _done in self.rng.sample(FINDINGS[TaskKind(task.kind)], n):
            if rating == CheckRating.POOR and not out:
                severity = "major"
            fix = None
            if severity == "major" or self.rng.random() < 0.6:
                fix = {"action": action, "owner": owner[:32], "due_on": today + self.rng.randint(14, 30) * DAY}
            out.append({"text": text, "severity": severity, "rectification": fix})
        return out

    def complete(self, task_id: int) -> None:
        task = SupervisionTask.objects.select_related("project", "organization", "region").get(pk=task_id)
        actor = self.doer(task)
        if actor is None:
            return
        rating = self._rating()
        owner = self.manager_of(task.organization_id)
        findings = self._findings(task, rating, (owner.first_name if owner else "") or task.organization.name)
        note = self.rng.choice(NOTES[TaskKind(task.kind)]).format(a=self.rng.randint(30, 80), b=self.rng.randint(3, 12),
                                                                  c=self.rng.randint(86, 104))
        ss.task_complete(actor=actor, task=task, rating=rating, note=note, findings=findings)
        self.counts["evaluation_supervision_done"] += 1
        self.counts["evaluation_supervision_findings"] += len(findings)
        for fix in Rectification.objects.filter(finding__task=task):
            self.counts["evaluation_supervision_rectifications"] += 1
            if self.rng.random() < 0.12:
                continue  # not put right yet
            days = (fix.due_on - timezone.localdate()).days  # mostly in time, now and then a little late
            closes = timezone.localdate() + self.rng.randint(5, days + (10 if self.rng.random() < 0.2 else 0)) * DAY
            self.timeline.at(_moment(self.rng, closes), self.close, fix.pk, owner or actor)

    def close(self, fix_id: int, actor: Any) -> None:
        fix = Rectification.objects.select_related("finding").get(pk=fix_id)
        done = next((d for t, _s, _a, d in (*PROJECT_FINDINGS, *SPOT_FINDINGS, *AGENCY_FINDINGS) if t == fix.finding.text), "已整改完毕")
        ss.rectification_close(actor=actor, rectification=fix, note=done)
        self.counts["evaluation_supervision_rectifications_closed"] += 1

    # -- 1+N supervision -------------------------------------------------------------------------------------------

    def form_group(self, spec: GroupSpec, started: dt.date) -> None:
        station = Station.objects.select_related("street", "agency").filter(street__name=spec.street).first()
        if station is None:
            return
        senior = self._login(self._person(*spec.senior, station.street), Role.STATION_WORKER, station)
        members = [self._login(self._person(*j, station.street), Role.STATION_WORKER, station).person for j in spec.juniors]
        existing = Person.objects.filter(user__username=spec.login).first() if spec.login else None
        if existing is not None:
            members.insert(0, existing)
        group = sg.supervision_group_create(actor=self.manager_of(station.agency_id) or self.admin, organization=station.agency,
                                            name=spec.name, supervisor=senior, members=members, started_on=started)
        self.counts["evaluation_supervision_groups"] += 1
        month = _months_back(started, 0)
        while month <= self.today:
            for _n in range(spec.per_month):
                day = month + self.rng.randint(2, 26) * DAY
                if started <= day:
                    self.timeline.at(_on(day, "17:30"), self.session, group.pk, senior, len(members))
            month = _months_back(month, -1)

    def session(self, group_id: int, supervisor: Any, size: int) -> None:
        guests = self.rng.randint(1, 3) if self.rng.random() < 0.15 else 0
        attendees = max(1, size - (1 if self.rng.random() < 0.2 else 0) + guests)
        note = "开放督导，邀请兄弟站点社工参加。" if guests else ("" if self.rng.random() < 0.6 else self.rng.choice(SESSION_NOTES))
        sg.supervision_session_log(actor=supervisor, group=SupervisionGroup.objects.get(pk=group_id), held_on=timezone.localdate(),
                                   topic=self.rng.choice(TOPICS), attendees=attendees, note=note)
        self.counts["evaluation_supervision_sessions"] += 1

    # -- the year --------------------------------------------------------------------------------------------------

    def run(self) -> Counter[str]:
        self.timeline.at(_on(self.start - 40 * DAY, "09:30"), self.directors)
        for n, spec in enumerate(GROUPS):
            started = self.start - (35 - 7 * n) * DAY
            self.timeline.at(_on(started, "10:00"), self.form_group, spec, started)
        month = self.start
        while month <= self.today:
            self.timeline.at(_on(month, "01:00"), self.generate, month)
            month = _months_back(month, -1)
        self.timeline.run()
        self.counts["evaluation_supervision_reminders"] += ss.reminders_send(on=self.today)
        return self.counts


def seed_supervision(*, admin: Any, city: Any) -> Counter[str]:
    """What it made, by kind; a second run finds it there and makes nothing."""
    if SupervisionGroup.objects.exists() or SupervisionTask.objects.filter(status=TaskStatus.DONE).exists():
        return Counter()
    if not Station.objects.exists():
        return Counter()
    made = SupervisionDemo(admin=admin, password=demo_password()).run()
    made["evaluation_supervision_tasks"] = SupervisionTask.objects.count()
    made["evaluation_supervision_overdue"] = SupervisionTask.objects.filter(status=TaskStatus.OPEN, due_on__lt=timezone.localdate()).count()
    made["evaluation_supervision_open_rectifications"] = Rectification.objects.filter(closed_on__isnull=True).count()
    return +made
