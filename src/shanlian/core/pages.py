"""Small helpers the page views share: paging a queryset and showing a domain error on a form."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page
from django.db.models import QuerySet
from django.http import HttpRequest

from .conf import domain_setting
from .errors import DomainError
from .pagination import CappedPaginator


def paginate(request: HttpRequest, queryset: QuerySet[Any]) -> Page:
    """One page of `queryset`: a count capped at COUNT_CAP and a slice, two queries whatever the size.
    Past the cap, `page.paginator.capped` is true and the pages say "10,000+"."""
    return CappedPaginator(queryset, domain_setting("PAGE_SIZE")).get_page(request.GET.get("page"))


def add_domain_error(form: forms.BaseForm, exc: DomainError) -> None:
    """Put a service's error on the form, in the page's language: each of `exc.fields` on its field, and the
    message at the top only when no field took it (a person reads each problem once, where it is)."""
    placed = False
    for name, errors in exc.fields.items():
        if name in form.fields:
            for code, message in errors:
                form.add_error(name, ValidationError(str(message), code=code))
                placed = True
    if not placed:
        form.add_error(None, ValidationError(str(exc.message), code=exc.code))


def flash_error(request: HttpRequest, exc: DomainError) -> None:
    """A service's refusal as a message on the next page, in the page's language; its code only in the markup
    (`data-error-code`), for tests and scripts, never as text."""
    messages.error(request, str(exc.message), extra_tags=exc.code)


T = TypeVar("T")


@dataclass
class Submitted(Generic[T]):
    """What a form's service call came to: its value when it wrote, else the status to show the form again with."""

    value: T | None
    status: int
    refusal: DomainError | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None and self.status == 200


Renamed = Mapping[str, str] | Callable[[str], str | None]


def submit(form: forms.BaseForm, write: Callable[[dict[str, Any]], T], *, renamed: Renamed | None = None) -> Submitted[T]:
    """Validate `form` and call the service with its data. A form that does not validate answers 400; a refusal of
    the service lands on the form (add_domain_error; `renamed` maps the service's field names onto the form's, as a
    mapping or a function) and answers its own status. Nothing is written unless the service wrote."""
    if not form.is_valid():
        return Submitted(None, 400)
    try:
        return Submitted(write(form.cleaned_data), 200)
    except DomainError as exc:
        if renamed is not None:
            rename = renamed if callable(renamed) else renamed.get
            exc.fields = {(rename(k) or k): v for k, v in exc.fields.items()}
        add_domain_error(form, exc)
        return Submitted(None, exc.status, exc)
