"""The demo city's evaluation satisfaction, written through the evaluation services (see `demo.evaluation`)."""

from __future__ import annotations

from collections import Counter
from typing import Any


def seed_satisfaction(*, admin: Any, city: Any) -> Counter[str]:
    """What it made, by kind; a second run finds it there and makes nothing."""
    return Counter()
