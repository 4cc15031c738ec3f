"""Reference data for the demo city, a Guangzhou-like 广州市.

What is real: the city and its 11 districts with their GB/T 2260 codes, the street and town names,
and the road names used in addresses. What is made up: every street, town, community and village
*code* below the district (built district + 3 digits, street + 3 digits, following the shape of the
statistical division codes, not copied from them), every community and village name, every
organization except the charity federations' names, every credit code, person, resident ID and
phone number.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

# Birth years and ages are counted from this year, not from today, so the demo is the same every run.
REFERENCE_YEAR = 2026
SEED = 20260101
DEFAULT_PASSWORD = "Shanlian@2026"
PASSWORD_ENV = "SHANLIAN_DEMO_PASSWORD"

CITY_NAME = "广州市"
CITY_CODE = "440100"


@dataclass(frozen=True)
class DistrictRef:
    code: str
    name: str
    streets: tuple[str, ...]  # names ending in 街道 (street) or 镇 (town)
    roads: tuple[str, ...]  # real road names in the district, for plausible addresses
    # Birthplace codes to try, in order, for someone born here: the district's code and the codes
    # of the county or district it used to be. stdnum.cn.ric checks a code against the birth year
    # (e.g. 440113 番禺区 exists from 2000, 440126 番禺县 until 1992), so the first code valid in
    # the person's birth year is used, and 440100 广州市 (valid in every year) after that.
    birthplaces: tuple[str, ...]
    agencies: int  # how many social-work agencies the demo registers here


DISTRICTS: tuple[DistrictRef, ...] = (
    DistrictRef("440103", "荔湾区", ("沙面街道", "多宝街道", "逢源街道", "华林街道", "金花街道", "西村街道"),
                ("龙津西路", "中山七路", "康王中路", "多宝路", "黄沙大道", "西湾路"), ("440103",), 2),
    DistrictRef("440104", "越秀区", ("北京街道", "人民街道", "光塔街道", "东山街道", "农林街道", "大塘街道"),
                ("北京路", "中山五路", "东风中路", "解放北路", "文德路", "农林下路"), ("440104",), 3),
    DistrictRef("440105", "海珠区", ("赤岗街道", "新港街道", "昌岗街道", "滨江街道", "素社街道", "琶洲街道"),
                ("江南大道中", "新港中路", "工业大道", "宝岗大道", "昌岗中路", "滨江东路"), ("440105",), 3),
    DistrictRef("440106", "天河区", ("石牌街道", "五山街道", "林和街道", "沙河街道", "猎德街道", "棠下街道"),
                ("天河路", "体育西路", "天河北路", "石牌西路", "五山路", "中山大道西"), ("440106", "440111"), 3),
    DistrictRef("440111", "白云区", ("三元里街道", "松洲街道", "景泰街道", "同德街道", "京溪街道", "太和镇"),
                ("白云大道北", "机场路", "广园中路", "西槎路", "同德路", "沙太路"), ("440111",), 3),
    DistrictRef("440112", "黄埔区", ("黄埔街道", "红山街道", "鱼珠街道", "大沙街道", "萝岗街道", "长洲街道"),
                ("黄埔东路", "开创大道", "丰乐北路", "大沙地东", "香雪大道", "石化路"), ("440112",), 2),
    DistrictRef("440113", "番禺区", ("市桥街道", "沙头街道", "东环街道", "大石街道", "洛浦街道", "南村镇"),
                ("清河东路", "光明北路", "禺山西路", "繁华路", "兴南大道", "番禺大道北"), ("440113", "440181", "440126"), 3),
    DistrictRef("440114", "花都区", ("新华街道", "新雅街道", "秀全街道", "花城街道", "狮岭镇"),
                ("新华路", "迎宾大道", "公益大道", "秀全大道", "凤凰北路", "龙珠路"), ("440114", "440182", "440121"), 2),
    DistrictRef("440115", "南沙区", ("南沙街道", "珠江街道", "龙穴街道", "黄阁镇", "横沥镇"),
                ("进港大道", "环市大道", "黄阁大道", "蕉门路", "凤凰大道"), ("440115", "440113", "440181", "440126"), 2),
    DistrictRef("440117", "从化区", ("街口街道", "江埔街道", "城郊街道", "温泉镇", "太平镇"),
                ("河滨北路", "新城东路", "从城大道", "青云路", "街口大道"), ("440117", "440184", "440122"), 1),
    DistrictRef("440118", "增城区", ("荔城街道", "增江街道", "朱村街道", "永宁街道", "新塘镇"),
                ("荔城大道", "府佑路", "增城大道", "新塘大道", "挂绿路"), ("440118", "440183", "440125"), 2),
)

# Streets that were in a district merged away later: people born there in those years carry its code.
STREET_BIRTHPLACES: dict[str, tuple[str, ...]] = {
    "东山街道": ("440102", "440104"),  # 东山区 1983–2005, merged into 越秀区
    "农林街道": ("440102", "440104"),
    "大塘街道": ("440102", "440104"),
    "萝岗街道": ("440116", "440112"),  # 萝岗区 2005–2014, merged into 黄埔区
}

# People who moved to Guangzhou: birthplace codes valid in every year stdnum knows.
MIGRANT_BIRTHPLACES = ("430400", "430100", "450100", "360100", "420100", "510100", "440800", "440500")

# Community (社区) names: a neutral stem, sometimes a direction or a housing word, then 社区.
COMMUNITY_STEMS = (
    "和平", "光明", "朝阳", "育才", "文明", "兴华", "新风", "康乐", "安居", "福临", "锦绣", "翠竹", "桂花",
    "木棉", "紫荆", "荔园", "榕荫", "青松", "金沙", "明珠", "春晖", "永安", "富华", "新兴", "东升", "聚龙",
    "宏图", "友爱", "幸福", "和睦", "嘉和", "丰泽", "长寿", "华侨", "利民", "德安", "晨光", "星光", "骏华",
    "荷塘", "凤凰", "云台", "金桂", "银湖", "百花", "玉兰", "海棠", "雅居", "恒福", "东风", "红棉", "景苑",
    "怡景", "润园", "松柏", "建设", "中兴", "宝华", "平安", "泰和", "同福", "合群", "昌盛", "绿荫", "清泉",
    "龙珠", "瑞和", "新华", "民生", "秀丽", "彩虹", "丽江", "碧水", "锦华", "金湖", "东湖", "南华", "北园",
)
COMMUNITY_SUFFIXES = ("", "", "", "", "东", "西", "南", "北", "新村", "花园", "里", "苑")
# Village (村) names in towns.
VILLAGE_STEMS = (
    "石岗", "鹤边", "塘头", "沙涌", "水口", "莲塘", "上围", "新围", "大岭", "高埔", "黄沙", "龙岗", "岭头",
    "竹料", "石湖", "梅田", "坑背", "大坑", "白石", "田心", "新庄", "东坑", "西岭", "禾田", "罗洞", "蔡边",
    "横岭", "高田", "江头", "沙岗", "石龙", "塘美", "马头", "旗岭", "杨梅", "蕉园", "黄竹", "钟楼", "山下",
    "桥头", "岗尾", "秀水", "锦洞", "南岗", "北村", "龙潭", "新联", "麻村",
)

# Words for generated agency names: 广州市{区}{词}社会工作服务中心. Not the names of real agencies.
AGENCY_WORDS = (
    "启明", "同心", "暖阳", "和悦", "善邻", "睦邻", "乐群", "康宁", "慧心", "明德", "知行", "恒爱", "颐康",
    "信和", "仁善", "德馨", "嘉禾", "安和", "晴川", "扬帆", "朗润", "春晖", "景和", "惠众", "励行", "悦邻",
    "众和", "青禾", "博济", "益民",
)

# Foundations registered with the city: (name, has public-fundraising qualification).
FOUNDATIONS = (
    ("广州市善源公益基金会", True),
    ("广州市众益社区公益基金会", False),
    ("广州市康颐长者关爱基金会", False),
)
# Districts with a volunteers' association (广州市{区}志愿者协会).
VOLUNTEER_ASSOCIATION_DISTRICTS = ("440104", "440106", "440105", "440111", "440113")
CITY_ASSOCIATIONS = ("广州市社区慈善促进会",)

CITY_FEDERATION = "广州市慈善会"

# Mobile prefixes in use (phonenumbers accepts every number under them).
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155",
    "156", "157", "158", "159", "166", "173", "175", "176", "177", "178", "180", "181", "182", "183", "184",
    "185", "186", "187", "188", "189", "191", "193", "195", "198", "199",
)

# Surnames common in Guangdong (weights roughly by frequency there); Faker's national list adds the rest.
GUANGDONG_SURNAMES = (
    ("陈", 12), ("李", 8), ("黄", 8), ("张", 5), ("梁", 5), ("林", 5), ("刘", 4), ("吴", 4), ("罗", 4),
    ("何", 4), ("郑", 3), ("王", 3), ("周", 2), ("钟", 2), ("谢", 2), ("冯", 2), ("邓", 2), ("曾", 2),
    ("杨", 2), ("叶", 2), ("卢", 2), ("麦", 1), ("区", 1), ("关", 1), ("潘", 1), ("蔡", 1), ("温", 1),
    ("郭", 1), ("赖", 1), ("苏", 1), ("谭", 1), ("莫", 1), ("邝", 1), ("岑", 1), ("冼", 1),
)
# Given names of people born after about 1995 (Faker's lists sound older).
YOUNG_GIVEN_NAMES = {
    "M": ("梓轩", "浩然", "子豪", "俊熙", "宇轩", "嘉豪", "梓豪", "锦程", "家乐", "子健", "皓轩", "俊杰",
          "志鹏", "文博", "嘉俊", "铭轩", "子朗", "卓霖"),
    "F": ("子晴", "梓涵", "嘉欣", "诗琪", "晓彤", "欣怡", "雨桐", "思琪", "可欣", "佩珊", "咏琪", "心怡",
          "婉婷", "颖琳", "芷晴", "凯琳", "紫盈", "乐瑶"),
}

OPENING_HOURS = ("周一至周五 9:00-17:30", "周二至周日 9:00-18:00", "周一至周六 8:30-17:30")


@dataclass(frozen=True)
class LoginRef:
    """One demo login: who they are, where they live, and the role they hold over which scope."""

    username: str
    real_name: str
    gender: str
    role: str  # a core.scoping.Role value, or "" for the superuser
    role_zh: str  # what to call them in the demo table
    target: str  # "city", "district:越秀区", "street:北京街道", "agency_of:北京街道", "station:北京街道", "org:NAME", ""
    home: tuple[str, int]  # (street name, index of the community in that street)
    birth: dt.date
    reveal_sensitive: bool = False
    superuser: bool = False


LOGINS: tuple[LoginRef, ...] = (
    LoginRef("admin", "周志明", "M", "", "系统管理员", "", ("林和街道", 0), dt.date(1978, 4, 12), superuser=True),
    LoginRef("city_admin", "梁慧敏", "F", "city_admin", "市民政局管理员", "city", ("猎德街道", 0),
             dt.date(1981, 9, 3), reveal_sensitive=True),
    LoginRef("district_admin", "陈国栋", "M", "district_admin", "区民政局管理员", "district:越秀区", ("东山街道", 0),
             dt.date(1975, 2, 20)),
    LoginRef("street_officer", "黄丽华", "F", "street_officer", "街道专干", "street:北京街道", ("北京街道", 1),
             dt.date(1986, 11, 8), reveal_sensitive=True),
    LoginRef("agency_manager", "何俊杰", "M", "agency_manager", "社工机构负责人", "agency_of:北京街道",
             ("人民街道", 0), dt.date(1983, 6, 15)),
    LoginRef("station_worker", "林晓彤", "F", "station_worker", "社工站社工", "station:北京街道", ("北京街道", 0),
             dt.date(1994, 3, 27)),
    LoginRef("station_worker2", "吴嘉欣", "F", "station_worker", "社工站社工", "station:石牌街道", ("石牌街道", 0),
             dt.date(1996, 8, 19)),
    LoginRef("finance", "郑淑仪", "F", "federation_finance", "慈善会财务", f"org:{CITY_FEDERATION}", ("赤岗街道", 0),
             dt.date(1979, 12, 1)),
    LoginRef("expert", "罗建华", "M", "expert", "评审专家", "", ("五山街道", 0), dt.date(1965, 5, 30)),
    LoginRef("volunteer", "冯子轩", "M", "volunteer", "志愿者", "", ("北京街道", 0), dt.date(1999, 10, 6)),
    LoginRef("donor", "谢永强", "M", "donor", "捐赠人", "", ("市桥街道", 0), dt.date(1972, 7, 14)),
    # Proposes for the district volunteers' association in the street's micro-venture rounds (demo/grants.py).
    LoginRef("group_manager", "邓嘉怡", "F", "org_manager", "社会组织负责人", "org:广州市越秀区志愿者协会", ("北京街道", 1),
             dt.date(1988, 4, 22)),
)


def demo_password() -> str:
    """Every demo login's password: SHANLIAN_DEMO_PASSWORD, or the documented default."""
    return os.environ.get(PASSWORD_ENV) or DEFAULT_PASSWORD
