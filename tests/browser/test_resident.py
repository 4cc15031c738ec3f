"""A new resident, on a phone, from nothing to a shift: signs up with a code sent to her phone (the demo's text-message
backend), registers as a volunteer at a station that has no quiz questions of its own (the city bank's serve),
passes the quiz and signs up for a shift."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from shanlian.accounts.messaging import ConsoleSms
from shanlian.people.models import Person
from shanlian.timebank import services as ts
from shanlian.timebank.models import QuizAttempt, QuizQuestion, Signup, Volunteer
from tests.browser.conftest import ONCE, PHONE, no_horizontal_scroll, open_phone_menu, shoot

pytestmark = [pytest.mark.browser, ONCE]
MOBILE = "13922226666"


@pytest.fixture
def city_live(transactional_db, city):
    return city


def test_a_new_resident_signs_up_takes_the_city_quiz_and_signs_up_for_a_shift(page, live_server, city_live):
    city = city_live
    station = city.stations["石牌街"]
    assert not QuizQuestion.objects.filter(station=station).exists()
    for i in range(12):  # the city bank (no station): every station's quiz draws from it
        QuizQuestion.objects.create(station=None, text=f"广州市志愿服务守则第{i + 1}题：服务对象的隐私应当保密吗？",
                                    choices=["应当保密", "可以公开"], answer=i % 2)
    start = (timezone.now() + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    activity = ts.activity_publish(
        actor=city.users["other_worker"], station=station, title="石牌街长者探访", category="elderly",
        division=city.communities["东兴"], place="东兴社区居委会", shifts=[(start, start + dt.timedelta(hours=2), 3)],
        description="两人一组探访独居长者，了解近况、陪伴聊天。",
    )
    shift = activity.shifts.get()

    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/")
    assert page.locator("[data-testid=front-door]").is_visible()
    open_phone_menu(page)
    with page.expect_navigation():
        page.locator("[data-testid=nav-signup]").click()
    assert page.url.endswith("/account/signup/")
    page.fill("#id_phone", "139 2222 6666")
    page.locator("[data-testid=send-code]").click()
    page.wait_for_load_state()
    code = next(re.search(r"\d{6}", text).group(0) for to, text in reversed(ConsoleSms.sent) if to == MOBILE)  # type: ignore[union-attr]
    page.fill("#id_phone", "13922226666")
    page.fill("#id_code", code)
    page.fill("#id_real_name", "梁嘉欣")
    page.select_option("#id_community", str(city.communities["东兴"].pk))
    page.fill("#id_password", "Jiaxin-2026-gz")
    assert no_horizontal_scroll(page)
    shoot(page, "resident-signup")
    page.locator("[data-testid=signup-submit]").click()
    page.wait_for_url("**/timebank/register/")
    person = Person.objects.get(real_name="梁嘉欣")
    assert person.user is not None and person.division == city.communities["东兴"]

    page.select_option("select[name=station]", str(station.pk))
    page.locator("label", has_text="扶老助老").click()
    page.locator("[data-testid=register-submit]").click()
    page.wait_for_url(f"{live_server.url}/timebank/")
    volunteer = Volunteer.objects.get(person=person)
    assert volunteer.station == station

    page.locator("[data-testid=quiz-todo] a").click()
    page.locator("[data-testid=quiz-start]").click()
    attempt = QuizAttempt.objects.get(volunteer=volunteer)
    answers = QuizQuestion.objects.in_bulk(attempt.question_ids)
    assert all(q.station_id is None for q in answers.values())
    for n, qid in enumerate(attempt.question_ids, start=1):
        page.locator(f"[data-testid=q{n}-c{answers[qid].answer}]").check()
    page.locator("[data-testid=quiz-submit]").click()
    attempt.refresh_from_db()
    assert attempt.passed

    page.goto(f"{live_server.url}/timebank/activities/")
    page.locator(f"[data-testid=signup-{shift.pk}]").click()
    page.wait_for_url(f"**/timebank/activities/{activity.pk}/")
    assert page.locator("[data-testid=signed-up]").is_visible()
    assert Signup.objects.filter(volunteer=volunteer, shift=shift).exists()
    shoot(page, "resident-signed-up")
