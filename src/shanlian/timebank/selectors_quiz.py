"""Reads for the quiz-bank pages (/timebank/manage/quiz/).

Who sees what: the city bank is read by everyone who works with stations' time banks (station workers and
agency managers, street officers, district and city administrators) and changed by city administrators; a
station's own questions are seen and changed by its organizers (`services._access.may_edit_quiz_bank`, the
one rule). Anyone else gets a 403; a station or question beyond the caller's reach is a logged 404."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from shanlian.core.conf import domain_setting
from shanlian.core.errors import PermissionDenied
from shanlian.core.scoping import Scope
from shanlian.orgs.models import Station
from shanlian.people.selectors import actor_scope

from .models import QuizQuestion, quiz_pool
from .selectors_manage import ORGANIZER_ROLES, READER_ROLES, _missing, station_managed_get, stations_managed
from .services._access import may_edit_quiz_bank

CITY = "city"


def quiz_scope(actor: Any) -> Scope:
    scope = actor_scope(actor)
    if not (scope.is_superuser or scope.has(*ORGANIZER_ROLES, *READER_ROLES)):
        raise PermissionDenied("not_quiz_reader", _("Only station staff and the area's officers see the quiz question banks."))
    return scope


@dataclass(frozen=True)
class Bank:
    station: Station | None  # None: the city bank
    editable: bool

    @property
    def key(self) -> str:
        return CITY if self.station is None else str(self.station.pk)

    @property
    def label(self) -> str:
        return str(_("City bank")) if self.station is None else self.station.name


def quiz_banks(scope: Scope) -> list[Bank]:
    """The city bank, then the stations whose own questions the caller manages."""
    return [Bank(station=None, editable=may_edit_quiz_bank(scope, None)),
            *(Bank(station=s, editable=True) for s in stations_managed(scope))]


def quiz_bank_get(*, scope: Scope, key: str | None) -> Bank:
    """`city`, a station's id, or nothing: the caller's first station if they organize one, else the city bank."""
    if not key:
        first = stations_managed(scope).first()
        return Bank(station=first, editable=True) if first is not None else Bank(station=None, editable=may_edit_quiz_bank(scope, None))
    if key == CITY:
        return Bank(station=None, editable=may_edit_quiz_bank(scope, None))
    if not (key.isascii() and key.isdigit()) or len(key) > 18:
        raise _missing(scope, "orgs.station", key[:20])
    return Bank(station=station_managed_get(scope=scope, station_id=int(key)), editable=True)


def bank_questions(*, bank: Bank, retired: bool = False) -> QuerySet[QuizQuestion]:
    """The bank's questions in use (or retired ones), newest first."""
    qs = QuizQuestion.objects.filter(active=not retired)
    qs = qs.filter(station__isnull=True) if bank.station is None else qs.filter(station=bank.station)
    return qs.order_by("-id")


@dataclass(frozen=True)
class BankFigures:
    active: int
    retired: int
    pool: int | None  # for a station: what its volunteers draw from (the city bank and its own)
    city: int  # questions in use in the city bank
    paper: int  # questions in one paper


def bank_figures(*, bank: Bank) -> BankFigures:
    own = Q(station__isnull=True) if bank.station is None else Q(station=bank.station)
    counts: dict[str, Any] = {"n_active": Count("id", filter=own & Q(active=True)), "n_retired": Count("id", filter=own & Q(active=False)),
                              "n_city": Count("id", filter=Q(station__isnull=True, active=True))}
    if bank.station is not None:
        counts["n_pool"] = Count("id", filter=quiz_pool(bank.station.pk))
    row = QuizQuestion.objects.filter(Q(station__isnull=True) | own).aggregate(**counts)
    return BankFigures(active=row["n_active"], retired=row["n_retired"], pool=row.get("n_pool"), city=row["n_city"],
                       paper=domain_setting("TIMEBANK_QUIZ_QUESTIONS"))


def quiz_question_get(*, scope: Scope, question_id: int) -> QuizQuestion:
    """A question the caller may change: of the city bank for its editors, of a station they organize."""
    question = QuizQuestion.objects.select_related("station").filter(pk=question_id).first()
    if question is None or not may_edit_quiz_bank(scope, question.station):
        raise _missing(scope, "timebank.quizquestion", question_id)
    return question


def bank_export(*, bank: Bank) -> list[QuizQuestion]:
    """The questions in use, oldest first: the order they were written in."""
    return list(bank_questions(bank=bank).order_by("id"))
