"""The demo's clock: the simulated clock the past is written under (the charity and grants demos use it too), and a
local time on a day in the city."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


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


def _local(day: dt.date, hhmm: str) -> dt.datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    return dt.datetime(day.year, day.month, day.day, h, m, tzinfo=TZ)
