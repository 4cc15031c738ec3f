"""The demo city's micro-venture rounds (社区公益微创投) of the 北京街道 community fund, written through the grants
services on the days they happened, in the charity history's `Timeline` (so the ledger's order stays the order of
time: the rounds' reservations, the awards moved to their projects and the tranches paid sit among the gifts and
payouts of the same days).

Two rounds, dated from the day the demo is seeded ("today"):

- last year's round (about 13 months ago): needs named by residents and the station, supported, one duplicate
  merged; proposals from the station's agency, the district volunteers' association and three community groups;
  screening (one not feasible, one price cut), five experts (one recused by a declared tie) scoring with a rubric;
  a resident vote online and on paper (keyed twice); the allocation with every outcome's reason; agreements
  signed by both sides; projects in execution, the advance (40%) paid, milestones' evidence accepted, the mid-term
  tranche (40%) paid for some, and for one asked two days ago and waiting for the custodian's approval (a second
  person), another's evidence waiting for review;
- this year's round: in its resident vote now (opened six days ago), with needs and supports, screened proposals
  (one returned for changes and resubmitted, one not feasible), reviews done, and the turnout so far (online
  ballots, a pitch-and-vote day's paper ballots, two papers keyed once and one whose keyings differ).

Residents who take part are persons on record in the street (registered by the station; a few with a login, who
name and support needs and vote online; the rest vote on paper). The money of each round is the street fund's,
topped up before the round opens by a community foundation's micro-venture grant when the fund's free money is
short (as the city's plan has the community foundations do). Nothing is written a second time: the rounds are
part of the charity history, which a second run finds already there.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_UP, Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from pypinyin import lazy_pinyin

from shanlian.charity import services as cs
from shanlian.charity.models import CommunityFund, Payout
from shanlian.core import crypto
from shanlian.grants import services as gs
from shanlian.grants.models import (
    Agreement,
    Assignment,
    Ballot,
    GrantRound,
    PaperKeying,
    PhaseKind,
    Proposal,
    Result,
    ServiceProject,
    Tranche,
)
from shanlian.ledger.models import Account
from shanlian.orgs import services as org_services
from shanlian.orgs.models import Organization, OrgKind, PartyBranch, Station
from shanlian.people import services as people_services
from shanlian.people.models import Person
from shanlian.people.selectors import actor_scope
from shanlian.places.models import Division, Level

from . import data
from .charity import CharitySeeder, Timeline, _on, charity_totals
from .plan import _Planner
from .timebank import SimulatedClock

STREET = "北京街道"
VOLUNTEERS = "广州市越秀区志愿者协会"  # in the plan: the group_manager login manages it
FOUNDATION = "广州市众益社区公益基金会"  # tops the fund up for its rounds (the city's plan: community foundations lead them)
DAY = dt.timedelta(days=1)


# --- who takes part ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GroupSpec:
    """A community social organization (社区社会组织) registered with the district, and its manager."""

    key: str
    name: str
    registered_on: dt.date
    manager: tuple[str, str, dt.date]  # name, gender, birth


GROUPS: tuple[GroupSpec, ...] = (
    GroupSpec("elders", "广州市越秀区北京街长者互助协会", dt.date(2019, 5, 16), ("区秀珍", "F", dt.date(1955, 8, 21))),
    GroupSpec("disability", "广州市越秀区北京街残疾人亲友互助会", dt.date(2020, 10, 9), ("麦志明", "M", dt.date(1967, 3, 2))),
    GroupSpec("neighbours", "广州市越秀区北京街邻里互助促进会", dt.date(2021, 4, 28), ("邝美玲", "F", dt.date(1976, 12, 5))),
)

# Experts beside the demo's expert login (罗建华): name, gender, birth, home street, what they bring (in their comments).
EXPERTS: tuple[tuple[str, str, dt.date, str], ...] = (
    ("陈嘉敏", "F", dt.date(1979, 2, 14), "五山街道"),  # a university's social-work lecturer
    ("梁志刚", "M", dt.date(1971, 9, 30), "东山街道"),  # a senior supervisor, once at the station's agency (declares it)
    ("何婉仪", "F", dt.date(1982, 6, 3), "石牌街道"),  # a certified accountant: reads the budgets
    ("黄伟强", "M", dt.date(1968, 11, 11), "农林街道"),  # a former community party secretary
)
TIED_EXPERT = "梁志刚"
TIE_NOTE = "2019年至2023年曾任该机构督导"

RUBRIC: tuple[dict[str, Any], ...] = (
    {"name": "需求与受益对象", "weight": "25", "max_score": 10, "levels": [
        {"from": 0, "text": "需求不清，服务对象不明确"}, {"from": 4, "text": "需求有一定依据，对象基本明确"},
        {"from": 7, "text": "需求调研充分，回应居民集中反映的问题"}, {"from": 9, "text": "需求精准，聚焦困难群体且有数据支撑"}]},
    {"name": "公益性", "weight": "15", "max_score": 10, "levels": [
        {"from": 0, "text": "以娱乐或个别人受益为主"}, {"from": 5, "text": "有一定公益性"}, {"from": 8, "text": "公益性强，惠及困难群体"}]},
    {"name": "可行性", "weight": "20", "max_score": 10, "levels": [
        {"from": 0, "text": "计划笼统，难以执行"}, {"from": 4, "text": "计划基本可行"},
        {"from": 7, "text": "计划具体，进度与分工清晰"}, {"from": 9, "text": "计划周密，有风险预案"}]},
    {"name": "预算合理性", "weight": "20", "max_score": 10, "levels": [
        {"from": 0, "text": "预算与内容不符或单价明显偏高"}, {"from": 5, "text": "预算基本合理，个别单价需核减"},
        {"from": 8, "text": "预算明细清楚，单价合理"}]},
    {"name": "创新与可持续", "weight": "10", "max_score": 10, "levels": [
        {"from": 0, "text": "一次性活动"}, {"from": 5, "text": "有延续的打算"}, {"from": 8, "text": "培育居民骨干，可持续运作"}]},
    {"name": "团队能力", "weight": "10", "max_score": 10, "levels": [
        {"from": 0, "text": "缺少执行经验"}, {"from": 5, "text": "有一定经验"}, {"from": 8, "text": "经验丰富，有社工专业支持"}]},
)

COMMENTS = {
    "high": ("需求调研扎实，服务对象清晰，实施计划和预算编制合理，团队有同类项目经验。建议细化成效评估指标，做好服务过程记录。",
             "项目回应了居民集中反映的需求，社区参与度高，可持续性较好。建议加强志愿者骨干培育，形成长效机制。",
             "设计完整，进度安排具体，预算与活动一一对应。建议中期评估时补充服务对象满意度调查。"),
    "mid": ("项目设计基本可行，但部分预算单价偏高，建议按市场价核减；服务人次目标需更具体。",
            "需求与服务内容对应较好，执行团队人手偏紧，建议明确社工与志愿者分工，并购买志愿者保险。",
            "方向正确，活动之间的递进关系不够清楚，建议按需求评估—服务—总结的顺序完善计划。"),
    "low": ("服务对象界定不够清晰，活动以一次性为主，预算中物资类支出占比偏高，建议修改完善后再申报。",
            "项目可行性一般，缺少对场地、安全等风险的考虑，建议与社工站进一步沟通需求。"),
}


# --- the rounds ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NeedSpec:
    key: str
    category: str
    text: str
    by_station: bool
    community: int  # the street's n-th community (modulo how many it has)
    supporters: int  # residents with a login who support it
    duplicate_of: str = ""  # named again by a resident; the station merges it


@dataclass(frozen=True)
class ProposalSpec:
    key: str
    applicant: str  # "agency", "volunteers" or a GroupSpec key
    title: str
    summary: str
    beneficiaries: str
    beneficiary_count: int
    outcomes: str
    lines: tuple[tuple[str, str, int, str, str], ...]  # category, item, quantity, unit, unit price in yuan
    milestones: tuple[tuple[str, int], ...]  # title, days after the start (the last: the end)
    needs: tuple[str, ...]
    quality: float  # how the experts see it, 0..1
    appeal: float  # how residents see it (weight on ballots)
    co_funding: str = "0"
    co_funding_source: str = ""
    infeasible: str = ""  # why screening finds it not feasible
    accepted_price: str = ""  # the price screening accepts, when it cuts the request
    returned: str = ""  # the screening note that sends it back; resubmitted with `fixed` lines
    fixed: tuple[tuple[str, str, int, str, str], ...] = ()
    evidence: tuple[tuple[str, int, int], ...] = ()  # per milestone: what was done, person-times, sessions


@dataclass(frozen=True)
class RoundSpec:
    key: str
    budget: str
    max_choices: int
    elderly_share: str  # the part of the budget the street's restricted elderly-care fund gives ("0": none)
    description: str
    needs: tuple[NeedSpec, ...]
    proposals: tuple[ProposalSpec, ...]
    online: int  # ballots cast online (residents with a login)
    paper: int  # paper ballots of the pitch-and-vote day


LAST_YEAR = RoundSpec(
    key="last", budget="60000", max_choices=3, elderly_share="0",
    description=("依托北京街道社区慈善基金举办，广泛收集辖内长者、困境儿童、残障人士和困难家庭迫切需要解决的问题，"
                 "支持社区社会组织和社工机构设计项目，经立项评估、专家评审和居民投票确定资助项目，每个项目资助5000元至20000元。"),
    needs=(
        NeedSpec("falls", "elderly", "辖内独居、高龄长者多住在老旧楼宇，卫生间和楼梯缺少扶手、防滑设施，今年已有几位长者在家中跌倒受伤，"
                 "希望为困难长者家庭做适老化安全改造。", True, 0, 9),
        NeedSpec("after_school", "children", "小区里不少双职工家庭和困境家庭的孩子放学后没人看管，作业也没人辅导，"
                 "希望社区能办课后托管。", False, 1, 8),
        NeedSpec("rehab", "disability", "社区康复站的残障朋友和家属反映，出院后缺少持续的康复训练，家属长期照顾压力很大，希望有互助小组。",
                 True, 2, 5),
        NeedSpec("council", "governance", "老旧小区加装电梯、楼道堆物、噪音扰民等邻里矛盾多，希望有个居民能坐下来商量事情的议事平台。",
                 False, 0, 6),
        NeedSpec("visits", "elderly", "楼里有几位独居老人，子女不在身边，平时没人上门看看，担心出了意外没人知道。", False, 1, 10),
        NeedSpec("visits_again", "elderly", "希望组织志愿者定期探访独居老人，陪他们聊聊天。", False, 2, 2, duplicate_of="visits"),
        NeedSpec("phones", "elderly", "不少长者不会用智能手机，网上挂号、领取补贴、扫码乘车都很困难。", True, 1, 4),
    ),
    proposals=(
        ProposalSpec(
            "qile", "agency", "长者防跌倒居家安全改造",
            "依托“耆乐安居”长者居家安全社工服务，社工联合志愿者入户为辖内独居、高龄、困难长者做居家安全评估，"
            "为有需要的家庭加装卫生间扶手、防滑设施、感应夜灯和淋浴座椅，并开展防跌倒健康讲座，建立长者居家风险档案和定期回访机制。",
            "辖内独居、高龄及低保低收入长者家庭", 40,
            "完成40户居家安全评估、不少于30户适老化改造；长者及家属防跌倒知识知晓率达到90%；改造户半年内无居家跌倒受伤。",
            (("materials", "卫生间不锈钢安全扶手（含安装）", 40, "套", "168.00"), ("materials", "防滑地垫及防滑贴", 40, "户", "45.50"),
             ("materials", "感应夜灯", 80, "个", "29.90"), ("materials", "淋浴折叠座椅", 20, "张", "135.00"),
             ("personnel", "居家安全评估社工补贴", 40, "户", "50.00"), ("activities", "长者防跌倒健康讲座", 4, "场", "300.00"),
             ("publicity", "防跌倒宣传折页印刷", 500, "份", "1.20")),
            (("完成40户长者居家安全评估", 45), ("完成30户适老化改造并首次回访", 150), ("完成全部改造、回访与总结评估", 300)),
            ("falls",), quality=0.9, appeal=1.6, co_funding="3000.00", co_funding_source="承接社工站的社工机构自筹",
            evidence=(("完成40户长者居家安全评估，建立居家风险档案，其中高风险27户、中风险9户。", 52, 6),
                      ("完成32户适老化改造（安装扶手61套、夜灯64个、淋浴座椅18张），开展防跌倒讲座2场，完成首次回访。", 146, 36)),
        ),
        ProposalSpec(
            "four_thirty", "volunteers", "困境儿童课后托管「四点半课堂」",
            "周一至周五16:30—18:30在社区党群服务中心开设课后托管，招募大学生志愿者辅导作业、开展阅读和安全教育，"
            "每月一次周末素质拓展，社工跟进困境儿童个案，链接学校和家庭共同关注孩子成长。",
            "辖内双职工家庭、困境家庭的小学生", 30,
            "服务儿童30名、托管不少于1600人次；儿童按时完成作业比例提升至85%以上；家长满意度90%以上。",
            (("personnel", "大学生志愿者交通及餐费补贴", 320, "人次", "30.00"), ("materials", "学习用品及绘本", 30, "套", "85.00"),
             ("activities", "周末素质拓展活动", 6, "场", "450.00"), ("materials", "课堂茶点", 1600, "人次", "1.50"),
             ("publicity", "招募海报及结业证书", 1, "批", "380.00")),
            (("完成儿童招募与需求评估，课堂开班", 30), ("完成中期评估，累计托管800人次", 150), ("结业分享会及总结评估", 300)),
            ("after_school",), quality=0.82, appeal=1.5, accepted_price="16800.00",
            evidence=(("完成30名儿童招募和家庭走访，课堂于开学第二周开班，招募大学生志愿者18名。", 210, 12),
                      ("累计开课86次、托管836人次，开展周末拓展3场；中期家长问卷满意度92%。", 872, 89)),
        ),
        ProposalSpec(
            "companions", "disability", "残障人士康复互助小组「同行者」",
            "邀请康复治疗师每月指导居家康复训练，组织残障人士及家属互助小组，分享照护经验；为照顾者提供喘息服务，"
            "组织无障碍出行活动，帮助残障朋友走出家门、融入社区。",
            "辖内持证残障人士及其家庭照顾者", 25,
            "开展康复指导24节、互助小组12次；参与者康复训练坚持率达到70%；照顾者压力量表得分平均下降。",
            (("personnel", "康复治疗师指导课时费", 24, "节", "200.00"), ("activities", "互助小组活动物资", 12, "次", "150.00"),
             ("transport", "无障碍出行活动交通费", 2, "次", "800.00"), ("personnel", "家属喘息服务临时照护补贴", 40, "小时", "35.00"),
             ("materials", "康复训练小器具（弹力带、握力球等）", 25, "套", "68.00")),
            (("完成组员招募与康复评估", 40), ("完成6次互助小组和12节康复指导", 150), ("完成全部服务并总结评估", 300)),
            ("rehab",), quality=0.78, appeal=0.9,
            evidence=(("招募组员25人，完成康复评估与个人训练计划，召开首次互助小组。", 48, 3),
                      ("完成康复指导12节、互助小组6次、无障碍出行1次，照顾者喘息服务22小时。", 233, 19)),
        ),
        ProposalSpec(
            "council", "neighbours", "社区邻里议事厅",
            "在社区党群服务中心设立“邻里议事厅”，培训居民议事员，学习议事规则，每月围绕加装电梯、楼道清理、噪音等"
            "居民关心的问题召开议事会，议事结果在公示栏公开并跟进落实。",
            "辖内居民、楼长及居民议事员", 300,
            "培育居民议事员30名，召开议事会12场，推动解决邻里问题不少于8件。",
            (("activities", "议事规则及主持培训", 4, "场", "500.00"), ("materials", "议事厅桌牌、白板等物资", 1, "批", "1280.00"),
             ("activities", "议事会茶歇", 12, "场", "120.00"), ("publicity", "议事成果公示栏及海报", 6, "块", "180.00"),
             ("other", "居民议事员意外保险", 30, "人", "25.00")),
            (("完成议事员招募与首轮培训", 45), ("召开6场议事会并公示结果", 150), ("完成12场议事会及总结", 300)),
            ("council",), quality=0.7, appeal=0.8,
            evidence=(("招募居民议事员31名，完成议事规则培训2场。", 64, 2),
                      ("召开议事会6场，形成加装电梯协调、楼道清理等议事成果5项并张榜公示。", 187, 6)),
        ),
        ProposalSpec(
            "neighbourly", "elders", "「邻里守望」独居长者探访",
            "组织低龄长者和邻里志愿者与独居、空巢长者结对，每周上门或电话探访，为高风险长者配备一键紧急呼叫器，"
            "节日送上关爱探访包，发现异常及时转介社工站跟进。",
            "辖内独居、空巢长者", 60,
            "结对探访长者60名，全年探访不少于1400人次；高风险长者呼叫器配备率100%；异常情况24小时内转介。",
            (("personnel", "探访志愿者交通补贴", 480, "人次", "15.00"), ("materials", "关爱探访包（米、油及季节用品）", 60, "份", "78.50"),
             ("materials", "一键紧急呼叫器", 20, "台", "159.00"), ("activities", "志愿者探访技巧培训", 2, "场", "400.00"),
             ("other", "志愿者意外保险", 40, "人", "20.00")),
            (("完成志愿者培训与结对", 30), ("完成中期探访700人次", 150), ("完成全年探访及总结", 300)),
            ("visits",), quality=0.84, appeal=1.4,
            evidence=(("完成志愿者培训2场，38名志愿者与60名长者结对，为20名高风险长者安装呼叫器。", 118, 4),
                      ("累计上门及电话探访724人次，转介社工站个案5宗，发放关爱探访包60份。", 724, 31)),
        ),
        ProposalSpec(
            "phones", "volunteers", "长者智能手机课堂",
            "招募青年志愿者在社区开设长者智能手机课堂，按“一对一”结对教学，教长者使用健康码、网上挂号、移动支付和防诈骗，"
            "编印图文教材，结业后组建长者互教小组。",
            "辖内60岁以上、不会使用智能手机的长者", 80,
            "开课24节，80名长者结业；结业长者能独立完成网上挂号的比例达到70%。",
            (("personnel", "授课志愿者补贴", 24, "节", "120.00"), ("materials", "图文教材印刷", 200, "册", "6.80"),
             ("venue", "课室投影及网络费用", 8, "月", "150.00"), ("activities", "结业分享会", 1, "场", "800.00")),
            (("完成学员招募并开课", 30), ("完成12节课程", 150), ("结业及总结", 240)),
            ("phones",), quality=0.72, appeal=1.0,
            evidence=(("招募学员82名，编印教材200册，开课4节。", 96, 4), ("完成课程12节，累计上课486人次。", 486, 12)),
        ),
        ProposalSpec(
            "gala", "neighbours", "「邻里欢歌」社区文艺汇演",
            "组织社区文艺队排练节目，年底举办两场社区文艺汇演，丰富居民文化生活。",
            "辖内文艺爱好者及居民", 400, "举办文艺汇演2场，观众不少于400人次。",
            (("materials", "演出服装租赁", 60, "套", "120.00"), ("venue", "舞台及音响租赁", 2, "场", "2500.00"),
             ("activities", "排练茶水", 20, "次", "60.00")),
            (("完成节目排练", 60), ("举办汇演并总结", 120)),
            ("council",), quality=0.4, appeal=0.7,
            infeasible=("项目以文艺演出为主，服务对象未聚焦困难群体，服装和舞台租赁占预算九成以上，"
                        "与本轮“扶老、助困、恤孤、助残”的资助方向不符。"),
        ),
    ),
    online=22, paper=100,
)

THIS_YEAR = RoundSpec(
    key="this", budget="100000", max_choices=3, elderly_share="20000",
    description=("第二届北京街社区公益微创投，由北京街道社区慈善基金和长者助餐专项基金共同出资（专项基金出资的2万元只用于长者项目），"
                 "围绕长者照护、困境儿童、残障人士、新就业群体关爱和社区治理征集项目，"
                 "经立项评估、专家评审后由辖内居民投票（线上投票或到投票点填写纸质选票），每人最多选3个项目。"),
    needs=(
        NeedSpec("dementia", "elderly", "家里老人确诊认知障碍后常常走失、情绪不稳定，家属不懂照护方法，白天上班也放心不下。", True, 0, 7),
        NeedSpec("four_thirty_again", "children", "去年的四点半课堂孩子们很喜欢，希望今年继续办，名额再多一些。", False, 1, 9),
        NeedSpec("riders", "general", "片区外卖骑手、快递小哥很多，夏天没有地方歇脚、喝水、给电动车充电，希望社区能有个驿站。",
                 False, 2, 5),
        NeedSpec("meals", "elderly", "长者饭堂离家远，行动不便的老人吃饭成问题，希望有人帮忙送餐上门。", True, 1, 8),
        NeedSpec("meals_again", "elderly", "腿脚不好的老人去不了饭堂，能不能组织志愿者送饭？", False, 0, 3, duplicate_of="meals"),
        NeedSpec("sorting", "governance", "小区垃圾分类投放点总是很乱，希望有志愿者定时督导、宣传。", False, 0, 4),
        NeedSpec("reading", "children", "社区缺少适合孩子的图书角，希望周末有亲子阅读活动。", False, 2, 4),
        NeedSpec("mind", "general", "独居长者、全职照顾者和失业居民中有人长期情绪低落，希望有心理支持服务。", True, 1, 3),
    ),
    proposals=(
        ProposalSpec(
            "dementia", "agency", "「忆路同行」认知障碍长者家庭支持",
            "社工联合社区医生为疑似认知障碍长者做早期筛查，为确诊长者家庭提供照护技能培训和防走失手环，"
            "开设家属支持小组和“记忆咖啡馆”，链接日间照料资源，减轻家庭照护压力。",
            "辖内认知障碍及疑似认知障碍长者及其家庭照顾者", 50,
            "完成筛查200人次，服务家庭50户；家属照护技能培训覆盖率90%；防走失手环配备30个。",
            (("personnel", "认知筛查及个案跟进社工补贴", 50, "户", "80.00"),
             ("materials", "防走失定位手环（含一年服务费）", 30, "个", "199.00"),
             ("activities", "家属照护技能培训", 6, "场", "600.00"), ("activities", "记忆咖啡馆活动物资", 10, "次", "260.00"),
             ("materials", "认知训练教具", 20, "套", "125.00"), ("publicity", "防走失宣传海报及手册", 400, "份", "2.50")),
            (("完成200人次早期筛查", 60), ("完成家属培训及中期评估", 180), ("总结评估", 300)),
            ("dementia",), quality=0.88, appeal=1.3, co_funding="2000.00", co_funding_source="承接社工站的社工机构自筹",
        ),
        ProposalSpec(
            "four_thirty_2", "volunteers", "「四点半课堂」（第二期）",
            "在第一期基础上扩大托管名额至40名，增加周末亲子活动和暑期安全教育，培育家长志愿者参与课堂管理。",
            "辖内双职工家庭、困境家庭的小学生", 40,
            "服务儿童40名、托管不少于2000人次；培育家长志愿者10名。",
            (("personnel", "大学生志愿者交通及餐费补贴", 360, "人次", "30.00"), ("materials", "学习用品及绘本", 40, "套", "85.00"),
             ("activities", "周末亲子活动", 6, "场", "400.00"), ("materials", "课堂茶点", 1800, "人次", "1.50")),
            (("完成招募并开班", 30), ("中期评估", 150), ("结业及总结", 300)),
            ("four_thirty_again",), quality=0.83, appeal=1.6,
        ),
        ProposalSpec(
            "riders", "neighbours", "「骑士驿站」新就业群体关爱",
            "联合沿街商户在社区设立骑手驿站，提供饮水、休息、充电和应急药箱，夏季送清凉，开展交通安全和权益保障讲座，"
            "邀请骑手参与社区平安巡查，成为社区“移动探头”。",
            "片区外卖骑手、快递员等新就业群体", 150,
            "驿站服务不少于3000人次；开展交通安全讲座4场；发展骑手志愿者20名。",
            (("materials", "驿站饮水机、微波炉及桌椅", 1, "批", "3200.00"), ("materials", "电动车充电柜（8位）", 1, "台", "3680.00"),
             ("materials", "夏季清凉包", 300, "份", "12.00"), ("activities", "交通安全及权益保障讲座", 4, "场", "350.00"),
             ("publicity", "驿站标识及宣传品", 1, "批", "620.00")),
            (("驿站建成启用", 45), ("中期评估", 150), ("总结评估", 300)),
            ("riders",), quality=0.76, appeal=1.1,
            returned="请补充驿站场地的使用协议，并提供充电柜的报价单；充电柜单价偏高，请按市场价调整。",
            fixed=(("materials", "驿站饮水机、微波炉及桌椅", 1, "批", "3200.00"), ("materials", "电动车充电柜（8位）", 1, "台", "2980.00"),
                   ("materials", "夏季清凉包", 300, "份", "12.00"), ("activities", "交通安全及权益保障讲座", 4, "场", "350.00"),
                   ("publicity", "驿站标识及宣传品", 1, "批", "620.00")),
        ),
        ProposalSpec(
            "meals", "elders", "「暖心到家」长者助餐志愿配送",
            "组织低龄长者志愿者为行动不便的独居、高龄长者从长者饭堂送餐上门，送餐时顺带问候和安全查看，"
            "配备保温送餐箱，并为送餐志愿者购买保险。",
            "辖内行动不便的独居、高龄长者", 35,
            "送餐上门不少于4000人次；送餐长者满意度95%以上；发现异常情况及时转介。",
            (("materials", "保温送餐箱", 20, "个", "168.00"), ("personnel", "送餐志愿者交通及误餐补贴", 800, "人次", "12.00"),
             ("other", "志愿者意外保险", 40, "人", "20.00"), ("activities", "送餐志愿者培训及表彰", 2, "场", "500.00"),
             ("materials", "长者生日关爱蛋糕", 35, "个", "58.00")),
            (("完成志愿者招募与培训，开始送餐", 30), ("中期评估", 150), ("总结评估", 300)),
            ("meals",), quality=0.86, appeal=1.4,
        ),
        ProposalSpec(
            "sorting", "neighbours", "「绿色先锋」垃圾分类督导",
            "在6个垃圾投放点组织居民志愿者定时督导，开展入户宣传和积分兑换，评选“绿色家庭”。",
            "辖内居民家庭", 1200,
            "投放点督导覆盖率100%；分类准确率提升至85%；评选绿色家庭30户。",
            (("personnel", "督导志愿者补贴", 360, "人次", "15.00"), ("materials", "积分兑换礼品", 1, "批", "1500.00"),
             ("publicity", "宣传海报及入户宣传单", 2000, "份", "0.60"), ("activities", "绿色家庭评选表彰会", 1, "场", "900.00")),
            (("完成志愿者招募与培训", 30), ("中期评估", 150), ("总结及表彰", 300)),
            ("sorting",), quality=0.66, appeal=0.8,
        ),
        ProposalSpec(
            "reading", "volunteers", "「书香北京街」亲子共读",
            "在社区党群服务中心设立儿童图书角，每两周举办一次周末亲子阅读会，招募“故事妈妈”志愿者讲故事。",
            "辖内3—12岁儿童及家长", 120,
            "举办亲子阅读会24场，参与不少于600人次；新增儿童图书300册。",
            (("materials", "儿童图书", 300, "册", "22.00"), ("materials", "图书角书架及坐垫", 1, "批", "1600.00"),
             ("activities", "亲子阅读会物资", 24, "场", "80.00"), ("personnel", "故事妈妈培训", 2, "场", "500.00")),
            (("图书角建成启用", 45), ("中期评估", 150), ("总结评估", 300)),
            ("reading",), quality=0.74, appeal=1.0,
        ),
        ProposalSpec(
            "mind", "agency", "「解忧小屋」社区心理支持",
            "由持证心理咨询师和社工每周开放“解忧小屋”，提供一对一倾听和心理疏导，开展减压小组和心理健康讲座，"
            "对高风险个案及时转介专业机构。",
            "辖内独居长者、家庭照顾者、失业及其他有心理支持需要的居民", 100,
            "一对一倾听服务不少于150人次；减压小组2期；高风险个案100%转介跟进。",
            (("personnel", "心理咨询师服务费", 48, "小时", "200.00"), ("activities", "减压小组活动物资", 12, "次", "150.00"),
             ("activities", "心理健康讲座", 4, "场", "400.00"), ("materials", "解忧小屋布置及心理测评量表", 1, "批", "1380.00")),
            (("小屋开放并完成需求调研", 30), ("中期评估", 150), ("总结评估", 300)),
            ("mind",), quality=0.8, appeal=0.9,
        ),
        ProposalSpec(
            "trip", "elders", "长者“一日游”联谊活动",
            "组织辖内长者乘旅游大巴到从化温泉一日游，增进邻里感情。",
            "辖内60岁以上长者", 90, "组织长者一日游2批次，参与90人次。",
            (("transport", "旅游大巴租赁", 2, "辆", "2600.00"), ("activities", "景区门票及午餐", 90, "人", "98.00")),
            (("完成报名", 30), ("出行并总结", 90)),
            ("meals",), quality=0.35, appeal=0.6,
            infeasible="以旅游观光为主，长者外出的安全风险较高，且门票、餐费等个人消费类支出不属于本轮资助范围。",
        ),
    ),
    online=15, paper=40,
)


# The station's commissioned project, the city's first "社工+慈善" brand pilot (the 2019 plan names it).
QILE_ANSHU = {
    "title": "「耆乐安居」长者居家安全社工服务项目", "area": "elderly", "beneficiary_count": 120,
    "beneficiaries": "辖内独居、高龄、失能及低保低收入长者",
    "summary": ("由北京街道社区慈善基金委托社工站承接社工机构实施：社工为长者做居家安全评估和个案跟进，联合志愿者定期探访，"
                "链接慈善资源做适老化改造、配备紧急呼叫设备，开展防跌倒、防诈骗、用药安全等健康教育，"
                "建立“社工+志愿者+邻里”的长者居家安全守护网络。"),
}
QILE_REPORTS = (
    "完成居家安全评估{a}户，入户探访{b}人次，开展防跌倒讲座{c}场，为高风险长者建立个案并跟进。",
    "探访长者{b}人次，链接慈善资源为{a}户长者加装扶手和夜灯，组织志愿者培训{c}场。",
    "开展“平安居家”主题活动{c}场，跟进高风险个案{a}宗，探访及电话关怀{b}人次。",
)
CULTIVATE_FIRST = "neighbourly"  # last year's project cultivated next, if it was funded (else the first funded)


# --- the demo -------------------------------------------------------------------------------------------------------

def _grant_tranches() -> list[dict[str, Any]]:
    """40% on signing (an advance), 40% on the mid-term milestone, 20% on the last."""
    return [{"percent": 40}, {"percent": 40, "milestone": 2}, {"percent": 20, "milestone": 3}]


@dataclass
class RoundState:
    spec: RoundSpec
    year: int
    phases: dict[str, tuple[dt.datetime, dt.datetime]]
    round: Any = None  # as the services read it (its phases fetched once: they do not change in the demo)
    needs: dict[str, Any] = field(default_factory=dict)
    proposals: dict[str, Any] = field(default_factory=dict)
    paper_voters: list[Person] = field(default_factory=list)  # in the order their papers are numbered


class GrantsDemo:
    """Puts the rounds' history on a `Timeline` (`schedule`); the timeline's run writes it, in the order of time."""

    def __init__(self, *, seed: int, password: str, counts: Counter[str]) -> None:
        self.rng = random.Random(seed + 41)
        self.planner = _Planner(seed + 43)  # names, resident IDs and phones of the residents the station registers
        self.password = password
        self.counts = counts
        self.at: Callable[..., None] = lambda *a: None
        self.orgs: dict[str, Organization] = {}
        self.managers: dict[str, Any] = {}
        self.experts: list[Any] = []
        self.existing: set[str] = set()  # resident IDs on record (blind indexes)
        self.pool: tuple[list[Any], list[Person]] | None = None
        self.brand: dict[str, Any] = {}  # the registry's projects on the brand list: "qile", then "next"
        self.fund: CommunityFund | None = None

    # -- when ----------------------------------------------------------------------------------------------------

    def _moment(self, day: dt.date, start: int = 9, end: int = 18) -> dt.datetime:
        return _on(day, f"{self.rng.randint(start, end - 1)}:{self.rng.randint(0, 59):02d}")

    def _days_ago(self, days: int) -> dt.datetime:
        """A moment in office hours `days` days before today."""
        return self._moment(self.today - days * DAY, 9, 18)

    def _between(self, first: dt.datetime, last: dt.datetime) -> dt.datetime:
        """A moment in office hours between two moments (the first, if none falls between)."""
        for _try in range(20):
            seconds = max(int((last - first).total_seconds()), 0)
            moment = first + dt.timedelta(seconds=self.rng.randint(0, seconds))
            if 8 <= timezone.localtime(moment).hour < 22:
                return moment
        return first

    @staticmethod
    def _phases(anchor: dt.date, vote: tuple[dt.date, dt.date] | None = None, execution_end: dt.date | None = None
                ) -> dict[str, tuple[dt.datetime, dt.datetime]]:
        """A year's round from its needs phase on `anchor`: each phase opens at 9:00 and closes at 18:00 (the vote at
        20:00), with a day's public notice before the vote."""
        a = anchor
        vote_opens, vote_closes = vote or (a + 93 * DAY, a + 106 * DAY)
        end = execution_end or vote_closes + 300 * DAY
        return {
            PhaseKind.NEEDS: (_on(a, "09:00"), _on(a + 30 * DAY, "18:00")),
            PhaseKind.PROPOSALS: (_on(a + 31 * DAY, "09:00"), _on(a + 60 * DAY, "18:00")),
            PhaseKind.SCREENING: (_on(a + 61 * DAY, "09:00"), _on(a + 75 * DAY, "18:00")),
            PhaseKind.REVIEW: (_on(a + 76 * DAY, "09:00"), _on(vote_opens - 2 * DAY, "18:00")),
            PhaseKind.VOTE: (_on(vote_opens, "09:00"), _on(vote_closes, "20:00")),
            PhaseKind.ALLOCATION: (_on(vote_closes + DAY, "09:00"), _on(vote_closes + 7 * DAY, "18:00")),
            PhaseKind.AGREEMENTS: (_on(vote_closes + 8 * DAY, "09:00"), _on(vote_closes + 34 * DAY, "18:00")),
            PhaseKind.EXECUTION: (_on(vote_closes + 35 * DAY, "00:00"), _on(end, "18:00")),
            PhaseKind.REPORTS: (_on(end, "18:00"), _on(end + 30 * DAY, "18:00")),
        }

    # -- scheduling ----------------------------------------------------------------------------------------------

    def schedule(self, timeline: Timeline) -> None:
        """Put every event on the timeline (its run writes them); nothing is scheduled if the street, its station or
        the demo logins are missing, or the street already has rounds."""
        User = get_user_model()
        street = Division.objects.filter(level=Level.STREET, name=STREET).first()
        if street is None or GrantRound.objects.filter(fund__division=street).exists():
            return
        self.street: Division = street
        self.station = Station.objects.filter(street=self.street).select_related("agency").first()
        self.users = {u.username: u for u in User.objects.filter(username__in=[
            "admin", "finance", "station_worker", "street_officer", "agency_manager", "group_manager", "expert", "volunteer"])}
        if self.station is None or len(self.users) < 8:
            return
        volunteers = Organization.objects.filter(name=VOLUNTEERS).first()
        if volunteers is None:
            return
        self.orgs = {"agency": self.station.agency, "volunteers": volunteers}
        self.managers = {"agency": self.users["agency_manager"], "volunteers": self.users["group_manager"]}
        self.communities = list(Division.objects.filter(parent=self.street).order_by("code"))
        self.usernames = set(User.objects.values_list("username", flat=True))
        self.staff, self.keyer, self.finance = self.users["station_worker"], self.users["street_officer"], self.users["finance"]
        self.at = timeline.at
        self.now = timeline.now
        self.today = today = timezone.localdate(self.now)
        # This year's round: its needs phase about a hundred days ago, its vote open since six days ago; last year's:
        # its needs phase about 13 months ago (in its own year), its projects in execution until after today.
        this_year = (today - 100 * DAY).year
        last_anchor = min(today - 400 * DAY, dt.date(this_year - 1, 12, 1))
        last = RoundState(LAST_YEAR, this_year - 1, self._phases(last_anchor, execution_end=today + 150 * DAY))
        this = RoundState(THIS_YEAR, this_year, self._phases(today - 100 * DAY, vote=(today - 6 * DAY, today + 8 * DAY)))
        setup = _on(last_anchor - 45 * DAY, "10:00")
        self.at(setup, self.register_groups)
        self.at(setup + dt.timedelta(minutes=30), self.register_experts)
        self.residents(last_anchor - 40 * DAY, last_anchor - 12 * DAY)
        for state in (last, this):
            self.schedule_round(state)
        self.schedule_brand(setup + dt.timedelta(hours=4), last)

    def residents(self, first: dt.date, last: dt.date) -> None:
        """Residents the station registers (most older, voting on paper); a few open a login in the app."""
        self.existing = set(Person.objects.exclude(resident_id_hash="").values_list("resident_id_hash", flat=True))
        n_online = max(LAST_YEAR.online, THIS_YEAR.online) - 4  # besides the app volunteers and the demo volunteer
        n_paper = int(max(LAST_YEAR.paper, THIS_YEAR.paper) * 1.8)
        for i in range(n_online + n_paper):
            online = i < n_online
            years = (1960, 2003) if online else self.rng.choice(((1934, 1965), (1934, 1965), (1966, 2000)))
            birth = self.planner.date_between(dt.date(years[0], 1, 1), dt.date(years[1], 12, 31))
            gender = "F" if self.rng.random() < 0.55 else "M"
            migrant = birth.year >= 1960 and self.rng.random() < 0.15
            rid = self._rid((self.rng.choice(data.MIGRANT_BIRTHPLACES),) if migrant else ("440104",), birth, gender)
            spec = {"name": self.planner.name(gender, birth.year), "rid": rid, "phone": self.planner.mobile(), "gender": gender,
                    "community": self.rng.randrange(len(self.communities)), "online": online}
            self.at(self._moment(first + dt.timedelta(days=self.rng.randint(0, (last - first).days))), self.register_resident, spec)

    def schedule_round(self, state: RoundState) -> None:
        spec, p = state.spec, state.phases
        opens = p[PhaseKind.NEEDS][0]
        self.at(opens - 12 * DAY + dt.timedelta(hours=1), self.top_up, state)
        self.at(opens - 10 * DAY + dt.timedelta(hours=1, minutes=30), self.create_round, state)
        # Needs: named in the first three weeks, supported until the phase closes; a duplicate merged near the end.
        needs_open, needs_close = p[PhaseKind.NEEDS]
        for n, need in enumerate(spec.needs):
            named = self._between(needs_open + dt.timedelta(hours=1 + n * 30), needs_open + (3 + n * 2) * DAY)
            self.at(named, self.name_need, state, need)
            for k in range(need.supporters):
                self.at(self._between(named + dt.timedelta(hours=1 + k), needs_close - DAY), self.support_need, state, need, k)
            if need.duplicate_of:
                self.at(needs_close - 2 * DAY + dt.timedelta(hours=3), self.merge_need, state, need)
        # Proposals: drafted, submitted a few days later; screening; one returned and mended.
        prop_open, prop_close = p[PhaseKind.PROPOSALS]
        screen_open, screen_close = p[PhaseKind.SCREENING]
        for n, proposal in enumerate(spec.proposals):
            drafted = self._between(prop_open + (3 + 2 * n) * DAY, prop_open + (6 + 2 * n) * DAY)
            self.at(drafted, self.draft_proposal, state, proposal)
            self.at(self._between(drafted + 2 * DAY, prop_close - 2 * DAY), self.submit_proposal, state, proposal)
            if proposal.returned:
                back = self._between(screen_open + DAY, screen_open + 2 * DAY)
                self.at(back, self.return_proposal, state, proposal)
                self.at(back + 3 * DAY, self.mend_proposal, state, proposal)
                self.at(self._between(back + 6 * DAY, screen_close - DAY), self.screen_proposal, state, proposal)
            else:
                self.at(self._between(screen_open + 2 * DAY, screen_close - 3 * DAY), self.screen_proposal, state, proposal)
        # Review: the rubric before it opens, a tie declared, reviewers assigned on the first morning, scores over it.
        review_open, review_close = p[PhaseKind.REVIEW]
        self.at(screen_close - DAY, self.set_rubric, state)
        self.at(screen_close + dt.timedelta(hours=2), self.declare_tie, state)
        self.at(review_open + dt.timedelta(hours=1), self.assign_reviews, state, review_open, review_close)
        # The vote: online over its days, paper ballots on a weekend pitch-and-vote day, keyed twice.
        vote_open, vote_close = p[PhaseKind.VOTE]
        last_online = min(vote_close - dt.timedelta(hours=3), self.now - dt.timedelta(minutes=10))
        for k in range(spec.online):
            self.at(self._between(vote_open + dt.timedelta(hours=1), last_online), self.vote_online, state, k)
        # (its first weekend day that is over: this year's vote opened six days ago, so one has passed)
        day = next((d for d in (timezone.localdate(vote_open) + i * DAY for i in range(8))
                    if d.weekday() >= 5 and _on(d + DAY, "00:00") < min(vote_close, self.now)), None)
        if day is not None:
            self.paper_day(state, day)
        if spec is LAST_YEAR:
            alloc_open = p[PhaseKind.ALLOCATION][0]
            self.at(alloc_open + dt.timedelta(hours=1, minutes=20), self.allocate, state)

    # -- the people ----------------------------------------------------------------------------------------------

    def _username(self, name: str) -> str:
        base = "".join(lazy_pinyin(name)) or "resident"
        while True:
            username = f"{base}{self.rng.randint(10, 99)}"
            if username not in self.usernames:
                self.usernames.add(username)
                return username

    def _rid(self, places: tuple[str, ...], birth: dt.date, gender: str) -> str:
        """A resident ID no one on record has."""
        while True:
            rid = self.planner.resident_id(places, birth, gender)
            index = crypto.blind_index(rid, purpose="resident_id")
            if index not in self.existing:
                self.existing.add(index)
                return rid

    def _person(self, *, actor: Any, name: str, gender: str, birth: dt.date, community: Division) -> Person:
        return people_services.person_create(
            actor=actor, real_name=name, division=community, resident_id=self._rid((community.code[:6],), birth, gender),
            phone=self.planner.mobile(), gender=gender)

    def _login(self, person: Person, role: str = "", target: Any = None) -> Any:
        user = people_services.account_create(actor=None, person=person, username=self._username(person.real_name),
                                              password=self.password)
        if role:
            admin = self.users["admin"]
            people_services.role_grant(actor=admin, scope=actor_scope(admin), user=user, role=role, target=target)
        self.counts["grants_logins"] += 1
        return user

    def register_groups(self) -> None:
        district = self.street.parent
        assert district is not None  # a street lies in a district
        for group in GROUPS:
            org = Organization.objects.filter(name=group.name).first()
            if org is None:
                code = self.planner.credit_code(OrgKind.ASSOCIATION, district.code, group.registered_on)
                org = org_services.organization_create(
                    actor=self.users["admin"], name=group.name, kind=OrgKind.ASSOCIATION, credit_code=code,
                    registered_on=group.registered_on, division=district, address=f"广州市越秀区北京路{self.rng.randint(20, 380)}号",
                    legal_representative=group.manager[0], party_branch=PartyBranch.JOINT,
                    party_branch_name="中共广州市越秀区社会组织第3联合支部委员会")
                self.counts["grants_groups"] += 1
            name, gender, birth = group.manager
            person = self._person(actor=self.staff, name=name, gender=gender, birth=birth,
                                  community=self.communities[len(self.orgs) % len(self.communities)])
            self.orgs[group.key] = org
            self.managers[group.key] = self._login(person, "org_manager", org)

    def register_experts(self) -> None:
        expert = self.users["expert"]
        self.experts = [expert]
        for name, gender, birth, street in EXPERTS:
            home = Division.objects.filter(parent__name=street).order_by("code").first() or self.communities[0]
            person = self._person(actor=self.users["admin"], name=name, gender=gender, birth=birth, community=home)
            self.experts.append(self._login(person, "expert"))

    def register_resident(self, spec: dict[str, Any]) -> None:
        person = people_services.person_create(
            actor=self.staff, real_name=spec["name"], division=self.communities[spec["community"]], resident_id=spec["rid"],
            phone=spec["phone"], gender=spec["gender"])
        self.counts["grants_residents"] += 1
        if spec["online"]:
            self._login(person)

    def _voters(self) -> tuple[list[Any], list[Person]]:
        """Who votes online (a login and a person in the street: those registered here, the time bank's app volunteers,
        the demo volunteer) and on paper (the street's other residents), in a fixed order."""
        if self.pool is None:
            staff = {self.users[n].pk for n in ("station_worker", "street_officer", "agency_manager", "group_manager")}
            staff |= {u.pk for u in self.managers.values()}
            rows = list(Person.objects.filter(division__parent=self.street).select_related("user").order_by("pk"))
            online = [p.user for p in rows if p.user_id is not None and p.user_id not in staff]
            paper = [p for p in rows if p.user_id is None]
            self.pool = (online, paper)
        return self.pool

    # -- the round's writes -------------------------------------------------------------------------------------

    @staticmethod
    def _round(state: RoundState) -> GrantRound:
        return state.round

    def _elderly_fund(self) -> CommunityFund | None:
        return CommunityFund.objects.filter(code=f"gz-{self.street.code}-elderly").select_related("division").first()

    def top_up(self, state: RoundState) -> None:
        """The community foundation's micro-venture grant to each fund giving part of the budget, when its free money is
        short of its part (with a margin for the fund's own projects), rounded up to ¥10,000."""
        self.fund = self.fund or CommunityFund.objects.filter(code=f"gz-{self.street.code}").select_related("account").first()
        if self.fund is None:
            return
        elderly = Decimal(state.spec.elderly_share)
        parts = [(self.fund, Decimal(state.spec.budget) - elderly, "")]
        if elderly and (fund := self._elderly_fund()) is not None:
            parts.append((fund, elderly, "-elderly"))
        for fund, part, suffix in parts:
            account = Account.objects.get(pk=fund.account_id)
            short = part + Decimal(30000) - (account.balance - account.held)
            if short <= 0:
                continue
            amount = (short / 10000).quantize(Decimal(1), rounding=ROUND_UP) * 10000
            cs.donation_record(
                actor=self.finance, fund=fund, amount=amount, channel="transfer", donor_name=FOUNDATION, show_name=True,
                received_at=timezone.now() - dt.timedelta(hours=2), external_id=f"demo-microventure-{state.year}{suffix}",
                message=f"{state.year}年社区公益微创投配套资助款")
            self.counts["grants_top_ups"] += 1

    def create_round(self, state: RoundState) -> None:
        if self.fund is None:
            return
        spec = state.spec
        elderly = self._elderly_fund() if Decimal(spec.elderly_share) else None
        made = gs.round_create(
            actor=self.finance, fund=self.fund, title=f"{state.year}年北京街社区公益微创投", year=state.year, budget=spec.budget,
            phases=state.phases, max_choices=spec.max_choices, min_grant="5000", max_grant="20000", description=spec.description,
            shares=[(elderly, spec.elderly_share)] if elderly is not None else [])
        opened = gs.round_open(actor=self.finance, round=made)
        state.round = GrantRound.objects.select_related("fund__division", "fund__station", "area").prefetch_related(
            "phases").get(pk=opened.pk)
        self.counts["grants_rounds"] += 1

    def name_need(self, state: RoundState, need: NeedSpec) -> None:
        if state.round is None:
            return
        round = self._round(state)
        community = self.communities[need.community % len(self.communities)]
        if need.by_station:
            made = gs.need_submit(actor=self.staff, round=round, text=need.text, category=need.category, community=community,
                                  station=self.station)
        else:
            online, _paper = self._voters()
            who = online[(len(state.needs) * 7 + len(state.spec.needs)) % len(online)]
            made = gs.need_submit(actor=who, round=round, text=need.text, category=need.category, community=community)
        state.needs[need.key] = made
        self.counts["grants_needs"] += 1

    def support_need(self, state: RoundState, need: NeedSpec, k: int) -> None:
        made = state.needs.get(need.key)
        online, _paper = self._voters()
        if made is None or not online:
            return
        who = online[(k * 5 + len(need.key)) % len(online)]
        if who.pk == made.submitted_by_id:
            return
        gs.need_support(actor=who, need=made)
        self.counts["grants_need_supports"] += 1

    def merge_need(self, state: RoundState, need: NeedSpec) -> None:
        dup, into = state.needs.get(need.key), state.needs.get(need.duplicate_of)
        if dup is not None and into is not None:
            state.needs[need.key] = gs.need_merge(actor=self.staff, need=dup, into=into)

    def _lines(self, lines: tuple[tuple[str, str, int, str, str], ...]) -> list[dict[str, Any]]:
        return [{"category": c, "item": item, "quantity": str(q), "unit": unit, "unit_price": price} for c, item, q, unit, price in lines]

    def _proposal_args(self, state: RoundState, proposal: ProposalSpec, lines: tuple[Any, ...]) -> dict[str, Any]:
        execution = state.phases[PhaseKind.EXECUTION][0]
        start = timezone.localdate(execution) + 5 * DAY
        days = [d for _t, d in proposal.milestones]
        if state.spec is LAST_YEAR:  # still running today, whatever day the demo is seeded on
            days[-1] = max(days[-1], (self.today + 45 * DAY - start).days)
        end = start + dt.timedelta(days=days[-1])
        return {
            "round": self._round(state), "applicant": self.orgs[proposal.applicant], "title": proposal.title,
            "summary": proposal.summary, "beneficiaries": proposal.beneficiaries, "beneficiary_count": proposal.beneficiary_count,
            "outcomes": proposal.outcomes, "lines": self._lines(lines), "starts_on": start, "ends_on": end,
            "milestones": [{"title": t, "due_on": start + dt.timedelta(days=d)}
                           for (t, _d), d in zip(proposal.milestones, days, strict=True)],
            "co_funding": proposal.co_funding, "co_funding_source": proposal.co_funding_source,
            "needs": [state.needs[k].pk for k in proposal.needs if k in state.needs],
        }

    def draft_proposal(self, state: RoundState, proposal: ProposalSpec) -> None:
        if state.round is None or proposal.applicant not in self.orgs:
            return
        state.proposals[proposal.key] = gs.proposal_save(actor=self.managers[proposal.applicant],
                                                         **self._proposal_args(state, proposal, proposal.lines))
        self.counts["grants_proposals"] += 1

    def submit_proposal(self, state: RoundState, proposal: ProposalSpec) -> None:
        made = state.proposals.get(proposal.key)
        if made is not None:
            state.proposals[proposal.key] = gs.proposal_submit(actor=self.managers[proposal.applicant], proposal=made)

    def return_proposal(self, state: RoundState, proposal: ProposalSpec) -> None:
        made = state.proposals.get(proposal.key)
        if made is not None:
            state.proposals[proposal.key] = gs.proposal_return(actor=self.staff, proposal=made, note=proposal.returned)

    def mend_proposal(self, state: RoundState, proposal: ProposalSpec) -> None:
        made = state.proposals.get(proposal.key)
        if made is None:
            return
        manager = self.managers[proposal.applicant]
        mended = gs.proposal_save(actor=manager, proposal=made, **self._proposal_args(state, proposal, proposal.fixed or proposal.lines))
        state.proposals[proposal.key] = gs.proposal_submit(actor=manager, proposal=mended)

    def screen_proposal(self, state: RoundState, proposal: ProposalSpec) -> None:
        made = state.proposals.get(proposal.key)
        if made is None:
            return
        if proposal.infeasible:
            screened = gs.proposal_screen(actor=self.staff, proposal=made, feasible=False, note=proposal.infeasible)
        elif proposal.accepted_price:
            screened = gs.proposal_screen(actor=self.staff, proposal=made, feasible=True, accepted_price=proposal.accepted_price,
                                          note="课堂茶点按每人次1元核定，核减800元。")
        else:
            screened = gs.proposal_screen(actor=self.staff, proposal=made, feasible=True)
        state.proposals[proposal.key] = screened

    def set_rubric(self, state: RoundState) -> None:
        if state.round is not None:
            gs.criteria_set(actor=self.staff, round=self._round(state), criteria=[dict(c) for c in RUBRIC])

    def declare_tie(self, state: RoundState) -> None:
        tied = next((u for u in self.experts if u.first_name == TIED_EXPERT), None)
        if state.round is not None and tied is not None:
            gs.tie_declare(actor=tied, round=self._round(state), organization=self.orgs["agency"], note=TIE_NOTE)

    def assign_reviews(self, state: RoundState, opens: dt.datetime, closes: dt.datetime) -> None:
        if state.round is None or len(self.experts) < 3:
            return
        assignments = gs.reviews_assign(actor=self.staff, round=self._round(state), experts=self.experts)
        bias = {u.pk: self.rng.uniform(-0.07, 0.07) for u in self.experts}
        quality = {state.proposals[p.key].pk: p.quality for p in state.spec.proposals if p.key in state.proposals}
        for a in assignments:
            when = self._between(opens + DAY, closes - dt.timedelta(hours=6))
            self.at(when, self.review, a.pk, quality.get(a.proposal_id, 0.6) + bias[a.reviewer_id])

    def review(self, assignment_id: int, level: float) -> None:
        assignment = Assignment.objects.select_related("reviewer", "proposal__round").get(pk=assignment_id)
        criteria = list(assignment.proposal.round.criteria.order_by("n"))
        scores = {c.pk: max(2, min(c.max_score, round(c.max_score * (level + self.rng.uniform(-0.1, 0.1))))) for c in criteria}
        band = "high" if level >= 0.8 else "mid" if level >= 0.62 else "low"
        gs.review_submit(actor=assignment.reviewer, assignment=assignment, scores=scores, comment=self.rng.choice(COMMENTS[band]))
        self.counts["grants_reviews"] += 1

    @staticmethod
    def _choices(state: RoundState, rng: random.Random) -> list[int]:
        """A ballot: one to three of the feasible proposals, the more appealing more often."""
        pool = [(state.proposals[p.key].pk, p.appeal) for p in state.spec.proposals
                if p.key in state.proposals and not p.infeasible]
        k = min(rng.choice((1, 2, 2, 3, 3, 3)), state.spec.max_choices, len(pool))
        picked: list[int] = []
        while len(picked) < k:
            ids, weights = zip(*[(pid, w) for pid, w in pool if pid not in picked], strict=True)
            picked.append(rng.choices(ids, weights=weights)[0])
        return sorted(picked)

    def vote_online(self, state: RoundState, k: int) -> None:
        online, _paper = self._voters()
        voters = [u for u in online if u.pk != self.users["volunteer"].pk or state.spec is LAST_YEAR]
        if state.round is None or k >= len(voters):
            return
        gs.ballot_cast(actor=voters[k], round=self._round(state), choices=self._choices(state, self.rng))
        self.counts["grants_ballots"] += 1

    def paper_day(self, state: RoundState, day: dt.date) -> None:
        """The pitch-and-vote day at the community party-mass service centre: paper ballots filled in from 9:30 to 11:30,
        keyed by the station worker that afternoon and by the street officer the next morning (this year's: two papers
        still keyed once, one whose keyings differ)."""
        first = _on(day, "15:00")
        second = max(_on(day, "18:30"), min(_on(day + DAY, "09:30"), self.now - dt.timedelta(minutes=40)))
        live = state.spec is THIS_YEAR
        for k in range(state.spec.paper):
            number = f"BJ{state.year}-{k + 1:04d}"
            step = dt.timedelta(minutes=k)
            self.at(first + step, self.key_paper, state, k, number, "first")
            if live and k in (3, 11):
                continue  # keyed once: the second keying is still to come
            self.at(second + step, self.key_paper, state, k, number, "mismatch" if live and k == 7 else "second")

    def key_paper(self, state: RoundState, k: int, number: str, turn: str) -> None:
        if not state.paper_voters:
            _online, paper = self._voters()
            state.paper_voters = self.rng.sample(paper, len(paper))
        if state.round is None or k >= len(state.paper_voters):
            return
        voter = state.paper_voters[k]
        choices = self._choices(state, random.Random(f"{state.year}-{number}"))  # the same paper reads the same to both keyers
        if turn == "mismatch":
            others = [p.pk for p in state.proposals.values() if p.status == "feasible" and p.pk not in choices]
            choices = sorted([*choices[:-1], others[0]]) if others else choices
        keyer = self.staff if turn == "first" else self.keyer
        gs.paper_ballot_key(actor=keyer, round=self._round(state), paper_number=number, voter=voter, choices=choices)
        if turn == "second":
            self.counts["grants_ballots"] += 1

    # -- last year's round after the vote -------------------------------------------------------------------------

    def allocate(self, state: RoundState) -> None:
        if state.round is None:
            return
        results = gs.allocation_run(actor=self.finance, round=self._round(state))
        self.counts["grants_results"] += len(results)
        opens = state.phases[PhaseKind.AGREEMENTS][0]
        funded = [r for r in results if r.funded]
        for n, result in enumerate(funded):
            drafted = opens + dt.timedelta(days=1 + n // 2, hours=1 + n)
            self.at(drafted, self.draft_agreement, result.proposal_id, n)

    def draft_agreement(self, proposal_id: int, n: int) -> None:
        proposal = Proposal.objects.select_related("round", "applicant").get(pk=proposal_id)
        start = proposal.starts_on
        dates = [start + dt.timedelta(days=d) for d in (90, 180, 270) if start + dt.timedelta(days=d) <= proposal.ends_on]
        agreement = gs.agreement_draft(actor=self.staff, proposal=proposal, tranches=_grant_tranches(), reporting_dates=dates)
        key = next(k for k, org in self.orgs.items() if org.pk == proposal.applicant_id)
        signed = timezone.now() + dt.timedelta(days=2 + n % 3, hours=2)
        self.at(signed, self.sign, agreement.pk, self.managers[key])
        self.at(signed + dt.timedelta(days=3, hours=1), self.sign_fund, agreement.pk, n, key)

    def sign(self, agreement_id: int, who: Any) -> None:
        gs.agreement_sign(actor=who, agreement=Agreement.objects.select_related("proposal").get(pk=agreement_id))

    def sign_fund(self, agreement_id: int, n: int, key: str) -> None:
        agreement = gs.agreement_sign(actor=self.finance, agreement=Agreement.objects.select_related("proposal").get(pk=agreement_id))
        self.counts["grants_agreements"] += 1
        self.execution(agreement, n, key)

    def execution(self, agreement: Agreement, n: int, key: str) -> None:
        """The advance paid; the milestones' evidence as the project goes. The second funded project's mid-term evidence
        was sent back once and accepted this week, its tranche asked for two days ago (waiting for the custodian's
        finance officer); the third's mid-term evidence waits for review; the others' mid-term tranche is paid."""
        proposal = Proposal.objects.get(pk=agreement.proposal_id)
        spec = next(p for p in LAST_YEAR.proposals if p.title == proposal.title)
        tranches = {t.n: t.pk for t in Tranche.objects.filter(agreement=agreement)}
        for m, day in enumerate(agreement.reporting_dates[:2]):
            end = dt.date.fromisoformat(day)
            if m < len(spec.evidence) and _on(end + 3 * DAY, "17:00") < self.now:
                self.at(_on(end + 2 * DAY, "16:30"), self.report_progress, agreement.pk, self.managers[key], end, spec.evidence[m], m + 1)
        asked = timezone.now() + dt.timedelta(days=1, hours=1)
        self.payout_chain(tranches[1], asked)
        start = proposal.starts_on
        manager = self.managers[key]
        due = {m: start + dt.timedelta(days=d) for m, (_t, d) in enumerate(spec.milestones, start=1)}
        recent = self.now - 14 * DAY
        if len(spec.evidence) >= 1 and _on(due[1] + 3 * DAY, "17:00") < recent:
            shown = _on(due[1] + 2 * DAY, "16:20")
            self.at(shown, self.show_evidence, agreement.pk, manager, 1, spec.evidence[0])
            self.at(shown + dt.timedelta(days=1, hours=18), self.decide_evidence, agreement.pk, 1, True, "")
        if len(spec.evidence) < 2 or _on(due[2] + 12 * DAY, "17:00") > recent:
            return
        shown = _on(due[2] + 3 * DAY, "15:40")
        if n == 1:
            self.at(shown, self.show_evidence, agreement.pk, manager, 2, spec.evidence[1])
            self.at(shown + 4 * DAY, self.decide_evidence, agreement.pk, 2, False, "服务记录缺少签到表和活动照片，请补充后重新提交。")
            again = self._days_ago(12)
            self.at(again, self.show_evidence, agreement.pk, manager, 2, spec.evidence[1])
            self.at(self._days_ago(4), self.decide_evidence, agreement.pk, 2, True, "")
            self.at(self._days_ago(2), self.ask_tranche, tranches[2])
        elif n == 2:
            self.at(self._days_ago(3), self.show_evidence, agreement.pk, manager, 2,
                    spec.evidence[1])
        else:
            self.at(shown, self.show_evidence, agreement.pk, manager, 2, spec.evidence[1])
            self.at(shown + dt.timedelta(days=2, hours=1), self.decide_evidence, agreement.pk, 2, True, "")
            self.payout_chain(tranches[2], shown + dt.timedelta(days=3, hours=2))

    def show_evidence(self, agreement_id: int, manager: Any, milestone: int, what: tuple[str, int, int]) -> None:
        agreement = Agreement.objects.select_related("proposal").get(pk=agreement_id)
        text, person_times, sessions = what
        gs.evidence_submit(actor=manager, agreement=agreement, milestone=milestone, text=text, person_times=person_times,
                           sessions=sessions)
        self.counts["grants_evidence"] += 1

    def decide_evidence(self, agreement_id: int, milestone: int, accept: bool, note: str) -> None:
        evidence = Agreement.objects.get(pk=agreement_id).evidence.filter(milestone__n=milestone, status="pending").first()
        if evidence is not None:
            gs.evidence_decide(actor=self.staff, evidence=evidence, accept=accept, note=note)

    def payout_chain(self, tranche_id: int, asked: dt.datetime) -> None:
        """A tranche asked for by the station worker, approved by the custodian's finance officer a day or two later and
        paid after that (each step only if its day has come)."""
        approve = asked + dt.timedelta(days=self.rng.randint(1, 2), hours=self.rng.randint(1, 4))
        pay = approve + dt.timedelta(days=self.rng.randint(1, 3), hours=1)
        if pay > self.now - dt.timedelta(hours=1):
            return  # (not part of the history yet: a request left waiting would be an old one)
        self.at(asked, self.ask_tranche, tranche_id)
        self.at(approve, self.approve_tranche, tranche_id)
        self.at(pay, self.pay_tranche, tranche_id, f"ICBC{self.rng.randint(10**11, 10**12 - 1)}")

    def ask_tranche(self, tranche_id: int) -> None:
        gs.tranche_request(actor=self.staff, tranche=Tranche.objects.get(pk=tranche_id))
        self.counts["grants_tranches"] += 1

    def approve_tranche(self, tranche_id: int) -> None:
        payout = Payout.objects.get(tranche__pk=tranche_id)
        cs.payout_approve(actor=self.finance, payout=payout, note="里程碑材料齐全，同意拨付")

    def pay_tranche(self, tranche_id: int, reference: str) -> None:
        cs.payout_pay(actor=self.finance, payout=Payout.objects.get(tranche__pk=tranche_id), payment_reference=reference)


    # -- the registry's brand projects ---------------------------------------------------------------------------

    def schedule_brand(self, registered: dt.datetime, last: RoundState) -> None:
        """The station's 「耆乐安居」 project, commissioned by the fund: cultivated from its first month, reporting each
        quarter, a brand project after three quarters; then, by "成熟一个培育一个", one of last year's round projects
        is taken on for cultivation. A yearly cultivation plan for each."""
        start = timezone.localdate(registered)
        self.at(registered, self.register_qile, start)
        self.at(registered + 30 * DAY, self.brand_add, "qile", "“社工+慈善”品牌服务项目试点，列入首批培育")
        quarter_ends = [dt.date(y, m, 30 if m in (6, 9) else 31) for y in range(start.year, self.today.year + 1)
                        for m in (3, 6, 9, 12)]
        for n, end in enumerate(q for q in quarter_ends if start < q and _on(q + 6 * DAY, "17:00") < self.now):
            self.at(_on(end + 5 * DAY, "16:00"), self.report_qile, end, n)
        brand_day = timezone.localdate(last.phases[PhaseKind.AGREEMENTS][1]) + 60 * DAY
        if _on(brand_day + 20 * DAY, "17:00") < self.now:
            self.at(_on(brand_day, "10:30"), self.brand_qile)
            self.at(_on(brand_day + 10 * DAY, "15:00"), self.plan_brand, "qile")
            self.at(_on(brand_day + 14 * DAY, "10:00"), self.cultivate_next, last)
            self.at(_on(brand_day + 20 * DAY, "15:00"), self.plan_brand, "next")

    def register_qile(self, start: dt.date) -> None:
        fund = self.fund or CommunityFund.objects.filter(code=f"gz-{self.street.code}").first()
        if fund is None:
            return
        self.fund = fund
        self.brand["qile"] = gs.service_project_register(
            actor=self.staff, lead=self.orgs["agency"], station=self.station, fund=fund, starts_on=start,
            ends_on=start + 3 * 365 * DAY - DAY, **QILE_ANSHU)  # type: ignore[arg-type]  # its values are the fields' own
        self.counts["grants_service_projects"] += 1

    def brand_add(self, key: str, reason: str) -> None:
        project = self.brand.get(key)
        if project is not None:
            self.brand[key] = gs.brand_list_add(actor=self.finance, project=project, reason=reason)

    def report_qile(self, end: dt.date, n: int) -> None:
        project = self.brand.get("qile")
        if project is None:
            return
        a, c = self.rng.randint(12, 30), self.rng.randint(3, 8)
        b = a * self.rng.randint(5, 9) + self.rng.randint(20, 90)
        gs.progress_report_submit(actor=self.staff, project=project, period_end=end, text=QILE_REPORTS[n % 3].format(a=a, b=b, c=c),
                                  person_times=b + c * 25, sessions=a + c)
        self.counts["grants_progress_reports"] += 1

    def brand_qile(self) -> None:
        project = self.brand.get("qile")
        if project is not None:
            self.brand["qile"] = gs.brand_stage_set(actor=self.finance, project=project, stage="brand",
                                                    reason="连续三个季度服务成效达标，长者及家属满意度96%，经评估成为品牌服务项目")

    def cultivate_next(self, last: RoundState) -> None:
        projects = {p.proposal_id: p for p in ServiceProject.objects.filter(agreement__proposal__round=last.round)}
        first = last.proposals.get(CULTIVATE_FIRST)
        ranked = list(Result.objects.filter(round=last.round, funded=True).order_by("rank").values_list("proposal_id", flat=True))
        chosen = projects.get(first.pk) if first is not None and first.pk in projects else next(
            (projects[pid] for pid in ranked if pid in projects), None)
        if chosen is None:
            return
        self.brand["next"] = chosen
        self.brand_add("next", "成熟一个培育一个：「耆乐安居」成为品牌项目后接续培育的社区微创投项目")

    def plan_brand(self, key: str) -> None:
        project = self.brand.get(key)
        if project is None:
            return
        year = timezone.localdate().year
        goals, actions = (
            ("服务长者120人、入户探访不少于1500人次；形成居家安全评估工具包；在全区3个街道推广。",
             "每季度评估一次服务成效；整理服务案例和评估工具；联合区慈善会开展品牌推介。")
            if key == "qile" else
            ("稳定结对探访长者60名；培育长者志愿者骨干15名；形成可复制的探访服务指引。",
             "每月开展志愿者督导；每季度提交进度报告；年底参加品牌项目评估。"))
        gs.brand_plan_save(actor=self.staff, project=project, year=year, goals=goals, actions=actions, owner=self.staff.first_name,
                           review_on=dt.date(year, 12, 20))
        self.counts["grants_brand_plans"] += 1

    def report_progress(self, agreement_id: int, manager: Any, end: dt.date, what: tuple[str, int, int], milestone: int) -> None:
        project = ServiceProject.objects.filter(agreement_id=agreement_id).first()
        if project is None:
            return
        text, person_times, sessions = what
        gs.progress_report_submit(actor=manager, project=project, period_end=end, text=text, person_times=person_times,
                                  sessions=sessions, milestone=milestone)
        self.counts["grants_progress_reports"] += 1


# --- how the demo runs it -------------------------------------------------------------------------------------------

class _Timeline(Timeline):
    """The charity history's timeline, which hands itself to `before_run` (the grants demo scheduling its events)
    just before it runs, so both histories are written in one order of time."""

    def __init__(self, base: Timeline, before_run: Callable[[Timeline], None]) -> None:
        super().__init__(base.clock, base.now)
        self.events, self.n = base.events, base.n
        self.before_run = before_run

    def run(self) -> None:
        self.before_run(self)
        super().run()


class CharityAndGrantsSeeder(CharitySeeder):
    """The charity history with the micro-venture rounds of the busy street's fund in it."""

    def __init__(self, *, seed: int, names: list[str], password: str) -> None:
        super().__init__(seed=seed, names=names)
        self.grants = GrantsDemo(seed=seed, password=password, counts=self.counts)
        self.timeline = _Timeline(self.timeline, self.grants.schedule)


def grants_totals() -> Counter[str]:
    return Counter({"grants_rounds": GrantRound.objects.count(), "grants_proposals": Proposal.objects.count(),
                    "grants_ballots": Ballot.objects.count(), "grants_results": Result.objects.count(),
                    "grants_agreements": Agreement.objects.exclude(signed_by_fund=None).count(),
                    "grants_paper_keyings": PaperKeying.objects.count()})


def seed_charity_and_grants(*, seed: int, names: list[str], password: str) -> tuple[Counter[str], Counter[str]]:
    """(created, already there) by kind: the charity history (`charity.seed_charity`) with the rounds in it."""
    before = charity_totals() + grants_totals()
    created = CharityAndGrantsSeeder(seed=seed, names=names, password=password).run()
    return created, before


def seed_grants(*, seed: int = data.SEED, password: str, before: Callable[[Timeline], None] | None = None) -> Counter[str]:
    """The rounds alone, in a timeline of their own (for tests: the street's fund must exist by the first event, e.g.
    made by `before`, which gets the timeline first)."""
    counts: Counter[str] = Counter()
    timeline = Timeline(SimulatedClock(), timezone.now() - dt.timedelta(minutes=2))
    if before is not None:
        before(timeline)
    GrantsDemo(seed=seed, password=password, counts=counts).schedule(timeline)
    timeline.run()
    return counts
