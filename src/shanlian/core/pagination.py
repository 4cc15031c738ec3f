"""Pagination whose cost does not grow with the city: the total is counted up to a cap.

A city administrator's people list covers millions of rows; an exact COUNT(*) over them costs more than
the page itself. Past the cap the list says "10,000+" and asks for a narrower search.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.paginator import Page, Paginator

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

    def _get_page(self, *args: Any, **kwargs: Any) -> Page:
        return NumberedPage(*args, **kwargs)


class NumberedPage(Page):
    @property
    def page_range(self) -> Any:
        """The page numbers to show around this one (1 2 … 7 8 [9] 10 11 … 40 41), for the page links."""
        return self.paginator.get_elided_page_range(self.number, on_each_side=2, on_ends=1)
