"""Pagination whose cost does not grow with the city: the total is counted up to a cap.

A city administrator's people list covers millions of rows; an exact COUNT(*) over them costs more than
the page itself. Past the cap the list says "10,000+" and asks for a narrower search.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.paginator import Paginator

from .conf import domain_setting


class CappedPaginator(Paginator):
    capped: bool = False

    @cached_property
    def count(self) -> int:
        cap = int(domain_setting("COUNT_CAP"))
        object_list: Any = self.object_list
        # A QuerySet counts as SELECT COUNT(*) FROM (... LIMIT cap + 1); a list just has a length.
        n = object_list[: cap + 1].count() if hasattr(object_list, "query") else len(object_list)
        self.capped = n > cap
        return min(n, cap)
