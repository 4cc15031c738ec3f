"""What people and machines type: one strict parser for amounts and numbers, bounds, text refused (never cut),
date windows, and the door that refuses what no view can store (NUL, control characters, bodies not JSON,
bodies too large), each with a code and a message in both languages."""

from __future__ import annotations

import ast
import datetime as dt
import logging
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client
from django.urls import path

import shanlian
from shanlian.core.errors import ValidationFailed
from shanlian.core.inputs import Checks, amount_in, date_window, decimal_in, int_in, moment_window, number_text, text_in

ACCEPTED = [
    ("100", "100"), ("100.5", "100.5"), ("1,280.50", "1280.50"), ("12,345,678", "12345678"), ("１２３．５０", "123.50"),
    ("１，２８０", "1280"), ("¥ 1 280", "1280"), ("￥88", "88"), ("88元", "88"), (" 66 ", "66"), ("-5", "-5"),
    ("0.01", "0.01"), ("\u3000２０\u3000", "20"),
]
REFUSED = ["1,0,0", "1_000", "1e3", "1E3", "+.5", ".5", "+5", "٣", "१२", "NaN", "Infinity", "", " ", "1.2.3", "12,34",
           "1,2345", "0x10", "１e３", "5-", "--5", "1 000 ¥", "¥¥5", "abc", "1\x005", "9" * 50]


@pytest.mark.parametrize(("text", "value"), ACCEPTED)
def test_the_parser_takes_what_chinese_users_type(text, value):
    assert number_text(text, currency=True) == Decimal(value)


@pytest.mark.parametrize("text", REFUSED)
def test_the_parser_refuses_everything_else(text):
    with pytest.raises(ValidationFailed) as exc:
        number_text(text, currency=True)
    assert exc.value.code == "invalid_number"
    assert exc.value.message_in("en") != exc.value.message_in("zh-hans")


def test_currency_signs_only_where_money_is_meant():
    with pytest.raises(ValidationFailed):
        number_text("¥5")
    assert number_text("¥5", currency=True) == 5


@pytest.mark.parametrize("value", [1.5, True, None, [1], float("nan")])
def test_floats_bools_and_other_types_are_refused(value):
    with pytest.raises(ValidationFailed):
        number_text(value)


def test_amounts_are_bounded_by_settings(settings):
    assert amount_in("1,000,000", maximum="ONLINE_GIFT").amount == Decimal("1000000.00")
    for text, code in [("1000000.01", "amount_too_large"), ("9999999996932824.69", "amount_too_large"),
                       ("12345678901234567", "amount_too_large"), ("0", "amount_not_positive"), ("-1", "amount_not_positive"),
                       ("1.005", "money_precision")]:
        with pytest.raises(ValidationFailed) as exc:
            amount_in(text, maximum="ONLINE_GIFT")
        assert exc.value.code == code, text
        assert exc.value.fields == {"amount": [(code, exc.value.message)]}
    assert amount_in("10000000", maximum="RECORDED_GIFT").amount == Decimal("10000000")
    settings.SHANLIAN = {**settings.SHANLIAN, "LIMITS": {**settings.SHANLIAN["LIMITS"], "ONLINE_GIFT": Decimal("500")}}
    with pytest.raises(ValidationFailed) as exc:
        amount_in("500.01", maximum="ONLINE_GIFT")
    assert "500.00" in exc.value.message_in("en") and "500.00" in exc.value.message_in("zh-hans")
    assert amount_in("0", positive=False).amount == 0


def test_decimals_and_integers_are_bounded():
    assert decimal_in("１２.５", field="q", places=1, minimum=0, maximum=100) == Decimal("12.5")
    assert int_in("42", field="n", minimum=1, maximum=99) == 42
    for text, code in [("12.55", "too_many_decimals"), ("101", "too_large"), ("-1", "too_small")]:
        with pytest.raises(ValidationFailed) as exc:
            decimal_in(text, field="q", places=1, minimum=0, maximum=100)
        assert exc.value.code == code
    with pytest.raises(ValidationFailed) as exc:
        int_in("4.5", field="n", minimum=1, maximum=99)
    assert exc.value.code == "not_whole"


