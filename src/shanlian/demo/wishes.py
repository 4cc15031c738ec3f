"""The demo's micro-wish wall: 27 wishes of the demo beneficiaries (demo/cases.py) at four stations, in 越秀区 and 天河区,
over the past five months: open ones, ones claimed by the donor 谢永强, by a party branch (某公司党支部, 6 members) and by
companies, one delivered in part, fulfilled and confirmed ones with their photos and acknowledgements, and one claim that
lapsed and left its wish open again. Written through the services by the stations' own workers where the demo has one
(北京街: 林晓彤, 石牌街: 吴嘉欣), else by the administrator; each beneficiary's consent to a de-identified posting is
recorded first (cases' service). A second run finds every wish by its beneficiary and title and writes nothing.

Call it after seed_cases: `from shanlian.demo.wishes import seed_wishes; seed_wishes()`."""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from collections import Counter
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from shanlian.cases import services as cs
from shanlian.cases.models import Beneficiary, Consent
from shanlian.core.errors import DomainError
from shanlian.wishes import services as ws
from shanlian.wishes import services_fulfil as wf
from shanlian.wishes.models import Wish

WORKERS = {"北京街道": "station_worker", "石牌街道": "station_worker2"}

# A claimant: (login, kind, party branch or company, party members)
Claimant = tuple[str, str, str, int]
DONOR: Claimant = ("donor", "self", "", 0)
SHANYUAN: Claimant = ("donor", "company", "广州善源科技有限公司", 0)
BRANCH: Claimant = ("volunteer", "party", "某公司党支部", 6)
OFFICE_BRANCH: Claimant = ("volunteer", "party", "北京街道机关党支部", 8)
TECH_BRANCH: Claimant = ("expert", "party", "天河区某科技公司党支部", 5)
ASSOCIATION: Claimant = ("group_manager", "company", "广州市越秀区志愿者协会", 0)
EXPERT: Claimant = ("expert", "self", "", 0)

