"""A partner's own staff: added and ended by those who manage the partner (access.may_manage_partner), so a hospital's
volunteer office or a firm's CSR staff sign in and keep the partner's offers themselves."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log
from shanlian.core.errors import Conflict, PermissionDenied
from shanlian.core.inputs import Checks, model_text
from shanlian.people.models import Person
from shanlian.people.selectors import signed_in_scope

from . import access
from .models import Partner, PartnerMember


def _manager(actor: Any, partner: Partner) -> None:
    if not access.may_manage_partner(signed_in_scope(actor), partner):
        raise PermissionDenied("not_partner_manager", _("Only the partner's organization or its area's staff keep its members."))


@transaction.atomic
def partner_member_add(*, actor: Any, partner: Partner, person: Person, title: str = "") -> PartnerMember:
    """The person becomes an active member of the partner; already one, the membership is returned (its title kept).
    Only a person who signs in can be a member (`member_without_login`)."""
    partner = Partner.objects.select_related("division").get(pk=partner.pk)
    _manager(actor, partner)
    checks = Checks()
    title = checks(model_text, PartnerMember, "title", title)
    checks.done()
    if person.user_id is None:
        raise Conflict("member_without_login", _("This person has no login: create their account first."))
    found = PartnerMember.objects.filter(partner=partner, person=person, active=True).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            made = PartnerMember.objects.create(partner=partner, person=person, title=title, added_by=actor)
    except IntegrityError:  # added by someone else meanwhile
        return PartnerMember.objects.get(partner=partner, person=person, active=True)
    audit_log(actor=actor, action="resources.partner_member_add", obj=made,
              after={"partner": partner.pk, "person": person.pk, "title": title})
    return made


@transaction.atomic
def partner_member_end(*, actor: Any, member: PartnerMember) -> PartnerMember:
    """The person no longer acts for the partner (what they recorded stays theirs); a second call is quiet."""
    locked = PartnerMember.objects.select_for_update().get(pk=member.pk)
    _manager(actor, Partner.objects.select_related("division").get(pk=locked.partner_id))
    if not locked.active:
        return locked
    locked.active, locked.ended_at, locked.ended_by = False, timezone.now(), actor
    locked.save(update_fields=["active", "ended_at", "ended_by"])
    audit_log(actor=actor, action="resources.partner_member_end", obj=locked, after={"active": False})
    return locked
