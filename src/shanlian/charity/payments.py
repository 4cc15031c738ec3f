"""Payment providers for online gifts: what the campaign pages and the webhook intake need of one.

A provider sends the donor to its checkout page and later calls our webhook with a signed event. Only
FakePay exists here: a demo and test provider whose "checkout" is a page of our own and whose webhook
is signed exactly as a real provider's would be (HMAC-SHA256 over a timestamp and the raw body, as
Stripe does), so the intake is exercised with real signatures, replays and tampering.

Events are JSON::

    {"id": "evt_...", "type": "payment.succeeded" | "payment.failed", "created": <unix>,
     "data": {"ref": "<intent ref>", "payment_id": "...", "amount": "88.00", "payer": "<payer id>"}}
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from django.conf import settings
from django.urls import reverse

if TYPE_CHECKING:
    from .models import PaymentIntent

SUCCEEDED = "payment.succeeded"
FAILED = "payment.failed"
EVENT_TYPES = (SUCCEEDED, FAILED)


OPEN_URL = "open_url"
SDK = "sdk"


@dataclass(frozen=True)
class PayAction:
    """What a client does to pay, whatever the provider: `open_url` opens `url` (a web view in a mini-program, the
    browser elsewhere); `sdk` hands `params` to the provider's own SDK (WeChat Pay's wx.requestPayment with its
    timeStamp, nonceStr, package, signType and paySign; Alipay's order string). A new provider is a new class that
    answers one of these; the donor's journey and the API do not change."""

    kind: str
    url: str = ""
    params: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class PaymentProvider(Protocol):
    """What the intake needs of a payment provider."""

    name: str

    def checkout_url(self, intent: PaymentIntent) -> str:
        """Where to send the donor to pay (a path on our site, or the provider's absolute URL)."""

    def pay_action(self, intent: PaymentIntent) -> PayAction:
        """What an app (the API's client) does to pay `intent`."""

    def sign(self, body: bytes) -> str:
        """The signature header value the provider would send with `body` (tests and the demo use it)."""

    def verify(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """Is `body` really from the provider, and recent? Never raises on bad input: it says False."""


def header(headers: Mapping[str, str], name: str) -> str:
    """A header by name, whatever its case (Django's request.headers, a dict from a test, WSGI META)."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted or key.upper() == "HTTP_" + name.upper().replace("-", "_"):
            return str(value)
    return ""


class FakePay:
    """The demo provider. Signature header: ``X-FakePay-Signature: t=<unix>,v1=<hex>`` where ``v1`` is
    HMAC-SHA256(secret, f"{t}." + raw body); refused if older than `tolerance` seconds (replays) or if
    it does not match (compared in constant time)."""

    name = "fakepay"
    signature_header = "X-FakePay-Signature"
    tolerance = 300  # seconds: a captured callback cannot be replayed later than this

    def __init__(self, secret: str | None = None) -> None:
        self._secret = secret

    @property
    def secret(self) -> bytes:
        return (self._secret if self._secret is not None else settings.SHANLIAN["FAKEPAY_SECRET"]).encode()

    def checkout_url(self, intent: PaymentIntent) -> str:
        return reverse("give:fakepay_checkout", kwargs={"ref": intent.ref})

    def pay_action(self, intent: PaymentIntent) -> PayAction:
        """The demo checkout page, opened in a web view: one button pays, one cancels."""
        base = str(settings.SHANLIAN["PUBLIC_BASE_URL"]).rstrip("/")
        return PayAction(kind=OPEN_URL, url=base + self.checkout_url(intent))

    def _mac(self, t: int, body: bytes) -> str:
        return hmac.new(self.secret, str(t).encode() + b"." + body, hashlib.sha256).hexdigest()

    def sign(self, body: bytes, *, at: int | None = None) -> str:
        t = int(time.time()) if at is None else at
        return f"t={t},v1={self._mac(t, body)}"

    def verify(self, body: bytes, headers: Mapping[str, str]) -> bool:
        parts: dict[str, list[str]] = {}
        for item in header(headers, self.signature_header).split(","):
            key, sep, value = item.strip().partition("=")
            if sep:
                parts.setdefault(key, []).append(value)
        try:
            t = int(parts["t"][0])
        except (KeyError, IndexError, ValueError):
            return False
        now = int(time.time())
        if now - t > self.tolerance or t - now > self.tolerance:  # too old, or from the future
            return False
        expected = self._mac(t, body)
        # Any of the v1 values may match (a provider rotating its secret sends two).
        return any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", []))

    # -- what the demo checkout page does in the provider's place -------------------------------------

    def event(self, intent: PaymentIntent, *, type: str, payer: str, amount: str | None = None) -> bytes:
        """The raw body of an event about `intent`, as FakePay would POST it."""
        body: dict[str, Any] = {
            "id": f"evt_{secrets.token_hex(12)}",
            "type": type,
            "created": int(time.time()),
            "data": {
                "ref": intent.ref,
                "payment_id": intent.provider_payment_id or f"fp_{secrets.token_hex(10)}",
                "amount": amount if amount is not None else f"{intent.amount.amount:.2f}",
                "payer": payer,
            },
        }
        return json.dumps(body, separators=(",", ":")).encode()

    def signed_headers(self, body: bytes, *, at: int | None = None) -> dict[str, str]:
        return {self.signature_header: self.sign(body, at=at), "Content-Type": "application/json"}


_PROVIDERS: dict[str, PaymentProvider] = {FakePay.name: FakePay()}


def fakepay_enabled() -> bool:
    """FakePay marks payments paid with no money moving, and its default secret is public: it is for the
    demo and tests only. SHANLIAN["FAKEPAY_ENABLED"] = False switches it off (checkout, intents, webhooks)."""
    return bool(settings.SHANLIAN.get("FAKEPAY_ENABLED", True))


def provider(name: str) -> PaymentProvider:
    """The provider registered under `name`; KeyError for an unknown or switched-off one."""
    if name == FakePay.name and not fakepay_enabled():
        raise KeyError(name)
    return _PROVIDERS[name]


def provider_names() -> list[str]:
    return [name for name in sorted(_PROVIDERS) if name != FakePay.name or fakepay_enabled()]
