"""Charity activity for the disclosure, report and compliance tests, made through the services (with the
clock moved where a test needs the past: `at(...)` patches django.utils.timezone.now)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from unittest import mock

from django.utils import timezone

from shanlian.charity import services as cs

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@contextlib.contextmanager
def at(when: dt.datetime) -> Iterator[None]:
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield


def moment(y: int, m: int, d: int, h: int = 10) -> dt.datetime:
    return dt.datetime(y, m, d, h, tzinfo=SHANGHAI)


def gift(books: Any, city: Any, amount: str = "100.00", **kw: Any) -> Any:
    kw.setdefault("channel", "cash")
    kw.setdefault("donor_name", "林晓红")
    kw.setdefault("point", books.point)
    return cs.donation_record(actor=city.users["station_worker"], fund=books.fund, amount=amount, **kw)


def online(books: Any, amount: str, donor: str, key: str, *, project: Any = None, show_name: bool = False) -> Any:
    """An online gift in the open campaign (matched 1:1 up to the caps), as the payment webhook records it."""
    return cs.donation_record(actor=None, fund=books.fund, project=project, campaign=books.campaign, amount=amount,
                              channel="online", donor_name=donor, donor_key=key, show_name=show_name, source="pay:fakepay",
                              _skip_access=True)


def pay_out(books: Any, city: Any, amount: str, *, project: Any = None, title: str = "三月助餐",
            lines: list[tuple[str, str]] | None = None) -> Any:
    p = cs.payout_request(actor=city.users["station_worker"], fund=books.fund, project=project or books.project, title=title,
                          payee="北京街长者饭堂", lines=lines or [("餐费", amount)])
    p = cs.payout_approve(actor=city.users["finance"], payout=p)
    return cs.payout_pay(actor=city.users["finance"], payout=p, payment_reference=f"BOC{p.pk:06d}")


@dataclass
class Activity:
    gifts: list[Any]
    refunded: Any
    matched: Any
    payout: Any
    receipt: Any


def activity(books: Any, city: Any) -> Activity:
    """A fund's year in brief: cash gifts (one named, one a company shown in full), online gifts with
    matches (one refunded), a restricted gift, a payout with two lines, goods in and out, a receipt."""
    g1 = gift(books, city, "200.00", donor_name="张三丰")
    g2 = gift(books, city, "50.00", donor_name="广州善心贸易有限公司", show_name=True)
    g3 = gift(books, city, "30.00", donor_name="李", project=books.project)
    m1 = online(books, "80.00", "王小明", "u1")
    refunded = online(books, "60.00", "赵六", "u2")
    cs.donation_refund(actor=city.users["finance"], donation=refunded, reason="重复支付")
    gift(books, city, "120.00", channel="goods", donor_name="陈大文",
         goods=cs.Goods(item="大米", quantity=Decimal("10"), unit="袋"))
    cs.goods_give_out(actor=city.users["station_worker"], point=books.point, fund=books.fund, item="大米", quantity="4",
                      recipient="困难户陈**")
    payout = pay_out(books, city, "300.00", lines=[("餐费", "250.00"), ("餐具", "50.00")])
    receipt = cs.receipt_issue(actor=city.users["finance"], donation=g1)
    return Activity(gifts=[g1, g2, g3, m1], refunded=refunded, matched=m1, payout=payout, receipt=receipt)


def today() -> dt.date:
    return timezone.localdate()
