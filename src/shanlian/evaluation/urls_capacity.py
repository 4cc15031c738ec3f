"""The capacity pages, in the evaluation namespace (staff, organization, expert) and the public one."""

from __future__ import annotations

from typing import Any

urlpatterns: list[Any] = []
public_urlpatterns: list[Any] = []