# (street, beneficiary, title, for, kind, value, description, state, registered days ago, needed within days, claimant)
# state: open, claimed, delivered (in part), confirmed, lapsed (a claim that expired: open again)
WISHES: list[tuple[str, str, str, str, str, str, str, str, int, int, Claimant | None]] = [
    ("北京街道", "陈秀英", "一台落地电风扇", "elder_alone", "goods", "180", "老人独居在顶楼，夏天屋里闷热，希望有一台落地电风扇。",
     "confirmed", 160, 30, DONOR),
    ("北京街道", "陈秀英", "老花镜一副", "elder_alone", "goods", "80", "原来的眼镜摔坏了，看药盒上的小字很吃力。",
     "confirmed", 60, 20, SHANYUAN),
    ("北京街道", "陈秀英", "冬季棉被一床", "elder_alone", "goods", "150", "天气转冷，家里的被子已用了十多年，希望换一床厚棉被。",
     "open", 5, 40, None),
    ("北京街道", "陈秀英", "智能分格药盒", "elder_alone", "goods", "90", "每天要吃四种药，常常忘记，希望有一个能提醒的药盒。",
     "claimed", 3, 30, DONOR),
    ("北京街道", "梁伯坚", "制氧机耗材一年份", "elder", "money", "320", "夜间需要吸氧，过滤棉和湿化瓶需要定期更换。",
     "confirmed", 120, 30, OFFICE_BRANCH),
    ("北京街道", "梁伯坚", "轮椅坐垫", "elder", "goods", "120", "久坐轮椅容易压伤，希望有一个减压坐垫。", "open", 8, 30, None),
    ("北京街道", "梁伯坚", "防滑拖鞋和沐浴凳", "elder", "goods", "130", "浴室地面湿滑，老人洗澡时担心摔倒。", "lapsed", 14, 40, EXPERT),
    ("北京街道", "林小雨", "学习书桌一张", "child", "goods", "350", "孩子在饭桌上写作业，希望有一张属于自己的书桌。",
     "confirmed", 90, 30, ASSOCIATION),
    ("北京街道", "林小雨", "英语点读笔", "student", "goods", "260", "周末无人辅导，希望用点读笔自己练习英语。", "open", 4, 60, None),
    ("北京街道", "林小雨", "课外读物一套", "student", "goods", "100", "孩子喜欢看书，希望有一套适合四年级的课外读物。",
     "claimed", 2, 45, BRANCH),
    ("北京街道", "周建华", "助行器一台", "disabled", "goods", "280", "偏瘫后在家练习走路，需要一台带轮助行器。",
     "delivered", 10, 30, DONOR),
    ("北京街道", "周建华", "康复理疗上门一次", "disabled", "service", "200", "希望有康复师上门指导一次居家训练。", "open", 6, 25, None),
    ("石牌街道", "张建国", "助听器电池一年份", "elder_alone", "money", "240", "助听器每周要换电池，低保收入难以负担。",
     "confirmed", 75, 30, DONOR),
    ("石牌街道", "张建国", "电饭煲一个", "elder_alone", "goods", "199", "旧电饭煲漏电，已不敢再用。", "open", 3, 30, None),
    ("石牌街道", "张建国", "冬季羽绒服", "elder_alone", "goods", "260", "老人怕冷，希望有一件轻便保暖的羽绒服。",
     "confirmed", 30, 20, TECH_BRANCH),
    ("石牌街道", "赵晓燕", "助听器保养一次", "disabled", "service", "150", "助听器声音变小，需要专业清洁保养。", "open", 2, 20, None),
    ("石牌街道", "赵晓燕", "职业技能培训教材", "disabled", "goods", "120", "想参加社区工厂的质检岗位培训，需要一套教材。",
     "claimed", 1, 30, ASSOCIATION),
    ("人民街道", "何桂芳", "电热毯一张", "elder_alone", "goods", "120", "冬天手脚冰凉，希望有一张安全的电热毯。", "open", 6, 30, None),
    ("人民街道", "何桂芳", "电子血压计", "elder_alone", "goods", "199", "医生嘱咐每天量血压，家里没有血压计。",
     "confirmed", 45, 20, SHANYUAN),
    ("人民街道", "黄嘉豪", "上学用的自行车", "student", "goods", "450", "学校离家较远，希望有一辆自行车上学。", "open", 5, 60, None),
    ("人民街道", "黄嘉豪", "校服两套", "student", "goods", "180", "校服只有一套，换洗不过来。", "confirmed", 100, 20, OFFICE_BRANCH),
    ("人民街道", "冯志伟", "米面粮油一箱", "family", "goods", "150", "家里三口人，月底常常接不上。", "open", 1, 14, None),
    ("东山街道", "吴美玲", "盲杖一根", "disabled", "goods", "120", "原来的盲杖断了，出门不方便。", "open", 7, 30, None),
    ("东山街道", "吴美玲", "语音报时钟", "disabled", "goods", "80", "双目失明，希望有一个会报时的时钟。", "confirmed", 20, 14, EXPERT),
    ("东山街道", "邓子轩", "儿童绘本一套", "child", "goods", "120", "外婆不识字，希望有一套有声绘本陪孩子阅读。", "open", 3, 45, None),
    ("东山街道", "郭振邦", "血糖试纸三个月", "elder", "money", "240", "需要每天测血糖，试纸开销较大。", "open", 4, 30, None),
    ("东山街道", "郭振邦", "老年手机一部", "elder", "goods", "200", "想和在外地的子女视频，旧手机已坏。", "confirmed", 130, 30, SHANYUAN),
]

# Goods fulfilments: (item, quantity, unit) per title; the rest are money or service.
GOODS = {"一台落地电风扇": ("电风扇", "1", "台"), "老花镜一副": ("老花镜", "1", "副"), "学习书桌一张": ("学习书桌", "1", "张"),
         "助行器一台": ("助行器", "1", "台"), "冬季羽绒服": ("羽绒服", "1", "件"), "电子血压计": ("电子血压计", "1", "台"),
         "校服两套": ("校服", "2", "套"), "语音报时钟": ("语音报时钟", "1", "个"), "老年手机一部": ("老年手机", "1", "部")}
ACKS = [("beneficiary", "signature"), ("beneficiary", "thumbprint"), ("guardian", "signature"), ("family", "signature"),
        ("beneficiary", "verbal")]


