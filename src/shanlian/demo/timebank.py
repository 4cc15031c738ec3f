"""The demo city's time bank, written through the time-bank services as real use would.

Four stations run activities (北京街道 and 石牌街道 fully, 人民街道 and 五山街道 lightly): a city quiz
bank every station draws from and the four stations' own questions, a few hundred volunteers (registered by
the station's social worker, or by themselves in the app), quiz attempts, weekly activities across categories
with months of past shifts (check-in and check-out by QR code, hours approved, some waiting, some declined,
paper sign-in sheets entered late with the agency's approval, one long day above 8 h), upcoming shifts with
sign-ups and a wait list, one shift under way now, a catalog with redemptions, credits given to family and to the
community pool, and a service certificate. A second run writes nothing.

The services check times against "now" (no shift can be published in the past, check-in uses the
server clock), so the past is written under a simulated clock (`SimulatedClock`): the same calls,
made as if on the day. The quiz draws from the city bank (CITY_QUESTIONS, no station) and each station's own.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.utils import timezone
from pypinyin import lazy_pinyin

from shanlian.core.errors import DomainError
from shanlian.orgs.models import Station
from shanlian.people import services as people_services
from shanlian.people.models import Person
from shanlian.places.models import Division
from shanlian.timebank import services as tb
from shanlian.timebank.models import (
    Activity,
    CatalogItem,
    Category,
    FamilyLink,
    HoursRecord,
    QuizAttempt,
    QuizQuestion,
    Redemption,
    Shift,
    Signup,
    Volunteer,
)
from shanlian.timebank.services._access import is_agency, scope_of

TZ = ZoneInfo("Asia/Shanghai")

# The bank every demo station starts from: (question, choices, index of the right one).
QUESTIONS: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("志愿服务应当遵循的原则是？", ("自愿、无偿、平等、诚信、合法", "有偿、自愿、高效", "服从分配、按劳取酬", "先到先得"), 0),
    ("时间银行中，1小时志愿服务通常记为多少积分？", ("0.5个", "1个", "2个", "按服务类别浮动"), 1),
    (
        "服务时长由谁记录、谁确认？",
        ("志愿者自己填写即可", "谁记录谁证明、谁证明谁负责，由活动组织方审核确认", "由受助对象口头确认", "无需记录"),
        1,
    ),
    (
        "扫码签到后提前离开了，正确的做法是？",
        ("请同伴代为签退", "离开时本人扫码签退，按实际在岗时长记录", "不签退，系统会自动按全程计时", "事后找社工改成全程"),
        1,
    ),
    (
        "忘记扫码签到，但确实参加了服务，应当怎么办？",
        ("向活动组织社工说明，由社工凭签到表申请补录", "下次活动多签一次", "自己在系统里修改时间", "放弃这次时长"),
        0,
    ),
    (
        "入户探访独居长者时，下列做法正确的是？",
        ("两人以上同行，进门前出示志愿者证件并说明来意", "为节省时间可独自前往", "可以替长者保管银行卡", "可以接受长者赠送的红包"),
        0,
    ),
    (
        "探访中发现长者身体不适、情况紧急时，应当首先？",
        ("拨打120并立即联系社工站和家属", "自行喂药", "拍照发朋友圈求助", "等下次探访再说"),
        0,
    ),
    (
        "志愿服务中获取的服务对象姓名、住址、电话、病情等信息，应当？",
        ("严格保密，仅用于本次服务，不外传不拍照公开", "可以在志愿者群里分享", "可以用于推销产品", "可以告诉邻居"),
        0,
    ),
    ("为服务对象拍照或录像用于宣传前，需要？", ("征得本人（或监护人）同意，且不暴露隐私", "无需同意", "只要打码就行", "社工同意即可"), 0),
    (
        "辅导困境儿童功课时，下列哪项是不允许的？",
        ("与儿童单独在封闭房间内相处", "在公共活动室进行辅导", "鼓励孩子独立完成作业", "发现异常及时告知社工"),
        0,
    ),
    (
        "陪伴视障人士行走时，正确的引导方式是？",
        ("让对方扶着你的手肘，你走在其侧前方半步", "从后面推着对方走", "拉着对方的手快步走", "让对方自己走，你在后面看着"),
        0,
    ),
    (
        "社区夜间平安巡逻时发现可疑情况，应当？",
        ("保持距离，记录情况并报告社区民警或拨打110", "独自上前制止", "拍视频发到网上", "不予理会"),
        0,
    ),
    (
        "时间银行积分可以用来做什么？",
        ("兑换社工站和爱心商家提供的服务或物品，或赠予家人", "兑换现金", "转卖给他人", "抵扣物业费以外的任何税费"),
        0,
    ),
    ("时间银行积分可以转赠给谁？", ("已登记关系的家庭成员，或捐入社区积分池", "任何陌生人", "只能转给社工", "不能转赠"), 0),
    (
        "一天内服务时长超过8小时，会怎样处理？",
        ("需由社工机构再审批一次，且每天最多记录12小时", "自动全部记录", "超过部分作废并扣分", "无需任何审批"),
        0,
    ),
    (
        "参加志愿服务前购买或确认志愿者保险的主要目的是？",
        ("保障志愿者在服务中发生意外时的权益", "可以获得额外积分", "为了评星", "没有作用"),
        0,
    ),
    (
        "发生火情时，志愿者协助疏散群众应当？",
        ("引导大家用湿毛巾捂住口鼻、弯腰沿安全出口撤离，不乘电梯", "乘电梯快速下楼", "返回屋内取贵重物品", "跳楼逃生"),
        0,
    ),
    ("参与垃圾分类督导时，废旧电池应当投放到？", ("有害垃圾", "可回收物", "厨余垃圾", "其他垃圾"), 0),
)


# The city bank (no station): drawn at every station together with the station's own questions above. Conduct
# in Guangdong/Guangzhou practice: stars, credits and their limits, check-in and check-out, the volunteer number,
# privacy of those served, safety. (question, choices, index of the right one)
CITY_QUESTIONS: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("广州公益时间银行倡导的“时间换服务”是指？",
     ("以志愿服务积累时间积分，再用积分兑换社区服务和资源", "花钱购买志愿服务时间", "加班换调休", "用积分兑换现金"), 0),
    ("累计认证服务时长达到多少小时，可以成为一星志愿者？", ("100小时", "50小时", "200小时", "300小时"), 0),
    ("五星志愿者需要累计多少小时认证服务时长？", ("1500小时", "1000小时", "600小时", "2000小时"), 0),
    ("使用时间积分兑换服务或物品，需要满足什么条件？",
     ("达到一星（累计100小时认证服务时长）", "注册成为志愿者即可", "必须是五星志愿者", "必须是党员"), 0),
    ("个人时间积分余额的上限是多少？超出部分怎样处理？",
     ("1500积分，超出部分自动捐入社区积分池", "没有上限", "1000积分，超出部分作废", "超出部分可以兑换现金"), 0),
    ("时间积分可以出售或者换成现金吗？",
     ("不可以，积分不能买卖，只能兑换服务物品、赠予家人或捐入积分池", "可以按1元1分出售", "可以在二手平台转让", "经社工同意即可出售"), 0),
    ("把积分赠予家人之前，需要先做什么？",
     ("在平台上登记与家人的关系", "把自己的登录密码告诉家人", "请社工把积分代转", "不需要任何手续"), 0),
    ("从签到到签退的时长至少要覆盖班次的多少，这次服务时长才被认可？", ("60%", "30%", "100%", "签到即可，不看时长"), 0),
    ("同一活动同一天，每人最多可以扫码签到几次？", ("3次", "1次", "不限次数", "10次"), 0),
    ("一天的服务时长超过12小时，会怎样处理？",
     ("超出部分不予记录，每人每天最多记录12小时", "全部自动记录", "折半记录", "由居委会盖章后记录"), 0),
    ("服务时长按什么单位记录？", ("每0.5小时为一档", "精确到分钟", "按整天计算", "按参加次数计算"), 0),
    ("你的班次是9:00—12:00，10:00才赶到现场，正确的做法是？",
     ("到场时本人扫码签到，按实际在岗时长记录", "请社工把签到时间改成9:00", "请同伴9:00先帮你扫码", "不签到，事后再补"), 0),
    ("可以替没到场的志愿者扫码签到吗？",
     ("不可以，签到签退须本人在现场扫码", "可以，朋友之间互相帮忙", "社工不在场时可以", "只要对方事后来补时长就可以"), 0),
    ("报名活动后因事不能参加，应当？",
     ("尽早在平台上取消报名，让候补的志愿者递补", "不用理会", "等活动开始后再说", "让别人用自己的名义参加"), 0),
    ("活动名额已满，报名后显示“候补”，意思是？",
     ("有人取消时按报名先后顺序递补", "不可能参加了", "可以直接到现场参加", "需要交费才能参加"), 0),
    ("在志愿者名单、服务证明和排行榜上，用什么标识志愿者身份？",
     ("志愿者编号", "身份证号码", "手机号码", "家庭住址"), 0),
    ("为什么服务证明和公示名单上不出现志愿者的身份证号码？",
     ("身份证号属于敏感个人信息，国家规定志愿者以志愿者编号对外标识", "因为号码太长", "因为打印不清楚", "没有什么原因"), 0),
    ("协助社工整理服务对象名单时，名单上的身份证号和电话应当？",
     ("只在工作需要的范围内使用，不拍照、不转发、不带离服务场所", "存到自己手机里备用", "发到家庭群里请家人帮忙核对",
      "用完随手丢进垃圾桶"), 0),
    ("服务对象的健康状况、残疾情况、低保或特困身份属于？",
     ("敏感个人信息，必须严格保密", "可以公开的信息", "可以在志愿者群里讨论的话题", "可以写进朋友圈的素材"), 0),
    ("为不满14周岁的儿童登记信息或拍照，需要？",
     ("取得其父母或其他监护人的同意", "孩子本人同意即可", "学校老师同意即可", "不需要任何人同意"), 0),
    ("在“微心愿”墙上公开展示服务对象的心愿时，应当？",
     ("不显示姓名和详细住址，只写到所在社区", "写上全名和门牌号，方便认领", "附上身份证照片以示真实", "附上联系电话方便直接联系"), 0),
    ("发现自己的服务时长记录有误（例如多记了时长），应当？",
     ("向活动组织方说明，由组织方驳回或冲正，原记录保留可查", "请人把原记录删除", "自己在系统里改掉", "多记了也不用管"), 0),
    ("“谁记录谁证明，谁证明谁负责”是指？",
     ("记录和审核服务时长的人要对记录的真实性负责", "志愿者自己对一切负责", "由系统自动负责", "出了问题谁都不负责"), 0),
    ("标注“仅限认证志愿者”的活动，报名前需要？",
     ("通过志愿者认证考试", "达到五星", "具有党员身份", "缴纳押金"), 0),
    ("认证考试没有通过，应当怎么办？",
     ("复习志愿者手册，在剩余次数内重考，次数用完联系社工站", "请别人代考", "从此放弃志愿服务", "花钱购买证书"), 0),
    ("服务证明上的核验码有什么用？",
     ("任何人都可以凭它在平台上核验证明的真伪和服务时长", "可以兑换现金", "可以参加抽奖", "没有作用"), 0),
    ("服务中，服务对象要送你礼物或红包，应当？",
     ("婉言谢绝，并如实告诉社工", "收下以免对方不高兴", "只收礼物不收红包", "暗示对方再多给一些"), 0),
    ("志愿服务遵循自愿、无偿原则，下列哪种做法违背了这一原则？",
     ("向服务对象收取服务费", "利用业余时间参加服务", "如实记录服务时长", "用积分兑换社区服务"), 0),
    ("在慈善捐赠站点协助居民捐款时，应当？",
     ("当面清点，由站点登记并开具票据，不私自收存现金", "先放进自己口袋，活动结束再上交", "为省事不登记", "用自己的微信收款码代收"), 0),
    ("高温天气在户外服务（如交通劝导、垃圾分类督导），应当？",
     ("做好防暑，适时补水休息，出现头晕恶心立即停止并告诉负责人", "坚持到底，中途不休息", "不戴帽子也不带水", "空腹上岗"), 0),
    ("台风红色预警期间，原定的户外志愿活动应当？",
     ("按通知暂停或取消，留在安全的室内", "照常进行", "自行前往活动地点等候", "到江边海边拍照记录"), 0),
    ("服务中自己受了轻伤，应当？",
     ("立即告诉负责的社工，及时处理，并按保险要求保留就医凭证", "忍着不说", "一声不响地离开", "要求服务对象赔偿"), 0),
    ("开展防诈骗宣传时，长者说接到“中奖”“退款”电话要他转账，应当？",
     ("提醒他不要转账，告诉家属或社工，必要时拨打96110反诈专线", "帮他操作转账", "劝他先转一部分试试", "不予理会"), 0),
    ("教长者用智能手机（如网上挂号、缴费）时，正确的做法是？",
     ("耐心示范，由长者本人操作，不索要密码和验证码", "要来密码替他操作", "顺便帮他转账", "给他安装来源不明的软件"), 0),
    ("推轮椅下坡时，正确的做法是？",
     ("倒退下坡，握紧把手控制速度", "正向快速冲下坡", "让长者自己推着走", "抬起前轮冲下去"), 0),
    ("与听障人士交流时，恰当的做法是？",
     ("面对对方，语速适中、口型清楚，必要时用文字或手语", "在对方耳边大声喊", "背对对方讲话", "干脆不交流"), 0),
    ("探访中发现服务对象疑似遭受家庭暴力或虐待，应当？",
     ("及时告诉社工，由社工依程序处理，情况紧急时报警", "当作没看见", "拍视频发到网上", "自己去找施暴者理论"), 0),
)


# (category, title pattern, place pattern, skills, weekday 0=Mon, start "HH:MM", hours, headcount, quiz required)
@dataclass(frozen=True)
class Recurring:
    category: str
    title: str
    place: str
    description: str
    skills: tuple[str, ...]
    weekday: int
    start: str
    hours: float
    headcount: int
    quiz: bool = False
    regular_every: int = 1  # the station's most regular app volunteer comes to every n-th shift
    regular_skips_last: bool = False  # ... but not the last one before today


BEIJING: tuple[Recurring, ...] = (
    Recurring(
        Category.HARDSHIP,
        "困难家庭爱心食物包分装派送",
        "北京街社工站一楼（{road}{n}号）",
        "分装米面油和日用品爱心包，按名单送到低保、低收入和困境家庭。",
        ("driving", "events"),
        0,
        "09:00",
        6,
        6,
    ),
    Recurring(
        Category.ELDERLY,
        "{c}独居长者周六探访",
        "{c}居委会（北京路{n}号）集合",
        "两人一组入户探访独居、高龄长者，陪伴聊天、了解需求、检查家中用电用气安全。",
        ("elderly_care",),
        5,
        "09:00",
        3,
        6,
    ),
    Recurring(
        Category.ORPHANS,
        "“四点半课堂”困境儿童课业辅导",
        "北京街社工站二楼活动室（{road}{n}号）",
        "为辖内困境儿童、留守儿童辅导作业，开展阅读和手工活动。",
        ("tutoring",),
        2,
        "16:00",
        2.5,
        4,
        True,
        regular_every=2,
    ),
    Recurring(
        Category.GOVERNANCE,
        "北京路步行街周五夜间平安巡逻",
        "北京路步行街北口（北京路与中山五路交界）",
        "佩戴红袖章沿步行街及周边街巷巡逻，劝导不文明行为，发现隐患及时报告。",
        ("events",),
        4,
        "19:00",
        3,
        8,
        regular_skips_last=True,
    ),
    Recurring(
        Category.ENVIRONMENT,
        "{c}垃圾分类定时定点督导",
        "{c}垃圾分类投放点",
        "早高峰在投放点指导居民分类投放，做好破袋和宣传。",
        (),
        6,
        "07:30",
        3,
        4,
    ),
)
SHIPAI: tuple[Recurring, ...] = (
    Recurring(
        Category.ELDERLY,
        "石牌长者饭堂助餐送餐服务",
        "石牌街长者饭堂（石牌西路{n}号）",
        "协助长者饭堂分餐，为行动不便的长者送餐上门。",
        ("elderly_care", "driving"),
        1,
        "10:00",
        5,
        5,
    ),
    Recurring(
        Category.DISABILITY,
        "康园工疗站残障学员陪伴",
        "石牌街康园工疗站（{road}{n}号）",
        "陪伴智障、精神障碍康复学员开展手工和康复训练。",
        ("psychology",),
        3,
        "14:00",
        3,
        3,
        True,
    ),
    Recurring(
        Category.CULTURE,
        "“数字助老”智能手机教学",
        "{c}党群服务站",
        "手把手教长者使用健康码、微信视频、防诈骗知识。",
        ("it",),
        5,
        "14:30",
        2.5,
        6,
    ),
)
LIGHT: tuple[Recurring, ...] = (
    Recurring(
        Category.ELDERLY,
        "{c}长者生日会暨探访",
        "{c}长者活动中心",
        "为当月生日的长者举办生日会，随后入户探访。",
        ("elderly_care", "events"),
        5,
        "09:30",
        3,
        6,
    ),
    Recurring(Category.ENVIRONMENT, "{c}清洁日", "{c}居委会门前集合", "清理楼道杂物和绿化带垃圾，宣传防蚊灭蚊。", (), 6, "08:30", 2.5, 10),
)
FULL_DAY = (
    "{street}重阳敬老游园会暨长者义诊",
    "{street}社工站及{c}广场",
    "重阳节游园会：布置场地、引导长者参加游戏、协助义诊登记和午餐分发。",
)

CATALOG: dict[str, tuple[tuple[str, str, str, int, int, str], ...]] = {
    # (name, merchant, description, price in credits, stock, limit per person)
    "北京街道": (
        ("义剪理发一次", "", "社工站每月第二个周六上午，志愿理发师上门或到站理发。", 1, 40, "2"),
        ("社区食堂餐券（午餐一份）", "北京街长者饭堂", "凭券在北京街长者饭堂领取午餐一份。", 1, 200, "10"),
        ("小家电维修一次", "", "电饭煲、风扇、电水壶等小家电检修，材料费另计。", 2, 30, "2"),
        ("米面油套装（5kg米+1L油）", "华润万家北京路店", "到店出示兑换码领取。", 5, 25, "1"),
        ("长者助浴服务一次", "广州市越秀区颐康居家养老服务部", "专业护理员上门助浴，适合失能、半失能长者。", 3, 15, "2"),
        ("法律咨询（30分钟）", "广东明理律师事务所", "婚姻家事、赡养、租赁纠纷等免费咨询。", 2, 20, "1"),
    ),
    "石牌街道": (
        ("义剪理发一次", "", "石牌街社工站每月最后一个周日上午。", 1, 30, "2"),
        ("社区食堂餐券（午餐一份）", "石牌街长者饭堂", "凭券领取午餐一份。", 1, 150, "10"),
        ("家电清洗（空调/油烟机）", "广州天河家安家电服务部", "上门清洗一台空调或油烟机。", 4, 20, "1"),
        ("米面油套装（5kg米+1L油）", "石牌东路钱大妈", "到店出示兑换码领取。", 5, 20, "1"),
    ),
}

# Streets whose stations run activities, and who organizes there (else the admin does).
RICH = {"北京街道": ("station_worker", BEIJING), "石牌街道": ("station_worker2", SHIPAI)}
LIGHT_STREETS = ("人民街道", "五山街道")
APP_VOLUNTEERS = {"北京街道": 5, "石牌街道": 3}  # residents who register in the app (besides the demo login)
PAST_WEEKS = 7

SKILL_SETS = (
    ("elderly_care",),
    ("elderly_care", "events"),
    ("tutoring",),
    ("tutoring", "photography"),
    ("repair",),
    ("haircut",),
    ("medical",),
    ("legal",),
    ("psychology",),
    ("it",),
    ("it", "photography"),
    ("driving", "events"),
    ("sign_language",),
    (),
)
AVAILABILITY = (
    ("sat_am", "sun_am"),
    ("weekday_pm",),
    ("weekday_eve", "sat_pm"),
    ("sat_am", "sat_pm", "sun_am", "sun_pm"),
    ("weekday_am", "weekday_pm"),
    ("weekday_eve",),
    ("sun_am",),
)


class SimulatedClock:
    """Moves "now" for the services (django.utils.timezone.now and time.time, which the QR codes sign
    with) to a moment in the past, so a year of activity goes through the same checks as on the day."""

    def __init__(self) -> None:
        self._real = time.time
        self.offset = 0.0

    def at(self, moment: dt.datetime) -> None:
        self.offset = moment.timestamp() - self._real()

    def real(self) -> None:
        self.offset = 0.0

    def _time(self) -> float:
        return self._real() + self.offset

    def _now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self._time(), tz=dt.UTC)

    @contextmanager
    def installed(self) -> Iterator[SimulatedClock]:
        with mock.patch("time.time", self._time), mock.patch("django.utils.timezone.now", self._now):
            try:
                yield self
            finally:
                self.real()


@dataclass
class Site:
    station: Station
    organizer: Any
    agency: Any  # who approves above 8 h and late entries (not the organizer); None: they wait
    communities: list[Division]
    app: list[Volunteer] = field(default_factory=list)  # volunteers with a login
    paper: list[Volunteer] = field(default_factory=list)  # registered at the station, sign in on paper
    activities: list[Activity] = field(default_factory=list)


def _local(day: dt.date, hhmm: str) -> dt.datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    return dt.datetime(day.year, day.month, day.day, h, m, tzinfo=TZ)


class TimebankSeeder:
    def __init__(self, *, seed: int, password: str) -> None:
        self.rng = random.Random(seed + 11)
        self.password = password
        self.counts: Counter[str] = Counter()
        User = get_user_model()
        self.users = {
            u.username: u
            for u in User.objects.filter(
                username__in=["admin", "city_admin", "agency_manager", "station_worker", "station_worker2", "volunteer"])
        }
        self.admin = self.users["admin"]
        self.clock = SimulatedClock()
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.sites: dict[str, Site] = {}
        self.me: Volunteer | None = None
        self.usernames: set[str] = set(User.objects.values_list("username", flat=True))

    # -- helpers --

    def _user(self, name: str) -> Any:
        return self.users.get(name) or self.admin

    def _day_ago(self, days: int, hhmm: str = "10:00") -> dt.datetime:
        return _local(self.today - dt.timedelta(days=days), hhmm)

    def _place(self, pattern: str, site: Site, community: Division) -> str:
        district = site.station.street.parent
        roads = {"越秀区": ("北京路", "中山五路", "文德路", "西湖路"), "天河区": ("石牌西路", "天河路", "五山路", "石牌东路")}
        road = self.rng.choice(roads.get(district.name if district else "", ("中山大道",)))
        return pattern.format(c=community.name, n=self.rng.randint(2, 380), road=road, street=site.station.street.name)

    # -- the steps --

    def run(self) -> Counter[str]:
        if self.already_there():
            return self.counts
        with self.clock.installed():
            self.setup_sites()
            self.questions()
            self.app_volunteers()
            self.station_volunteers()
            self.quizzes()
            self.catalog()
            for name, (_, recurring) in RICH.items():
                if name in self.sites:
                    self.past(self.sites[name], recurring)
            for name in LIGHT_STREETS:
                if name in self.sites:
                    self.past(self.sites[name], LIGHT, weeks=4)
            self.full_day()
            self.late_entry()
            self.upcoming()
            self.spending()
        return self.counts

    def already_there(self) -> bool:
        return (
            QuizQuestion.objects.filter(station__street__name="北京街道").exists()
            or Activity.objects.filter(station__street__name="北京街道", title__contains="独居长者周六探访").exists()
        )

    def setup_sites(self) -> None:
        names = [*RICH, *LIGHT_STREETS]
        stations = {s.street.name: s for s in Station.objects.select_related("street__parent", "agency").filter(street__name__in=names)}
        manager = self.users.get("agency_manager")
        for name in names:
            station = stations.get(name)
            if station is None:
                continue
            manages = manager is not None and is_agency(scope_of(manager), station)
            if name in RICH:  # the station's social worker organizes; the agency (or the admin) confirms
                organizer = self._user(RICH[name][0])
                agency: Any = manager if manages else self.admin
            else:  # organized by the admin; without a manager of its agency, agency approvals wait
                organizer, agency = self.admin, manager if manages else None
            if agency is not None and agency.pk == organizer.pk:
                agency = None
            communities = list(Division.objects.filter(parent=station.street).order_by("code"))
            self.sites[name] = Site(station=station, organizer=organizer, agency=agency, communities=communities)

    def questions(self) -> None:
        """The city bank, written by the city administrator, then the stations' own questions by their organizers."""
        city_admin = self.users.get("city_admin") or self.admin
        for i, (text, choices, answer) in enumerate(CITY_QUESTIONS):
            self._question(actor=city_admin, station=None, text=text, choices=choices, answer=answer, turn=i)
        for name, site in self.sites.items():
            bank = [
                *QUESTIONS,
                (
                    f"{name}社工站的志愿者服务时长在哪里查询？",
                    ("善联时间银行“我的时长”页面", "只能打电话问社工", "无法查询", "居委会公告栏"),
                    0,
                ),
            ]
            for i, (text, choices, answer) in enumerate(bank):
                self._question(actor=site.organizer, station=site.station, text=text, choices=choices, answer=answer, turn=i)

    def _question(self, *, actor: Any, station: Station | None, text: str, choices: tuple[str, ...], answer: int, turn: int) -> None:
        k = turn % len(choices)  # the right answer is not always the first choice
        tb.quiz_question_create(actor=actor, station=station, text=text, choices=[*choices[k:], *choices[:k]],
                                answer=(answer - k) % len(choices))
        self.counts["timebank_questions"] += 1

    def _register(self, *, actor: Any, person: Person, station: Station, at: dt.datetime, areas: list[Division]) -> Volunteer:
        self.clock.at(at)
        party = self.rng.random() < 0.18
        volunteer = tb.volunteer_register(
            actor=actor,
            person=person,
            station=station,
            skills=list(self.rng.choice(SKILL_SETS)),
            availability=list(self.rng.choice(AVAILABILITY)),
            service_areas=areas,
            party_member=party,
            party_consent=party,
        )
        self.counts["timebank_volunteers"] += 1
        return volunteer

    def _areas(self, person: Person, site: Site) -> list[Division]:
        areas = [person.division] if person.division.parent_id == site.station.street_id else []
        extra = [c for c in site.communities if c not in areas]
        return areas + self.rng.sample(extra, min(len(extra), self.rng.randint(0 if areas else 1, 2)))

    def app_volunteers(self) -> None:
        """The demo login and a few residents who signed up in the app (an account each)."""
        me_user = self.users.get("volunteer")
        site = self.sites.get("北京街道")
        if site is None:
            return
        if me_user is not None:
            person = Person.objects.filter(user=me_user).select_related("division").first()
            if person is not None and not Volunteer.objects.filter(person=person).exists():
                self.me = self._register(
                    actor=me_user,
                    person=person,
                    station=site.station,
                    at=_local(dt.date(self.today.year - 1, 9, 12), "20:15"),
                    areas=self._areas(person, site),
                )
                site.app.append(self.me)
        for name, count in APP_VOLUNTEERS.items():
            site = self.sites.get(name)
            if site is None:
                continue
            people = list(
                Person.objects.filter(
                    division__parent=site.station.street,
                    user__isnull=True,
                    volunteer__isnull=True,
                    birth_year__gte=1960,
                    birth_year__lte=2004,
                )
                .select_related("division")
                .order_by("pk")
            )
            for person in self.rng.sample(people, min(count, len(people))):
                username = self._username(person.real_name)
                self.clock.at(self._day_ago(self.rng.randint(200, 330), f"{self.rng.randint(9, 21)}:{self.rng.choice(['05', '20', '42'])}"))
                user = people_services.account_create(actor=None, person=person, username=username, password=self.password)
                self.counts["timebank_logins"] += 1
                volunteer = self._register(
                    actor=user,
                    person=person,
                    station=site.station,
                    at=timezone.now() + dt.timedelta(minutes=3),
                    areas=self._areas(person, site),
                )
                site.app.append(volunteer)

    def _username(self, name: str) -> str:
        base = "".join(lazy_pinyin(name)) or "volunteer"
        while True:
            username = f"{base}{self.rng.randint(10, 99)}"
            if username not in self.usernames:
                self.usernames.add(username)
                return username

    def station_volunteers(self) -> None:
        """Residents registered by the station (many older volunteers sign in on paper)."""
        stations = {s.street_id: s for s in Station.objects.select_related("street__parent")}
        by_name = dict(self.sites)
        people = (
            Person.objects.filter(user__isnull=True, volunteer__isnull=True, birth_year__lte=2006)
            .select_related("division__parent__parent")
            .order_by("pk")
        )
        for person in people:
            street = person.division.parent
            if street is None or street.pk not in stations:
                continue
            district = street.parent.name if street.parent else ""
            site = by_name.get(street.name)
            roll = self.rng.random()
            if site is not None and roll < 0.9:
                station, actor = site.station, site.organizer
            elif district == "越秀区" and "北京街道" in by_name and roll < 0.2:
                site = by_name["北京街道"]
                station, actor = site.station, self.admin
            elif district == "天河区" and "石牌街道" in by_name and roll < 0.2:
                site = by_name["石牌街道"]
                station, actor = site.station, self.admin
            elif roll < 0.09:
                site, station, actor = None, stations[street.pk], self.admin
            else:
                continue
            areas = self._areas(person, site) if site is not None else [person.division]
            volunteer = self._register(
                actor=actor, person=person, station=station, at=self._day_ago(self.rng.randint(30, 700)), areas=areas
            )
            if site is not None:
                site.paper.append(volunteer)

    def quizzes(self) -> None:
        """Every app volunteer sits the quiz at their station: most pass, some fail first and retake."""
        for site in self.sites.values():
            for n, volunteer in enumerate(site.app):
                user = volunteer.person.user
                start = volunteer.registered_at + dt.timedelta(minutes=10)
                outcomes = [True] if n % 3 != 2 else [False, True]
                if n == len(site.app) - 1 and n >= 3:
                    outcomes = [False]  # one still to retake
                for k, passing in enumerate(outcomes):
                    self.clock.at(start + dt.timedelta(days=k * 2))
                    attempt = tb.quiz_start(actor=user, volunteer=volunteer)
                    answers = self._answers(attempt, passing)
                    self.clock.at(start + dt.timedelta(days=k * 2, minutes=self.rng.randint(6, 15)))
                    tb.quiz_submit(actor=user, attempt=attempt, answers=answers)
                    self.counts["timebank_quiz_attempts"] += 1

    def _answers(self, attempt: QuizAttempt, passing: bool) -> dict[str, int]:
        questions = {q.pk: q for q in QuizQuestion.objects.filter(pk__in=attempt.question_ids)}
        wrong = self.rng.randint(0, 1) if passing else self.rng.randint(3, 5)
        answers = {}
        for i, qid in enumerate(attempt.question_ids):
            q = questions[qid]
            answers[str(qid)] = (q.answer + 1) % len(q.choices) if i < wrong else q.answer
        return answers

    def catalog(self) -> None:
        for name, items in CATALOG.items():
            site = self.sites.get(name)
            if site is None:
                continue
            self.clock.at(self._day_ago(120))
            for item_name, merchant, description, price, stock, limit in items:
                tb.catalog_item_create(
                    actor=site.organizer,
                    station=site.station,
                    name=item_name,
                    price=price,
                    stock=stock,
                    per_person_limit=int(limit),
                    merchant=merchant,
                    description=description,
                )
                self.counts["timebank_items"] += 1

    # -- past activity --

    def _publish(self, site: Site, spec: Recurring, days: list[dt.date], at: dt.datetime, community: Division) -> Activity:
        self.clock.at(at)
        shifts = []
        for day in days:
            start = _local(day, spec.start)
            shifts.append((start, start + dt.timedelta(hours=spec.hours), spec.headcount))
        activity = tb.activity_publish(
            actor=site.organizer,
            station=site.station,
            title=spec.title.format(c=community.name),
            category=spec.category,
            division=community,
            place=self._place(spec.place, site, community),
            shifts=shifts,
            description=spec.description,
            skills=list(spec.skills),
            quiz_required=spec.quiz,
        )
        self.counts["timebank_activities"] += 1
        self.counts["timebank_shifts"] += len(shifts)
        site.activities.append(activity)
        return activity

    def _weekly(self, weekday: int, weeks: int, ahead: int) -> list[dt.date]:
        """The last `weeks` occurrences of a weekday before today and the next `ahead` after it."""
        back = (self.today.weekday() - weekday) % 7 or 7
        last = self.today - dt.timedelta(days=back)
        past = [last - dt.timedelta(weeks=w) for w in range(weeks - 1, -1, -1)]
        nxt = self.today + dt.timedelta(days=(weekday - self.today.weekday()) % 7 or 7)
        return past + [nxt + dt.timedelta(weeks=w) for w in range(ahead)]

    def _attend(self, shift: Shift, volunteer: Volunteer, *, leave_early: bool = False) -> HoursRecord | None:
        user = volunteer.person.user
        self.clock.at(shift.starts_at - dt.timedelta(minutes=self.rng.randint(3, 15)))
        tb.check_in(actor=user, volunteer=volunteer, token=tb.qr_token(shift=shift))
        end = shift.starts_at + (shift.ends_at - shift.starts_at) * 0.4 if leave_early else shift.ends_at
        self.clock.at(end + dt.timedelta(minutes=self.rng.randint(1, 20)))
        _, record = tb.check_out(actor=user, volunteer=volunteer, token=tb.qr_token(shift=shift))
        return record

    def _signup(self, volunteer: Volunteer, shift: Shift, at: dt.datetime) -> Signup | None:
        self.clock.at(at)
        try:
            signup = tb.signup_create(actor=volunteer.person.user, volunteer=volunteer, shift=shift)
        except DomainError:
            return None  # overlapping or not certified: this volunteer skips the shift
        self.counts["timebank_signups"] += 1
        return signup

    def past(self, site: Site, recurring: tuple[Recurring, ...], weeks: int = PAST_WEEKS) -> None:
        certified = {v.pk for v in site.app if tb.is_certified(v)}
        for i, spec in enumerate(recurring):
            community = site.communities[i % len(site.communities)]
            days = self._weekly(spec.weekday, weeks, 2)
            first = _local(days[0], spec.start)
            activity = self._publish(site, spec, days, first - dt.timedelta(days=6, hours=3), community)
            shifts = list(activity.shifts.order_by("starts_at"))
            pool = [v for v in site.app if v.pk in certified or not spec.quiz]
            for n, shift in enumerate(shifts):
                if shift.starts_at > self.now:
                    self.upcoming_signups(shift, pool)
                    continue
                regular = (
                    bool(site.app)
                    and site.app[0] in pool
                    and n % spec.regular_every == 0
                    and not (spec.regular_skips_last and n == weeks - 1)
                )
                self.past_shift(site, shift, pool, recent=shift.starts_at > self.now - dt.timedelta(days=8), n=n, regular=regular)

    def past_shift(self, site: Site, shift: Shift, pool: list[Volunteer], *, recent: bool, n: int, regular: bool) -> None:
        lead = site.app[0] if site.app else None
        crowd = [v for v in pool if v is not lead]
        chosen = self.rng.sample(crowd, min(len(crowd), self.rng.choice((0, 0, 1, 1, 2))))
        if regular and lead is not None:
            chosen.insert(0, lead)
        records: list[HoursRecord] = []
        for v in chosen:
            if self._signup(v, shift, shift.starts_at - dt.timedelta(days=2, hours=self.rng.randint(0, 30))) is None:
                continue
            early = v is not lead and self.rng.random() < 0.05
            record = self._attend(shift, v, leave_early=early)
            if record is not None:
                records.append(record)
                self.counts["timebank_hours"] += 1
        decide = shift.ends_at + dt.timedelta(hours=self.rng.randint(14, 40))
        for record in records:
            if recent and record.volunteer_id != getattr(lead, "pk", None):
                continue  # waiting in the organizer's queue
            self.clock.at(decide)
            if record.volunteer_id != getattr(lead, "pk", None) and n % 9 == 4:
                tb.hours_decline(actor=site.organizer, record=record, reason="签到后未在岗服务，经现场负责人核实不予记录")
            else:
                tb.hours_approve(actor=site.organizer, record=record)
        # Older volunteers without a smartphone sign the paper sheet; the social worker enters them late.
        if site.paper and n % 3 == 0:
            for v in self.rng.sample(site.paper, min(len(site.paper), 1 if n % 2 else 2)):
                self._paper_hours(site, shift, v, approve=not recent)

    def _paper_hours(self, site: Site, shift: Shift, volunteer: Volunteer, *, approve: bool) -> None:
        length = Decimal((shift.ends_at - shift.starts_at).total_seconds()) / 3600
        self.clock.at(shift.ends_at + dt.timedelta(hours=self.rng.randint(2, 20)))
        try:
            record = tb.hours_late_entry(
                actor=site.organizer, volunteer=volunteer, shift=shift, hours=length, reason="长者志愿者无智能手机，按纸质签到表补录"
            )
        except DomainError:
            return
        self.counts["timebank_hours"] += 1
        if not approve:
            return
        record = tb.hours_approve(actor=site.organizer, record=record)
        if site.agency is not None:
            self.clock.at(timezone.now() + dt.timedelta(days=1, hours=2))
            tb.hours_agency_approve(actor=site.agency, record=record)

    def full_day(self) -> None:
        """The Double Ninth fair: a 10-hour day, which the organizer approves and the agency confirms."""
        site = self.sites.get("北京街道")
        if site is None:
            return
        day = dt.date(self.today.year, 10, 22) if self.today > dt.date(self.today.year, 10, 25) else self.today - dt.timedelta(days=35)
        day -= dt.timedelta(days=(day.weekday() - 3) % 7)  # a Thursday: no other activity of the station that day
        title, place, description = FULL_DAY
        community = site.communities[0]
        self.clock.at(_local(day - dt.timedelta(days=14), "11:00"))
        start = _local(day, "08:00")
        activity = tb.activity_publish(
            actor=site.organizer,
            station=site.station,
            title=title.format(street=site.station.street.name),
            category=Category.ELDERLY,
            division=community,
            place=place.format(street=site.station.street.name, c=community.name),
            shifts=[(start, start + dt.timedelta(hours=10), 12)],
            description=description,
            skills=["events", "medical"],
        )
        self.counts["timebank_activities"] += 1
        self.counts["timebank_shifts"] += 1
        shift = activity.shifts.get()
        crowd = [v for v in site.app if v is not self.me][:3]
        for v in [*([self.me] if self.me else []), *crowd]:
            if self._signup(v, shift, start - dt.timedelta(days=3)) is None:
                continue
            record = self._attend(shift, v)
            if record is None:
                continue
            self.counts["timebank_hours"] += 1
            self.clock.at(shift.ends_at + dt.timedelta(hours=16))
            record = tb.hours_approve(actor=site.organizer, record=record)  # above 8 h: waits for the agency
            if site.agency is not None and (v is self.me or v is crowd[0]):
                self.clock.at(shift.ends_at + dt.timedelta(days=2, hours=1))
                tb.hours_agency_approve(actor=site.agency, record=record)

    def late_entry(self) -> None:
        """The demo volunteer's phone died at a patrol: the worker enters the hours with a reason, the agency approves."""
        site = self.sites.get("北京街道")
        if site is None or self.me is None:
            return
        shift = (
            Shift.objects.filter(activity__station=site.station, activity__title__contains="平安巡逻", ends_at__lt=self.now)
            .exclude(hours__volunteer=self.me)
            .exclude(signups__volunteer=self.me)
            .order_by("-starts_at")
            .first()
        )
        if shift is None:
            return
        self.clock.at(shift.ends_at + dt.timedelta(days=1, hours=3))
        record = tb.hours_late_entry(
            actor=site.organizer, volunteer=self.me, shift=shift, hours=3, reason="当晚手机没电未能扫码签到，现场纸质签到表及巡逻照片为证"
        )
        record = tb.hours_approve(actor=site.organizer, record=record)
        self.counts["timebank_hours"] += 1
        if site.agency is not None:
            self.clock.at(timezone.now() + dt.timedelta(hours=20))
            tb.hours_agency_approve(actor=site.agency, record=record)

    # -- what is ahead --

    def upcoming_signups(self, shift: Shift, pool: list[Volunteer]) -> None:
        others = [v for v in pool if v is not self.me]
        wanted = [v for v in pool if v is self.me] + self.rng.sample(others, min(len(others), self.rng.randint(1, 2)))
        for v in wanted:
            self._signup(v, shift, self.now - dt.timedelta(hours=self.rng.randint(1, 70)))

    def upcoming(self) -> None:
        """A shift under way now (the QR page has something to show) and a popular one with a wait list."""
        for name in RICH:
            site = self.sites.get(name)
            if site is None:
                continue
            community = site.communities[-1]
            local = timezone.localtime(self.now)
            start = max(
                local.replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1),
                local.replace(hour=0, minute=0, second=0, microsecond=0),
            )
            end = min(start + dt.timedelta(hours=4), start.replace(hour=23, minute=59))
            if end <= local:
                end = local + dt.timedelta(hours=2)
            self.clock.at(self.now - dt.timedelta(days=2))
            today = tb.activity_publish(
                actor=site.organizer,
                station=site.station,
                title=f"{community.name}议事厅 · 加装电梯意见收集",
                category=Category.GOVERNANCE,
                division=community,
                place=f"{community.name}居委会议事厅",
                shifts=[(start, end, 6)],
                description="协助居委会收集加装电梯的居民意见，做好签到、记录和现场秩序维护。",
                skills=["events"],
            )
            self.counts["timebank_activities"] += 1
            self.counts["timebank_shifts"] += 1
            shift = today.shifts.get()
            for v in site.app[:3]:
                self._signup(v, shift, self.now - dt.timedelta(hours=30))
            # Checked in already: one app volunteer (not the demo login, who can try the QR code).
            first = next((v for v in site.app if v is not self.me), None)
            if first is not None and Signup.objects.filter(shift=shift, volunteer=first).exists() and start <= self.now:
                self.clock.at(max(start, self.now - dt.timedelta(minutes=20)))
                tb.check_in(actor=first.person.user, volunteer=first, token=tb.qr_token(shift=shift))
            # A popular one-off next Sunday afternoon: two places, the rest wait.
            day = self.today + dt.timedelta(days=(6 - self.today.weekday()) % 7 or 7)
            self.clock.at(self.now - dt.timedelta(days=3))
            start = _local(day, "14:00")
            popular = tb.activity_publish(
                actor=site.organizer,
                station=site.station,
                title=f"{site.station.street.name}“暖冬饺子宴”长者陪伴",
                category=Category.ELDERLY,
                division=site.communities[0],
                place=f"{site.station.street.name}长者饭堂",
                shifts=[(start, start + dt.timedelta(hours=3), 2)],
                description="和长者一起包饺子、表演节目，协助分餐和清洁。",
                skills=["elderly_care", "events"],
            )
            self.counts["timebank_activities"] += 1
            self.counts["timebank_shifts"] += 1
            shift = popular.shifts.get()
            for k, v in enumerate(site.app):
                self._signup(v, shift, self.now - dt.timedelta(hours=48 - k))

    def spending(self) -> None:
        """The demo volunteer spends: a haircut done, a meal voucher waiting, rice and oil cancelled;
        gives credits to family and to the pool, and takes a certificate."""
        site = self.sites.get("北京街道")
        if site is None or self.me is None:
            return
        me = Volunteer.objects.select_related("person__user", "account").get(pk=self.me.pk)
        user = me.person.user
        if tb.star_level(me.approved_hours) < 1:
            return
        items = {i.name: i for i in CatalogItem.objects.filter(station=site.station)}
        plan = (
            ("义剪理发一次", "fulfilled", 25),
            ("米面油套装（5kg米+1L油）", "cancelled", 12),
            ("社区食堂餐券（午餐一份）", "pending", 2),
        )
        for name, outcome, days in plan:
            item = items.get(name)
            if item is None:
                continue
            self.clock.at(self._day_ago(days, "18:30"))
            redemption = tb.redemption_create(
                actor=user, volunteer=me, item=item, quantity=2 if "餐券" in name else 1, idempotency_key=f"demo-{item.pk}"
            )
            self.counts["timebank_redemptions"] += 1
            self.clock.at(self._day_ago(days - 1, "10:00"))
            if outcome == "fulfilled":
                tb.redemption_fulfil(actor=site.organizer, redemption=redemption, pickup_code=redemption.pickup_code)
            elif outcome == "cancelled":
                tb.redemption_cancel(actor=user, redemption=redemption)
        # Family: the spouse also volunteers at the station.
        spouse = next(
            (
                v
                for v in site.paper
                if v.person.gender != me.person.gender
                and v.person.birth_year
                and abs(v.person.birth_year - (me.person.birth_year or 1999)) <= 4
            ),
            None,
        )
        spouse = spouse or next((v for v in site.paper if v.person.gender != me.person.gender), None)
        self.clock.at(self._day_ago(9, "21:00"))
        if spouse is not None:
            tb.family_link(actor=user, volunteer=me, member=spouse, relation=FamilyLink.Relation.SPOUSE)
            tb.credits_give(actor=user, volunteer=me, to=spouse, amount=3, external_id="demo-family-1")
            self.counts["timebank_gifts"] += 1
        self.clock.at(self._day_ago(8, "21:10"))
        tb.credits_give(actor=user, volunteer=me, to=None, amount=2, external_id="demo-pool-1")
        self.counts["timebank_gifts"] += 1
        self.clock.real()
        tb.certificate_issue(
            actor=user, volunteer=me, period_start=dt.date(self.today.year, 1, 1), period_end=self.today - dt.timedelta(days=1)
        )
        self.counts["timebank_certificates"] += 1
        # Another app volunteer in 石牌 spends too, if they have the stars (a redemption the station has to hand out).
        shipai = self.sites.get("石牌街道")
        if shipai is None:
            return
        for v in shipai.app:
            fresh = Volunteer.objects.get(pk=v.pk)
            if tb.star_level(fresh.approved_hours) >= 1:
                item = CatalogItem.objects.filter(station=shipai.station).order_by("price").first()
                if item is not None:
                    tb.redemption_create(actor=v.person.user, volunteer=fresh, item=item, idempotency_key="demo-1")
                    self.counts["timebank_redemptions"] += 1


def timebank_totals() -> Counter[str]:
    return Counter(
        {
            "timebank_questions": QuizQuestion.objects.count(),
            "timebank_volunteers": Volunteer.objects.count(),
            "timebank_activities": Activity.objects.count(),
            "timebank_hours": HoursRecord.objects.count(),
            "timebank_items": CatalogItem.objects.count(),
            "timebank_redemptions": Redemption.objects.count(),
        }
    )


def seed_timebank(*, seed: int, password: str) -> tuple[Counter[str], Counter[str]]:
    """(created, already there) by kind."""
    before = timebank_totals()
    created = TimebankSeeder(seed=seed, password=password).run()
    return created, before