@pytest.mark.parametrize(("text", "code"), [
    ("张\x00三", "nul_character"), ("张\x07三", "control_character"), ("张\u202e三", "control_character"),
    ("张\u200b三", "control_character"), ("a\ufeff", "control_character"), ("line\nbreak", "control_character"),
    ("长" * 33, "too_long"), ("\ud800", "invalid_character"),
])
def test_text_is_refused_never_cut(text, code):
    with pytest.raises(ValidationFailed) as exc:
        text_in(text, field="real_name", max_length=32)
    assert exc.value.code == code and "real_name" in exc.value.fields
    assert exc.value.message_in("en") != exc.value.message_in("zh-hans")


def test_text_keeps_what_people_write():
    assert text_in("  陈秀英  ", field="n", max_length=32) == "陈秀英"
    assert text_in("长" * 32, field="n", max_length=32) == "长" * 32
    assert text_in("第一行\n第二行\t完", field="n", max_length=None, multiline=True) == "第一行\n第二行\t完"
    assert text_in("👨\u200d👩\u200d👧 一家", field="n", max_length=None) == "👨\u200d👩\u200d👧 一家"  # joiners stay
    with pytest.raises(ValidationFailed) as exc:
        text_in("", field="n", max_length=10, required=True)
    assert exc.value.code == "required"


def test_dates_have_a_window(settings):
    today = dt.date.today()
    assert date_window(dt.date(2000, 1, 1), field="start") == dt.date(2000, 1, 1)
    assert date_window(dt.date(today.year + 1, 12, 31), field="end")
    for day in (dt.date(1, 1, 1), dt.date(1999, 12, 31), dt.date(9999, 12, 31), dt.date(today.year + 2, 1, 1)):
        with pytest.raises(ValidationFailed) as exc:
            date_window(day, field="end")
        assert exc.value.code == "date_out_of_range" and "end" in exc.value.fields


def test_moments_have_a_window():
    from django.utils import timezone

    now = timezone.now()
    assert moment_window(now, field="received_at") == now
    year_one = dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))  # cannot even become UTC
    for moment in (year_one, now + dt.timedelta(days=2)):
        with pytest.raises(ValidationFailed) as exc:
            moment_window(moment, field="received_at")
        assert exc.value.code == "time_out_of_range"


def test_checks_gather_every_problem():
    checks = Checks()
    a = checks(amount_in, "abc")
    b = checks(text_in, "x" * 10, field="donor_name", max_length=5)
    c = checks(text_in, "ok", field="message", max_length=5)
    assert (a, b, c) == (None, None, "ok")
    with pytest.raises(ValidationFailed) as exc:
        checks.done()
    assert set(exc.value.fields) == {"amount", "donor_name"}


# --- the message is formatted in the language it is read in --------------------------------------------------------

def test_a_formatted_error_reads_in_each_language():
    with pytest.raises(ValidationFailed) as exc:
        amount_in("2000000", maximum="ONLINE_GIFT")
    assert exc.value.message_in("en").startswith("At most ¥1,000,000.00")
    assert exc.value.message_in("zh-hans").startswith("单笔最多 ¥1,000,000.00")


ERROR_MAKERS = ("ValidationFailed", "Conflict", "PermissionDenied", "NotFound", "DomainError", "field_error")


def _formats_early(tree: ast.AST) -> list[int]:
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Call)
            and isinstance(node.left.func, ast.Name) and node.left.func.id == "_"]