def _png(width: int = 160, height: int = 120) -> bytes:
    """A small PNG (a warm gradient) standing for the hand-over photo."""
    rows = b"".join(b"\x00" + bytes(v for x in range(width) for v in (200 + x * 55 // width, 120 + y * 60 // height, 90))
                    for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _consent(worker: Any, b: Beneficiary, today: dt.date, counts: Counter[str]) -> None:
    if Consent.objects.filter(beneficiary=b, purpose="wish").exists():
        return
    guardian = b.guardians.filter(ended_on__isnull=True).first()
    by: dict[str, Any] = {"given_by": "guardian", "guardian": guardian} if guardian is not None else {}
    cs.consent_record(actor=worker, beneficiary=b, purpose="wish", recipients=["donor", "station"],
                      given_on=today - dt.timedelta(days=200), **by)
    counts["wish_consents"] += 1


@transaction.atomic
def seed_wishes() -> Counter[str]:
    """The wall; found done on a second run (nothing written)."""
    counts: Counter[str] = Counter()
    users = {u.username: u for u in get_user_model().objects.filter(
        username__in=["admin", "station_worker", "station_worker2", "donor", "volunteer", "expert", "group_manager"])}
    admin = users.get("admin") or get_user_model().objects.filter(is_superuser=True).order_by("id").first()
    now = timezone.now()
    today = timezone.localdate()
    lapsed: list[Wish] = []
    for i, (street, name, title, wish_for, kind, value, description, state, ago, within, claimant) in enumerate(WISHES):
        b = (Beneficiary.objects.filter(person__real_name=name, station__street__name=street)
             .select_related("person__division", "station__street").first())
        if b is None or Wish.objects.filter(beneficiary=b, title=title).exists():
            continue
        if state == "confirmed":  # fulfilled this fortnight: its gift is on the ledger, recorded the day it was given
            ago = 4 + ago // 20
        worker = users.get(WORKERS.get(street, ""), admin)
        _consent(worker, b, today, counts)
        at = now - dt.timedelta(days=ago, hours=3 + i % 5)
        wish = ws.wish_register(actor=worker, beneficiary=b, title=title, wish_for=wish_for, kind=kind, value=value,
                                description=description, needed_by=timezone.localdate(at) + dt.timedelta(days=within), now=at,
                                private_note="送达前请先电话联系社工，由社工陪同入户。")
        counts["wishes"] += 1
        if claimant is None or state == "open":
            continue
        login, claim_kind, name_or_branch, members = claimant
        claimed_at = now - dt.timedelta(days=3, hours=i) if state == "confirmed" else now - dt.timedelta(hours=6 + i)
        if state == "lapsed":
            claimed_at = now - dt.timedelta(days=10)
        try:
            ws.wish_claim(actor=users[login], wish=wish, kind=claim_kind,
                          party_branch=name_or_branch if claim_kind == "party" else "", party_members=members or None,
                          company_name=name_or_branch if claim_kind == "company" else "", now=min(claimed_at, now),
                          contact="138****" + f"{1000 + i * 37:04d}"[-4:])
        except DomainError as exc:  # e.g. the claimant holds as many live claims as allowed: the wish stays open
            counts[f"wish_claim_skipped_{exc.code}"] += 1
            continue
        counts["wish_claims"] += 1
        if state == "lapsed":
            lapsed.append(wish)
            continue
        if state == "claimed":
            ws.message_send(actor=worker, wish=wish, text="您好，感谢认领！请于本周六上午9:30–11:30将物品送到社工站一楼捐赠点，"
                                                           "社工会陪同转交，无需上门。")
            counts["wish_messages"] += 1
            continue
        # Gifts land on the ledger, whose entries are recorded on the day they happen (the charity demo's history ends
        # today): what was given for a wish was given in the last two days.
        given = now - dt.timedelta(hours=40 - i) if state == "confirmed" else now - dt.timedelta(hours=1)
        try:
            if kind == "service":
                wf.wish_fulfil(actor=worker, wish=wish, kind="service", value=value, now=given)
            elif kind == "money" or title not in GOODS:
                wf.wish_fulfil(actor=worker, wish=wish, kind="money", value=value, channel="transfer", now=given)
            else:
                item, qty, unit = GOODS[title]
                part = "200" if state == "delivered" else value
                wf.wish_fulfil(actor=worker, wish=wish, kind="goods", value=part, goods_item=item, goods_quantity=qty,
                               goods_unit=unit, now=given)
        except DomainError as exc:  # a street without a fund or a donation point: the wish stays claimed
            counts[f"wish_fulfilment_skipped_{exc.code}"] += 1
            continue
        counts["wish_fulfilments"] += 1
        if state == "confirmed":
            by, how = ACKS[i % len(ACKS)]
            if by == "guardian" and not b.guardians.filter(ended_on__isnull=True).exists():
                by = "family"
            wf.wish_confirm(actor=worker, wish=wish, photo=SimpleUploadedFile(f"wish-{wish.pk}.png", _png(), content_type="image/png"),
                            acknowledged_by=by, acknowledged_how=how, acknowledged_on=timezone.localdate(given),
                            now=given + dt.timedelta(hours=2))
            counts["wishes_confirmed"] += 1
    if lapsed:
        counts["wish_claims_expired"] += ws.claims_expire(now)
    return counts
