"""`shanlian check --deploy` warns when the demo payment provider is on, and fails when it is on with its public
secret (anyone who reads the source could sign callbacks that book gifts)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from shanlian.core.conf import domain_setting


@checks.register(checks.Tags.security, deploy=True)
def fakepay_off_in_production(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    if not domain_setting("FAKEPAY_ENABLED"):
        return []
    found: list[checks.CheckMessage] = [checks.Warning(
        "FakePay (the demo payment provider) is enabled: it marks payments paid with no money moving.",
        hint="Set SHANLIAN_FAKEPAY_ENABLED=false in production.", id="shanlian.W001",
    )]
    if domain_setting("FAKEPAY_SECRET") == settings.DEMO_KEYS["FAKEPAY_SECRET"]:
        found.append(checks.Error(
            "FakePay is enabled with its public demo secret: anyone can sign callbacks that book gifts.",
            hint="Set SHANLIAN_FAKEPAY_ENABLED=false (or SHANLIAN_FAKEPAY_SECRET to a secret of your own).", id="shanlian.E004",
        ))
    return found
