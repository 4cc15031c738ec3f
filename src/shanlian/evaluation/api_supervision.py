"""The supervision data for other systems and a mini-program, under the same scopes as the pages."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["evaluation"])
