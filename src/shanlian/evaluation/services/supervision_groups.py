"""1+N supervision (一带N督导): one senior social worker of an agency guides several of its social workers; the group's
sessions are logged with their person-times (人次). Who works for an agency is read from the records: its managers
and the social workers of the stations it runs (`selectors_supervision.agency_staff_people`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log
from shanlian.core.errors import Conflict, PermissionDenied, field_error, lazy_format
from shanlian.core.inputs import Checks, int_in, model_text
from shanlian.orgs.models import Organization
from shanlian.people.selectors import signed_in_scope

from ..models import SupervisionGroup, SupervisionSession
from ..selectors_supervision import agency_staff_people, agency_staff_users, is_group_manager, may_log_session
from .supervision import day_in

MEMBERS_MAX = 12
ATTENDEES_MAX = 100


def _require_manager(actor: Any, organization: Organization) -> None:
    if not is_group_manager(signed_in_scope(actor), organization):
        raise PermissionDenied("not_group_manager", _("A supervision group is formed by the agency's managers or the "
                                                      "administrators of where it is registered."))


def _ids(values: Any, field: str) -> list[int]:
    if not isinstance(values, list | tuple | set | frozenset):
        raise field_error(field, "invalid_members", _("Choose the supervisees from the agency's social workers."))
    out = []
    for v in values:
        pk = getattr(v, "pk", v)
        if not isinstance(pk, int) or isinstance(pk, bool):
            raise field_error(field, "invalid_members", _("Choose the supervisees from the agency's social workers."))
        out.append(pk)
    return sorted(set(out))


def _members_in(organization: Organization, members: Any, supervisor_id: int | None, checks: Checks) -> list[int]:
    ids: list[int] | None = checks(_ids, members, "members")
    if ids is None:
        return []
    if not 1 <= len(ids) <= MEMBERS_MAX:
        checks.failed.append(field_error("members", "members_count", lazy_format(
            _("A group has from 1 to %(max)s supervisees."), {"max": MEMBERS_MAX})))
        return []
    staff = dict(agency_staff_people(organization).filter(pk__in=ids).values_list("pk", "user_id"))
    if len(staff) != len(ids):
        checks.failed.append(field_error("members", "not_agency_staff", _("Choose the supervisees from the agency's social workers.")))
        return []
    if supervisor_id is not None and supervisor_id in staff.values():
        checks.failed.append(field_error("members", "supervisor_in_members", _("The supervisor is not one of the supervisees.")))
        return []
    return ids


def _supervisor_in(organization: Organization, supervisor: Any, checks: Checks) -> int | None:
    pk = getattr(supervisor, "pk", supervisor)
    if not isinstance(pk, int) or isinstance(pk, bool) or not agency_staff_users(organization).filter(pk=pk).exists():
        checks.failed.append(field_error("supervisor", "not_agency_staff", _("The supervisor is a social worker of the agency "
                                                                             "with a login.")))
        return None
    return pk


@transaction.atomic
def supervision_group_create(*, actor: Any, organization: Organization, name: str, supervisor: Any, members: Any,
                             started_on: Any) -> SupervisionGroup:
    """Form a 1+N group of an agency: its supervisor (a social worker of the agency with a login) and 1 to MEMBERS_MAX
    supervisees of the agency."""
    _require_manager(actor, organization)
    if not organization.is_agency:
        raise field_error("organization", "not_an_agency", _("1+N supervision groups are formed in social work agencies."))
    checks = Checks()
    name = checks(model_text, SupervisionGroup, "name", name, required=True)
    supervisor_id = _supervisor_in(organization, supervisor, checks)
    member_ids = _members_in(organization, members, supervisor_id, checks)
    start = checks(day_in, started_on, field="started_on")
    if start is not None and start > timezone.localdate():
        checks.failed.append(field_error("started_on", "date_in_future", _("A group is recorded once it has started.")))
    checks.done()
    assert supervisor_id is not None and start is not None  # (checked above)
    if SupervisionGroup.objects.filter(organization=organization, name=name, ended_on__isnull=True).exists():
        raise field_error("name", "duplicate_group_name", _("The agency already has a group of this name."))
    group = SupervisionGroup(organization=organization, supervisor_id=supervisor_id, name=name, started_on=start)
    group.full_clean()
    group.save()
    group.members.set(member_ids)
    audit_log(actor=actor, action="evaluation.supervision_group.create", obj=group,
              after={"organization": organization.pk, "supervisor": supervisor_id, "members": member_ids, "started_on": str(start)})
    return group


def _locked(group: SupervisionGroup) -> SupervisionGroup:
    return SupervisionGroup.objects.select_for_update().select_related("organization__division").get(pk=group.pk)


@transaction.atomic
def supervision_group_update(*, actor: Any, group: SupervisionGroup, name: str, members: Any) -> SupervisionGroup:
    """Rename a group or change its supervisees (juniors join and leave); the supervisor stays."""
    locked = _locked(group)
    _require_manager(actor, locked.organization)
    if locked.ended_on is not None:
        raise Conflict("group_ended", _("This group has ended."))
    checks = Checks()
    name = checks(model_text, SupervisionGroup, "name", name, required=True)
    member_ids = _members_in(locked.organization, members, locked.supervisor_id, checks)
    checks.done()
    if SupervisionGroup.objects.filter(organization_id=locked.organization_id, name=name, ended_on__isnull=True).exclude(
            pk=locked.pk).exists():
        raise field_error("name", "duplicate_group_name", _("The agency already has a group of this name."))
    before = {"name": locked.name, "members": sorted(locked.members.values_list("pk", flat=True))}
    locked.name = name
    locked.save(update_fields=["name"])
    locked.members.set(member_ids)
    audit_log(actor=actor, action="evaluation.supervision_group.update", obj=locked, before=before,
              after={"name": name, "members": member_ids})
    return locked


@transaction.atomic
def supervision_group_end(*, actor: Any, group: SupervisionGroup, ended_on: Any) -> SupervisionGroup:
    """End a group (from its last session's day to today); ended once."""
    locked = _locked(group)
    _require_manager(actor, locked.organization)
    if locked.ended_on is not None:
        return locked
    day = day_in(ended_on, field="ended_on")
    last = SupervisionSession.objects.filter(group=locked).order_by("-held_on").values_list("held_on", flat=True).first()
    first = max(locked.started_on, last or locked.started_on)
    if not first <= day <= timezone.localdate():
        raise field_error("ended_on", "ended_out_of_range", lazy_format(
            _("The group ends on a day from %(first)s to today."), {"first": first.isoformat()}))
    locked.ended_on = day
    locked.save(update_fields=["ended_on"])
    audit_log(actor=actor, action="evaluation.supervision_group.end", obj=locked, after={"ended_on": day.isoformat()})
    return locked


@transaction.atomic
def supervision_session_log(*, actor: Any, group: SupervisionGroup, held_on: Any, topic: str, attendees: Any,
                            note: str = "") -> SupervisionSession:
    """Log a session (by the supervisor or the agency's managers): its day (while the group runs, up to today), topic
    and person-times. The same day and topic again is the same session."""
    scope = signed_in_scope(actor)
    locked = _locked(group)
    if not may_log_session(scope, locked):
        raise PermissionDenied("not_group_supervisor", _("Sessions are logged by the group's supervisor or the agency's managers."))
    checks = Checks()
    day: dt.date | None = checks(day_in, held_on, field="held_on")
    topic = checks(model_text, SupervisionSession, "topic", topic, required=True)
    count = checks(int_in, attendees, field="attendees", minimum=1, maximum=ATTENDEES_MAX)
    note = checks(model_text, SupervisionSession, "note", note)
    last = min(timezone.localdate(), locked.ended_on or timezone.localdate())
    if day is not None and not locked.started_on <= day <= last:
        checks.failed.append(field_error("held_on", "held_out_of_range", lazy_format(
            _("A session of this group is held from %(first)s to %(last)s."),
            {"first": locked.started_on.isoformat(), "last": last.isoformat()})))
    checks.done()
    assert day is not None  # (checked above)
    existing = SupervisionSession.objects.filter(group=locked, held_on=day, topic=topic).first()
    if existing is not None:
        return existing
    session = SupervisionSession(group=locked, held_on=day, topic=topic, attendees=count, note=note, recorded_by=actor)
    session.full_clean()
    session.save()
    audit_log(actor=actor, action="evaluation.supervision_session.log", obj=session,
              after={"group": locked.pk, "held_on": str(day), "attendees": count})
    return session
