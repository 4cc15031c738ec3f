"""`shanlian check --deploy` warns when the demo payment provider is on."""

from __future__ import annotations

from typing import Any

from django.core import checks

from shanlian.core.conf import domain_setting


@checks.register(checks.Tags.security, deploy=True)
def fakepay_off_in_production(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    if domain_setting("FAKEPAY_ENABLED"):
        return [checks.Warning(
            "FakePay (the demo payment provider) is enabled: it marks payments paid with no money moving.",
            hint="Set SHANLIAN_FAKEPAY_ENABLED=false in production.", id="shanlian.W001",
        )]
    return []