def test_no_error_message_is_formatted_before_it_is_read():
    """`_("... %(x)s") % params` formats once, in whatever language is active then, so an error's English could
    come out Chinese (message_en in Chinese): an error's message is made with lazy_format, which formats again in
    each language it is read in."""
    root = Path(shanlian.__file__).parent
    offenders = []
    for file in root.rglob("*.py"):
        if "migrations" in file.parts:
            continue
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in ERROR_MAKERS:
                offenders += [f"{file.relative_to(root)}:{line}" for line in _formats_early(node)]
    assert not offenders, offenders
    # and the check itself finds what it looks for
    assert _formats_early(ast.parse('raise ValidationFailed("c", _("x %(n)s") % {"n": 1})'))


# --- the door ---------------------------------------------------------------------------------------------------


def _boom(request):
    raise RuntimeError("kaboom for the log")


urlpatterns = [path("boom/", _boom)]


@pytest.mark.parametrize("query", ["?q=%00", "?q=a%00b", "?q=%01", "?%00=x", "?end=%00"])
def test_nul_and_control_characters_in_a_query_are_400_on_pages_and_in_the_api(client, db, query):
    page = client.get("/public/" + query)
    assert page.status_code == 400 and 'data-error-code="' in page.text and "<nav" in page.text
    api = client.get("/api/divisions" + query)
    assert api.status_code == 400
    assert api.json()["code"] in ("nul_character", "control_character") and api.json()["message_en"] != api.json()["message_zh"]


def test_nul_in_a_form_post_is_400_and_writes_nothing(login, city):
    from shanlian.people.models import Person

    before = Person.objects.count()
    resp = login("station_worker").post("/people/new/", {"real_name": "张\x00三", "division": city.communities["盐运西"].pk})
    assert resp.status_code == 400 and 'data-error-code="nul_character"' in resp.text
    assert Person.objects.count() == before


def test_the_api_refuses_a_body_that_is_not_json(login, city):
    client = login("city_admin")
    resp = client.post("/api/people", "real_name=x", content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 415 and resp.json()["code"] == "unsupported_media_type"
    resp = client.post("/api/people", '{"real_name": "x"', content_type="application/json")
    assert resp.status_code == 400 and resp.json()["code"] == "invalid_json"
    resp = client.post("/api/people", '{"real_name": "张\\u0000三"}', content_type="application/json")
    assert resp.status_code == 400 and resp.json()["code"] == "nul_character"


def test_a_body_too_large_is_a_json_413(login, city, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    resp = login("city_admin").post("/api/people", {"real_name": "x" * 4000}, content_type="application/json")
    assert resp.status_code == 413 and resp["Content-Type"].startswith("application/json")
    assert resp.json()["code"] == "request_too_large"


def test_405_is_a_page_in_chinese_with_the_navigation_or_json_in_the_api(login, city):
    client = login("finance")
    page = client.get("/accounts/logout/")  # Django's logout takes POST only
    assert page.status_code == 405 and "<nav" in page.text and "此地址不能这样打开" in page.text
    api = client.put("/api/people", "{}", content_type="application/json")
    assert api.status_code == 405 and api.json()["code"] == "method_not_allowed"


def test_a_missing_page_and_a_missing_api_path(client, db):
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and "<nav" in page.text and 'lang="zh-hans"' in page.text
    api = client.get("/api/no-such-path")
    assert api.status_code == 404 and api.json()["code"] == "not_found"


@pytest.mark.urls(__name__)
def test_every_500_is_logged_with_its_traceback(db, caplog):
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        resp = client.get("/boom/")
    assert resp.status_code == 500
    assert any(r.exc_info and "kaboom for the log" in str(r.exc_info[1]) for r in caplog.records)


def test_the_500_handler_shows_a_chinese_page(rf, db):
    from django.contrib.auth.models import AnonymousUser

    from shanlian.web.views import server_error

    request = rf.get("/somewhere/")
    request.user = AnonymousUser()
    resp = server_error(request)
    assert resp.status_code == 500 and "系统出现错误，已记录日志。" in resp.content.decode()
