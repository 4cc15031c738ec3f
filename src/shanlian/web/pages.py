"""Small helpers the page views share: paging a queryset and showing a domain error on a form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Page
from django.db.models import QuerySet
from django.http import HttpRequest

from shanlian.core.conf import domain_setting
from shanlian.core.errors import DomainError
from shanlian.core.pagination import CappedPaginator


def paginate(request: HttpRequest, queryset: QuerySet[Any]) -> Page:
    """One page of `queryset`: a count capped at COUNT_CAP and a slice, two queries whatever the size.
    Past the cap, `page.paginator.capped` is true and the pages say "10,000+"."""
    return CappedPaginator(queryset, domain_setting("PAGE_SIZE")).get_page(request.GET.get("page"))


def add_domain_error(form: forms.BaseForm, exc: DomainError) -> None:
    """Put a service's error on the form: `exc.fields` on their fields (or the form when the form has no
    such field), and the error's own code and message at the top, so the code is always visible."""
    form.add_error(None, ValidationError(str(exc.message), code=exc.code))
    for name, errors in exc.fields.items():
        target = name if name in form.fields else None
        for code, message in errors:
            form.add_error(target, ValidationError(str(message), code=code))
