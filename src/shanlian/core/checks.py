"""`shanlian check --deploy` fails while a public demo key is in use: anyone who reads the source could sign
sessions, decrypt residents' IDs and phones, or find them by their blind index."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def no_demo_keys(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    demo = settings.DEMO_KEYS
    found = []
    if demo["SECRET_KEY"] == settings.SECRET_KEY:
        found.append(("SHANLIAN_SECRET_KEY", "shanlian.E001"))
    if demo["FIELD_KEY"] in settings.FIELD_ENCRYPTION_KEYS:
        found.append(("SHANLIAN_FIELD_KEYS", "shanlian.E002"))
    if demo["FIELD_HASH_KEY"] == settings.FIELD_HASH_KEY:
        found.append(("SHANLIAN_FIELD_HASH_KEY", "shanlian.E003"))
    return [checks.Error(f"{name} is the public demo key (it is in the source code).",
                         hint=f"Set {name} to a secret of your own; see docs/operator.md.", id=check_id)
            for name, check_id in found]
