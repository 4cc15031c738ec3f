"""What the demo's micro-venture rounds say: the street, its community groups and experts, the rubric, each year's
needs and proposals (in Chinese, as people wrote them), and the brand project's quarterly reports. The history that
writes them is `grants.GrantsDemo`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

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
