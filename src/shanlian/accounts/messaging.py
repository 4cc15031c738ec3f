"""Text messages behind an interface: the demo's backend writes them to the log (and keeps the last ones for
tests and the demo's console); a real provider (Aliyun, Tencent Cloud SMS) is a class with the same `send`,
named in SHANLIAN['SMS_BACKEND']."""

from __future__ import annotations

import logging
from collections import deque
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger("shanlian.sms")


class SmsBackend(Protocol):
    def send(self, *, phone: str, text: str) -> None: ...


class ConsoleSms:
    """Prints the message: the demo's way to read a sign-up code without a phone operator."""

    sent: deque[tuple[str, str]] = deque(maxlen=50)

    def send(self, *, phone: str, text: str) -> None:
        self.sent.append((phone, text))
        log.warning("SMS to %s: %s", phone, text)
        print(f"[短信 SMS] {phone}: {text}", flush=True)  # noqa: T201 (the demo's console is its phone)


@cache
def _backend(path: str) -> SmsBackend:
    backend: SmsBackend = import_string(path)()
    return backend


def sms() -> SmsBackend:
    return _backend(str(settings.SHANLIAN["SMS_BACKEND"]))
