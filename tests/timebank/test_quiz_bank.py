"""The quiz question banks: the city bank drawn at every station with the station's own questions; the page that
manages them, for the roles it is for and against those it is not; add, edit (in place, or a new version once
drawn), retire and put back; the XLSX import (all or nothing, bad rows named by row number), export and template;
bad input refused with a code, never a 500."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from shanlian.core.errors import Conflict, PermissionDenied, ValidationFailed
from shanlian.core.models import AuditLog
from shanlian.core.scoping import Role
from shanlian.timebank import quiz_sheet
from shanlian.timebank import services as ts
from shanlian.timebank.models import QuizAttempt, QuizQuestion

from .. import factories as f

URL = "/timebank/manage/quiz/"
IMPORT = "/timebank/manage/quiz/import/"
EXPORT = "/timebank/manage/quiz/export.xlsx"
ZH = ["题目", "选项A", "选项B", "选项C", "选项D", "选项E", "选项F", "答案"]


def codes(response) -> set[str]:
    return set(re.findall(r'data-error-code="([a-z_]+)"', response.content.decode()))


def city_bank(city, n: int = 12) -> list[QuizQuestion]:
    admin = city.users["city_admin"]
    return [ts.quiz_question_create(actor=admin, station=None, text=f"全市题库第{i + 1}题：服务对象的隐私应当保密吗？",
                                    choices=["应当保密", "可以公开", "看情况"], answer=0) for i in range(n)]


def xlsx(rows: list[list], header: list | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header or ZH)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, data: bytes, bank: str, name: str = "questions.xlsx"):
    file = io.BytesIO(data)
    file.name = name
    return client.post(f"{IMPORT}?bank={bank}", {"file": file})


def own(station) -> list[tuple[str, list[str], int]]:
    return [(q.text, q.choices, q.answer) for q in QuizQuestion.objects.filter(station=station, active=True).order_by("id")]


# -- the quiz draws from the city bank and the station's own ---------------------------------------------


def test_a_station_without_questions_of_its_own_draws_from_the_city_bank(city, login, settings):
    settings.SHANLIAN = {**settings.SHANLIAN, "TIMEBANK_QUIZ_QUESTIONS": 10}
    shipai = city.stations["石牌街"]
    user = f.user_with_role("shipai_vol", Role.VOLUNTEER, None, person_in=city.communities["东兴"], name="石牌志愿者")
    vol = ts.volunteer_register(actor=user, person=user.person, station=shipai)
    with pytest.raises(ValidationFailed) as exc:
        ts.quiz_start(actor=user, volunteer=vol)
    assert exc.value.code == "quiz_bank_empty"
    bank = city_bank(city, 12)
    other_station = ts.quiz_question_create(actor=city.users["station_worker"], station=city.stations["北京街"],
                                            text="北京街道社工站在哪里？", choices=["北京路", "天河路"], answer=0)
    retired = ts.quiz_question_retire(actor=city.users["city_admin"], question=bank[0])
    city.users["shipai_vol"] = user
    client = login("shipai_vol")
    assert client.post(reverse("timebank:quiz"), {"action": "start"}).status_code == 302
    attempt = QuizAttempt.objects.get(volunteer=vol)
    assert attempt.station == shipai and len(attempt.question_ids) == 10
    drawn = QuizQuestion.objects.filter(pk__in=attempt.question_ids)
    assert all(q.station_id is None and q.active for q in drawn)
    assert retired.pk not in attempt.question_ids and other_station.pk not in attempt.question_ids
    assert all(q.drawn_at is not None for q in drawn)  # from now on part of a record
    page = client.get(reverse("timebank:quiz")).content.decode()
    assert 'data-testid="quiz-form"' in page and any(q.text in page for q in drawn)


def test_the_paper_draws_from_the_union_of_the_city_bank_and_the_station_own(bank, city, settings):
    settings.SHANLIAN = {**settings.SHANLIAN, "TIMEBANK_QUIZ_QUESTIONS": 30}
    city_qs = city_bank(city, 5)
    shipai_q = ts.quiz_question_create(actor=city.users["other_worker"], station=city.stations["石牌街"],
                                       text="石牌街道的题", choices=["甲", "乙"], answer=1)
    attempt = ts.quiz_start(actor=bank.vol_user, volunteer=bank.vol)
    own_ids = set(QuizQuestion.objects.filter(station=city.stations["北京街"]).values_list("pk", flat=True))
    assert set(attempt.question_ids) == own_ids | {q.pk for q in city_qs}  # 12 own + 5 city: all 17 drawn
    assert shipai_q.pk not in attempt.question_ids
    right = {str(q.pk): q.answer for q in QuizQuestion.objects.filter(pk__in=attempt.question_ids)}
    assert ts.quiz_submit(actor=bank.vol_user, attempt=attempt, answers=right).passed


# -- who may open and change what --------------------------------------------------------------------------


def test_who_may_open_the_quiz_page(city, login):
    anon = Client().get(URL)
    assert anon.status_code == 302 and anon["Location"].startswith(reverse("login"))
    for name in ("volunteer", "finance", "expert", "donor", "nobody"):
        assert login(name).get(URL).status_code == 403, name
        assert login(name).get(EXPORT + "?bank=city").status_code == 403, name
    beijing, renmin, shipai = (city.stations[n] for n in ("北京街", "人民街", "石牌街"))
    page = login("station_worker").get(URL)
    assert page.status_code == 200 and 'data-testid="quiz-form"' in page.content.decode()
    assert f'data-testid="bank-{beijing.pk}"' in page.content.decode() and "bank-city" in page.content.decode()
    city_page = login("station_worker").get(URL + "?bank=city")
    assert city_page.status_code == 200 and 'data-testid="bank-readonly"' in city_page.content.decode()
    assert 'data-testid="quiz-form"' not in city_page.content.decode()
    resp = login("other_worker").get(f"{URL}?bank={beijing.pk}")
    assert resp.status_code == 404 and AuditLog.objects.filter(action="access.denied", object_id=str(beijing.pk)).exists()
    assert login("agency_manager").get(f"{URL}?bank={renmin.pk}").status_code == 200  # the agency's other station
    assert login("agency_manager").get(f"{URL}?bank={shipai.pk}").status_code == 404
    for name in ("street_officer", "district_admin"):
        resp = login(name).get(URL)
        assert resp.status_code == 200 and 'data-testid="bank-readonly"' in resp.content.decode(), name
        assert login(name).get(f"{URL}?bank={beijing.pk}").status_code == 404, name
    resp = login("city_admin").get(URL)
    assert resp.status_code == 200 and 'data-testid="quiz-form"' in resp.content.decode()
    assert login("city_admin").get(f"{URL}?bank={beijing.pk}").status_code == 404
    for bad in ("abc", "9" * 30, "-1", "city'", "²", "１２"):
        assert login("station_worker").get(f"{URL}?bank={bad}").status_code == 404, bad
    assert 'data-testid="tab-quiz"' in login("station_worker").get("/timebank/manage/").content.decode()
    assert 'data-testid="tab-quiz"' in login("district_admin").get("/timebank/manage/stations/").content.decode()


def _form(text="志愿者在公开场合以什么身份标识？", choices=("志愿者编号", "身份证号码", "手机号码"), answer="A"):
    data = {"text": text, "answer": answer}
    for letter, choice in zip("abcdef", [*choices, "", "", "", "", "", ""], strict=False):
        data[f"choice_{letter}"] = choice
    return data


def test_who_may_add_to_which_bank(city, login):
    beijing = city.stations["北京街"]
    for name in ("station_worker", "agency_manager", "district_admin", "street_officer"):
        resp = login(name).post(URL + "?bank=city", _form())
        assert resp.status_code == 403, name
    assert login("other_worker").post(f"{URL}?bank={beijing.pk}", _form()).status_code == 404
    assert login("city_admin").post(f"{URL}?bank={beijing.pk}", _form()).status_code == 404
    assert login("volunteer").post(URL + "?bank=city", _form()).status_code == 403
    assert not QuizQuestion.objects.exists()
    assert login("city_admin").post(URL + "?bank=city", _form()).status_code == 302
    q = QuizQuestion.objects.get()
    assert (q.station, q.choices, q.answer) == (None, ["志愿者编号", "身份证号码", "手机号码"], 0)
    assert AuditLog.objects.filter(action="timebank.quiz_question.create", object_id=str(q.pk)).exists()
    resp = login("station_worker").post(f"{URL}?bank={beijing.pk}", _form(text="北京街道社工站的开放时间？", answer="B"))
    assert resp.status_code == 302
    assert own(beijing) == [("北京街道社工站的开放时间？", ["志愿者编号", "身份证号码", "手机号码"], 1)]
    assert login("agency_manager").post(f"{URL}?bank={beijing.pk}", _form(text="第三题", choices=("是", "否"))).status_code == 302
    with pytest.raises(PermissionDenied):
        ts.quiz_question_create(actor=city.users["district_admin"], station=None, text="x", choices=["a", "b"], answer=0)


# -- add, edit, retire -------------------------------------------------------------------------------------


def test_bad_input_is_refused_with_a_code_and_writes_nothing(city, login):
    client = login("station_worker")
    beijing = city.stations["北京街"]
    target = f"{URL}?bank={beijing.pk}"
    ts.quiz_question_create(actor=city.users["city_admin"], station=None, text="全市题", choices=["对", "错"], answer=0)
    cases = [
        (_form(text=""), "required"),
        (_form(text="长" * 301), "too_long"),
        (_form(choices=("对", "长" * 121)), "too_long"),
        (_form(choices=("只有一个",)), "too_few_choices"),
        (_form(choices=("甲", "", "丙")), "choice_skipped"),
        (_form(choices=("甲", "甲")), "choice_repeated"),
        (_form(answer="D"), "answer_out_of_range"),
        (_form(answer="G"), "invalid_choice"),
        (_form(answer=""), "answer_required"),
        (_form(text="全市题"), "question_exists"),
        (_form(text="题\u202e目"), "control_character"),
    ]
    for data, expect in cases:
        resp = client.post(target, data)
        assert resp.status_code in (400, 409) and expect in codes(resp), (data, expect, codes(resp))
    resp = client.post(target, _form(text="题目\x00"))
    assert resp.status_code == 400  # refused at the door (NUL), not a 500
    assert not QuizQuestion.objects.filter(station=beijing).exists()
    for kwargs, expect in (
        ({"choices": ["a", "b", "c", "d", "e", "f", "g"], "answer": 0}, "too_many_choices"),
        ({"choices": ["a", "b"], "answer": 5}, "answer_out_of_range"),
        ({"choices": ["a", "b"], "answer": -1}, "answer_out_of_range"),
        ({"choices": ["a", "b"], "answer": True}, "answer_required"),
        ({"choices": "ab", "answer": 0}, "invalid_choices"),
        ({"choices": ["a", 3], "answer": 0}, "invalid_text"),
    ):
        with pytest.raises(ValidationFailed) as exc:
            ts.quiz_question_create(actor=city.users["station_worker"], station=beijing, text="题", **kwargs)
        assert expect in {c for errs in exc.value.fields.values() for c, _m in errs} | {exc.value.code}, kwargs
    assert not QuizQuestion.objects.filter(station=beijing).exists()


def test_edit_in_place_until_drawn_then_a_new_version(bank, city, login, settings):
    settings.SHANLIAN = {**settings.SHANLIAN, "TIMEBANK_QUIZ_QUESTIONS": 30}
    client = login("station_worker")
    q = QuizQuestion.objects.filter(station=city.stations["北京街"]).first()
    edit = reverse("timebank:manage_quiz_edit", args=[q.pk])
    assert client.get(edit).status_code == 200
    assert login("other_worker").get(edit).status_code == 404
    assert login("city_admin").post(edit, _form()).status_code == 404
    assert login("volunteer").get(edit).status_code == 403
    client = login("station_worker")
    resp = client.post(edit, _form(text="改过的题目", choices=("对", "错", "不知道"), answer="C"))
    assert resp.status_code == 302
    q.refresh_from_db()
    assert (q.text, q.choices, q.answer, q.active) == ("改过的题目", ["对", "错", "不知道"], 2, True)
    # Drawn into a paper: the edit retires it and puts a new version in its place.
    attempt = ts.quiz_start(actor=bank.vol_user, volunteer=bank.vol)
    assert q.pk in attempt.question_ids
    q.refresh_from_db()
    assert q.drawn_at is not None
    page = client.get(edit).content.decode()
    assert 'data-testid="edit-new-version"' in page
    resp = client.post(edit, _form(text="改过的题目", choices=("对", "错"), answer="B"))
    assert resp.status_code == 302
    q.refresh_from_db()
    new = QuizQuestion.objects.get(station=city.stations["北京街"], text="改过的题目", active=True)
    assert not q.active and q.choices == ["对", "错", "不知道"] and (new.choices, new.answer) == (["对", "错"], 1)
    assert AuditLog.objects.filter(action="timebank.quiz_question.revise", object_id=str(new.pk)).exists()
    # The paper still scores against the version it drew.
    right = {str(x.pk): x.answer for x in QuizQuestion.objects.filter(pk__in=attempt.question_ids)}
    assert right[str(q.pk)] == 2 and ts.quiz_submit(actor=bank.vol_user, attempt=attempt, answers=right).passed
    # A retired question is not edited; nothing changed changes nothing.
    resp = client.post(edit, _form(text="再改"), follow=True)
    assert resp.status_code == 409 and "question_retired" in codes(resp)
    assert ts.quiz_question_edit(actor=bank.organizer, question=new, text="改过的题目", choices=["对", "错"], answer=1).pk == new.pk
    # Bad input on the edit page: 400, nothing changed.
    new_edit = reverse("timebank:manage_quiz_edit", args=[new.pk])
    resp = client.post(new_edit, _form(text="x" * 301))
    assert resp.status_code == 400 and "too_long" in codes(resp)
    other = QuizQuestion.objects.filter(station=city.stations["北京街"], active=True).exclude(pk=new.pk).first()
    resp = client.post(new_edit, _form(text=other.text))
    assert resp.status_code == 409 and "question_exists" in codes(resp)
    new.refresh_from_db()
    assert new.text == "改过的题目"


def test_retire_and_put_back(bank, city, login):
    q = QuizQuestion.objects.filter(station=city.stations["北京街"]).first()
    retire = reverse("timebank:manage_quiz_retire", args=[q.pk])
    back = reverse("timebank:manage_quiz_reactivate", args=[q.pk])
    assert login("other_worker").post(retire).status_code == 404
    assert login("district_admin").post(retire).status_code == 404
    assert login("station_worker").get(retire).status_code == 405
    q.refresh_from_db()
    assert q.active
    client = login("station_worker")
    resp = client.post(retire)
    assert resp.status_code == 302
    q.refresh_from_db()
    assert not q.active and QuizQuestion.objects.filter(pk=q.pk).exists()  # never deleted
    page = client.get(f"{URL}?bank={q.station_id}&show=retired").content.decode()
    assert f'data-question-id="{q.pk}"' in page and f'data-testid="reactivate-{q.pk}"' in page
    assert f'data-question-id="{q.pk}"' not in client.get(f"{URL}?bank={q.station_id}").content.decode()
    assert client.post(retire).status_code == 302  # again: quiet
    ts.quiz_question_create(actor=bank.organizer, station=q.station, text=q.text, choices=["另一个", "版本"], answer=0)
    resp = client.post(back, follow=True)
    assert "question_exists" in codes(resp)
    q.refresh_from_db()
    assert not q.active
    QuizQuestion.objects.filter(station=q.station, text=q.text, active=True).update(text="换个说法")
    client.post(back)
    q.refresh_from_db()
    assert q.active
    assert AuditLog.objects.filter(action="timebank.quiz_question.reactivate", object_id=str(q.pk)).exists()
    city_q = city_bank(city, 1)[0]
    assert login("station_worker").post(reverse("timebank:manage_quiz_retire", args=[city_q.pk])).status_code == 404
    assert login("city_admin").post(reverse("timebank:manage_quiz_retire", args=[city_q.pk])).status_code == 302
    with pytest.raises(Conflict):
        ts.quiz_question_edit(actor=city.users["city_admin"], question=city_q, text="x", choices=["a", "b"], answer=0)


def test_the_page_lists_many_questions_in_a_fixed_number_of_queries(city, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    city_bank(city, 3)
    client = login("city_admin")
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    city_bank_more = [ts.quiz_question_create(actor=city.users["city_admin"], station=None, text=f"又一题{i}", choices=["a", "b"],
                                              answer=1) for i in range(15)]
    assert city_bank_more
    with CaptureQueriesContext(connection) as many:
        assert client.get(URL).status_code == 200
    assert len(many) == len(few)


# -- XLSX import and export --------------------------------------------------------------------------------


def test_import_a_good_file(city, login):
    beijing = city.stations["北京街"]
    client = login("station_worker")
    data = xlsx([
        ["扫码签到后提前离开，应当？", "本人扫码签退", "请同伴代签", "不签退", None, None, None, "A"],
        [None, None, None, None, None, None, None, None],  # a blank row is skipped
        ["1小时志愿服务记几个积分？", "0.5", 1, 2, None, None, None, "ｂ"],  # a number cell, a full-width small letter
        ["六个选项的题", "一", "二", "三", "四", "五", "六", "F"],
    ])
    resp = upload(client, data, str(beijing.pk))
    assert resp.status_code == 302, codes(resp)
    assert own(beijing) == [
        ("扫码签到后提前离开，应当？", ["本人扫码签退", "请同伴代签", "不签退"], 0),
        ("1小时志愿服务记几个积分？", ["0.5", "1", "2"], 1),
        ("六个选项的题", ["一", "二", "三", "四", "五", "六"], 5),
    ]
    assert AuditLog.objects.filter(action="timebank.quiz_question.import").count() == 1
    resp = upload(client, data, str(beijing.pk))  # again: nothing new
    assert resp.status_code == 302 and len(own(beijing)) == 3
    # English headers in another order, extra columns ignored.
    header = ["Answer", "Notes", "Choice B", "Question", "Choice A"]
    resp = upload(login("city_admin"), xlsx([["b", "备注", "错", "志愿者可以收受服务对象的红包吗？", "可以"]], header=header), "city")
    assert resp.status_code == 302
    q = QuizQuestion.objects.get(station__isnull=True)
    assert (q.text, q.choices, q.answer) == ("志愿者可以收受服务对象的红包吗？", ["可以", "错"], 1)


def test_bad_rows_are_named_by_row_and_nothing_is_written(city, login):
    beijing = city.stations["北京街"]
    ts.quiz_question_create(actor=city.users["city_admin"], station=None, text="全市已有的题", choices=["对", "错"], answer=0)
    client = login("station_worker")
    data = xlsx([
        ["好题一", "对", "错", None, None, None, None, "A"],  # row 2: fine
        ["", "对", "错", None, None, None, None, "A"],  # row 3: no question
        ["答案越界", "对", "错", None, None, None, None, "C"],  # row 4
        ["答案不是字母", "对", "错", None, None, None, None, "1"],  # row 5
        ["只有一个选项", "对", None, None, None, None, None, "A"],  # row 6
        ["跳过了C", "甲", "乙", None, "丁", None, None, "A"],  # row 7
        ["好题一", "对", "错", None, None, None, None, "A"],  # row 8: repeats row 2
        ["全市已有的题", "对", "错", None, None, None, None, "A"],  # row 9: in the city bank
        ["长" * 301, "对", "错", None, None, None, None, "A"],  # row 10
        ["方向字符\u202e反转", "对", "错", None, None, None, None, "A"],  # row 11
        ["好题二", "对", "错", None, None, None, None, ""],  # row 12: no answer
    ])
    resp = upload(client, data, str(beijing.pk))
    assert resp.status_code == 400
    body = resp.content.decode()
    problems = dict(re.findall(r'data-row="(\d+)" data-error-code="([a-z_]+)"', body))
    assert problems == {"3": "required", "4": "answer_out_of_range", "5": "answer_out_of_range", "6": "too_few_choices",
                        "7": "choice_skipped", "8": "row_repeated", "9": "question_exists", "10": "too_long",
                        "11": "control_character", "12": "answer_required"}, problems
    assert "import_rows_invalid" in codes(resp)
    assert not QuizQuestion.objects.filter(station=beijing).exists()
    assert not AuditLog.objects.filter(action__startswith="timebank.quiz_question", actor=city.users["station_worker"]).exists()


def test_bad_files_are_refused_whole(city, login, monkeypatch):
    client = login("city_admin")
    good_row = ["题", "对", "错", None, None, None, None, "A"]
    book = io.BytesIO()
    with zipfile.ZipFile(book, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    cases = [
        (b"question,choice a\n", "import_not_xlsx"),
        (b"", "empty"),  # Django's own: an empty upload
        (book.getvalue(), "import_bad_xlsx"),
        (b"PK\x03\x04" + b"\x00" * 50, "import_bad_xlsx"),
        (xlsx([good_row], header=["题目", "选项A", "选项B", "选项C", "选项D", "选项E", "选项F", "选项G", "答案"]), "too_many_choices"),
        (xlsx([good_row], header=["题目", "选项A", "选项B"]), "import_missing_column"),
        (xlsx([good_row], header=["题目", "问题", "选项A", "选项B", "答案"]), "import_duplicate_column"),
        (xlsx([]), "import_no_rows"),
    ]
    for data, expect in cases:
        resp = upload(client, data, "city")
        assert resp.status_code == 400 and expect in codes(resp), (expect, codes(resp))
    monkeypatch.setattr(quiz_sheet, "MAX_ROWS", 3)
    resp = upload(client, xlsx([[f"题{i}", "对", "错", None, None, None, None, "A"] for i in range(4)]), "city")
    assert resp.status_code == 400 and "too_many_rows" in codes(resp)
    monkeypatch.setattr(quiz_sheet, "MAX_BYTES", 100)
    resp = upload(client, xlsx([good_row]), "city")
    assert resp.status_code == 400 and "file_too_large" in codes(resp)
    assert not QuizQuestion.objects.exists()
    # Who may import into which bank.
    assert upload(login("station_worker"), xlsx([good_row]), "city").status_code == 403
    assert upload(login("other_worker"), xlsx([good_row]), str(city.stations["北京街"].pk)).status_code == 404
    assert login("district_admin").get(IMPORT + "?bank=city").status_code == 403
    assert login("volunteer").get(IMPORT + "?bank=city").status_code == 403
    assert not QuizQuestion.objects.exists()


def test_export_round_trip_and_template(city, login):
    admin = city.users["city_admin"]
    ts.quiz_question_create(actor=admin, station=None, text="=1+1 是公式吗？", choices=["-不是", "+是", "@都不是"], answer=0)
    ts.quiz_question_create(actor=admin, station=None, text="六个选项", choices=list("一二三四五六"), answer=5)
    retired = ts.quiz_question_create(actor=admin, station=None, text="已退役", choices=["a", "b"], answer=1)
    ts.quiz_question_retire(actor=admin, question=retired)
    resp = login("station_worker").get(EXPORT + "?bank=city")  # a station reads the city bank
    assert resp.status_code == 200 and resp["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(resp.content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert book.sheetnames == ["题库", "说明"]
    assert list(rows[0]) == ZH and len(rows) == 3
    assert book.worksheets[0]["A2"].data_type == "s"  # text, not a formula
    # Into a station with no questions of its own (the city bank's texts would clash, so rename them there first).
    shipai = city.stations["石牌街"]
    QuizQuestion.objects.filter(station__isnull=True).update(active=False)
    resp = upload(login("other_worker"), resp.content, str(shipai.pk))
    assert resp.status_code == 302, codes(resp)
    assert own(shipai) == [("=1+1 是公式吗？", ["-不是", "+是", "@都不是"], 0), ("六个选项", list("一二三四五六"), 5)]
    again = login("other_worker").get(f"{EXPORT}?bank={shipai.pk}")
    assert upload(login("other_worker"), again.content, str(shipai.pk)).status_code == 302 and len(own(shipai)) == 2
    assert login("other_worker").get(f"{EXPORT}?bank={city.stations['北京街'].pk}").status_code == 404
    template = login("station_worker").get("/timebank/manage/quiz/template.xlsx")
    sheet = load_workbook(io.BytesIO(template.content)).worksheets[0]
    assert [c.value for c in sheet[1]] == ZH and sheet.max_row == 1
    resp = upload(login("station_worker"), template.content, str(city.stations["北京街"].pk))
    assert resp.status_code == 400 and "import_no_rows" in codes(resp)
    # A row written before the checks, with a character no XLSX can hold, still exports.
    QuizQuestion.objects.create(station=None, text="旧数据\x01", choices=["a", "b"], answer=0)
    resp = login("city_admin").get(EXPORT + "?bank=city")
    assert resp.status_code == 200 and load_workbook(io.BytesIO(resp.content)).worksheets[0]["A2"].value == "旧数据"


def test_english_export_headers_import_back(city, login, settings):
    ts.quiz_question_create(actor=city.users["city_admin"], station=None, text="Q1", choices=["yes", "no"], answer=1)
    client = login("city_admin")
    resp = client.get(EXPORT + "?bank=city", HTTP_ACCEPT_LANGUAGE="en")
    header = [c.value for c in load_workbook(io.BytesIO(resp.content)).worksheets[0][1]]
    assert header[0] == "Question" and header[-1] == "Answer"
    QuizQuestion.objects.update(active=False)
    assert upload(client, resp.content, "city").status_code == 302
    assert QuizQuestion.objects.filter(active=True, text="Q1", answer=1).exists()


def test_the_migration_marks_questions_already_in_papers(bank, city):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("shanlian.timebank.migrations.0004_quiz_city_bank")
    attempt = ts.quiz_start(actor=bank.vol_user, volunteer=bank.vol)
    QuizQuestion.objects.update(drawn_at=None)
    migration.mark_drawn(apps, None)
    drawn = set(QuizQuestion.objects.filter(drawn_at__isnull=False).values_list("pk", flat=True))
    assert drawn == set(attempt.question_ids)
    assert QuizQuestion.objects.get(pk=attempt.question_ids[0]).drawn_at == attempt.started_at
