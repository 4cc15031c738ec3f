"""Opening community funds and their projects, ending projects (leftover restricted money follows the
agreement) and closing funds."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log
from shanlian.core.errors import Conflict, field_error
from shanlian.core.inputs import amount_in
from shanlian.ledger.models import Hold, HoldStatus
from shanlian.ledger.services import entry_post, hold_create, hold_void
from shanlian.orgs.models import Organization, Station
from shanlian.places.models import Division

from .. import memos
from ..accounts import custody_account, federation_cash
from ..models import CommunityFund, FundStatus, LeftoverRule, Project, ProjectStatus, Purpose
from ._access import require_custodian_finance, require_fund_admin


@transaction.atomic
def fund_create(
    *,
    actor: Any,
    code: str,
    name: str,
    division: Division,
    custodian: Organization,
    opened_on: date,
    station: Station | None = None,
    restricted: bool = False,
    purpose: str = Purpose.GENERAL,
    description: str = "",
    fee_rate: Decimal | str = "0",
    fee_on_restricted: bool = False,
    seed: Any = 0,
) -> CommunityFund:
    require_fund_admin(actor, division_path=division.path, custodian_id=custodian.pk)
    if not custodian.is_charity_federation:
        raise field_error("custodian", "custodian_not_federation", _("A community fund is held in custody by a charity federation."))
    if division.level not in ("street", "community"):
        raise field_error("division", "fund_division_level", _("A community fund belongs to a street or a community."))
    if purpose not in Purpose.values:
        raise field_error("purpose", "invalid_purpose", _("Unknown purpose."))
    if restricted and purpose == Purpose.GENERAL:
        raise field_error("purpose", "restricted_needs_purpose", _("A restricted fund needs a specific purpose."))
    rate = Decimal(str(fee_rate))
    if not Decimal("0") <= rate <= Decimal("0.2") or rate.as_tuple().exponent < -4:  # type: ignore[operator]
        raise field_error("fee_rate", "invalid_fee_rate", _("The management fee rate is between 0 and 0.2."))
    if station is not None and not division.path.startswith(station.street.path) and station.street_id != division.pk:
        raise field_error("station", "station_not_in_division", _("The station is not in this street."))
    code = code.strip()
    if CommunityFund.objects.filter(code=code).exists():
        raise Conflict("fund_code_taken", _("A fund with this code exists."))
    fund = CommunityFund(
        code=code, name=name.strip(), division=division, custodian=custodian, station=station, restricted=restricted,
        purpose=purpose, description=description, opened_on=opened_on, fee_rate=rate, fee_on_restricted=fee_on_restricted,
        account=custody_account(f"fund:{code}:general", f"{name} 基金"),
        goods_account=custody_account(f"fund:{code}:goods", f"{name} 物资"),
    )
    fund.full_clean()
    fund.save()
    audit_log(actor=actor, action="charity.fund.create", obj=fund, after={"code": code, "custodian": custodian.pk})
    start = amount_in(seed, field="seed", positive=False)
    if start.is_positive():
        from .donations import donation_record

        donation_record(
            actor=actor, fund=fund, amount=start, channel="seed", donor_name=custodian.name, show_name=True,
            source="seed", external_id=f"fund:{fund.pk}", _skip_access=True,
        )
    return fund


@transaction.atomic
def project_create(
    *,
    actor: Any,
    fund: CommunityFund,
    title: str,
    purpose: str,
    budget: Any,
    starts_on: date,
    ends_on: date,
    description: str = "",
    leftover_rule: str = LeftoverRule.SIMILAR_PURPOSE,
    by_agreement: bool = False,
) -> Project:
    require_fund_admin(actor, division_path=fund.division.path, custodian_id=fund.custodian_id)
    if fund.status != FundStatus.OPEN:
        raise Conflict("fund_closed", _("This fund is closed."))
    if purpose not in Purpose.values:
        raise field_error("purpose", "invalid_purpose", _("Unknown purpose."))
    if fund.restricted and purpose != fund.purpose:
        raise field_error("purpose", "purpose_mismatch", _("A restricted fund pays only for projects of its own purpose."))
    if ends_on < starts_on:
        raise field_error("ends_on", "invalid_period", _("The end is before the start."))
    if leftover_rule not in LeftoverRule.values:
        raise field_error("leftover_rule", "invalid_leftover_rule", _("Unknown leftover rule."))
    key = uuid.uuid4().hex[:12]
    project = Project(
        fund=fund, title=title.strip(), purpose=purpose, budget=amount_in(budget, field="budget"), starts_on=starts_on,
        ends_on=ends_on, description=description, leftover_rule=leftover_rule, by_agreement=by_agreement,
        restricted_account=custody_account(f"project:{fund.code}:{key}", f"{title} 定向"),
    )
    project.full_clean()
    project.save()
    audit_log(actor=actor, action="charity.project.create", obj=project, after={"fund": fund.pk, "budget": str(project.budget)})
    return project


@transaction.atomic
def project_end(*, actor: Any, project: Project, move_leftover_to: Project | None = None) -> Project:
    """End a project. Restricted money left over follows its rule: to a project with the same purpose
    (named, or the fund's general money if the rule says so); the move is its own ledger entry, shown
    on the disclosure pages."""
    require_custodian_finance(actor, project.fund)
    locked = Project.objects.select_for_update().select_related("restricted_account", "fund__account").get(pk=project.pk)
    if locked.status == ProjectStatus.ENDED:
        return locked
    leftover = locked.restricted_account.balance - locked.restricted_account.held
    if locked.restricted_account.held:
        raise Conflict("project_has_pending_payouts", _("Approved payouts of this project are still waiting to be paid."))
    if leftover > 0:
        if locked.leftover_rule == LeftoverRule.FUND_GENERAL:
            target = locked.fund.account
            target_name = locked.fund.name
        else:
            if move_leftover_to is None:
                raise field_error("move_leftover_to", "leftover_target_required",
                                  _("Name an active project with the same purpose to receive the leftover restricted money."))
            if (move_leftover_to.pk == locked.pk or move_leftover_to.purpose != locked.purpose
                    or move_leftover_to.status != ProjectStatus.ACTIVE or move_leftover_to.fund.custodian_id != locked.fund.custodian_id):
                raise field_error("move_leftover_to", "leftover_target_invalid",
                                  _("The leftover goes to another active project with the same purpose and custodian."))
            target, target_name = move_leftover_to.restricted_account, move_leftover_to.title
        entry_post(
            legs=[(locked.restricted_account, leftover), (target, -leftover)],
            memo=memos.leftover(locked.title, target_name),
            source="charity.leftover", external_id=str(locked.pk), actor=actor,
        )
    locked.status = ProjectStatus.ENDED
    locked.save(update_fields=["status"])
    audit_log(actor=actor, action="charity.project.end", obj=locked, after={"leftover": str(leftover)})
    return locked


@transaction.atomic
def project_grant(*, actor: Any, project: Project, amount: Any, previous: Hold | None = None) -> Any:
    """Award a project a grant from its fund's general money (a signed micro-venture agreement): a ledger entry moves
    it to the project's own account, where only the project's payouts can spend it. `previous`, the reservation the
    award came out of, is released in the same transaction first."""
    require_fund_admin(actor, division_path=project.fund.division.path, custodian_id=project.fund.custodian_id)
    value = amount_in(amount, field="amount")
    if previous is not None:
        previous.refresh_from_db(fields=["status"])
        if previous.status == HoldStatus.PENDING:
            hold_void(hold=previous, actor=actor)
    locked = Project.objects.select_related("restricted_account", "fund__account").get(pk=project.pk)
    if locked.status != ProjectStatus.ACTIVE:
        raise Conflict("project_ended", _("This project has ended."))
    return entry_post(legs=[(locked.fund.account, value.amount), (locked.restricted_account, -value.amount)],
                      memo=memos.grant(locked.title), source="charity.grant", external_id=str(locked.pk), actor=actor)


@transaction.atomic
def fund_reserve(*, actor: Any, fund: CommunityFund, amount: Any, until: Any, memo: str, source: str,
                 previous: Hold | None = None, _skip_access: bool = False) -> Hold | None:
    """Reserve part of a fund's general money for a use decided later (a micro-venture round's budget): a ledger hold
    from the fund to its custodian's cash, which no payout can take meanwhile. `previous`, the use's reservation so
    far, is released in the same transaction, so a reservation is re-made smaller or longer without a moment in
    which another payout could take the money; amount 0 only releases it. `_skip_access`: the caller re-makes a
    reservation made by someone who could (for longer, not for more)."""
    if not _skip_access:
        require_fund_admin(actor, division_path=fund.division.path, custodian_id=fund.custodian_id)
    value = amount_in(amount, field="amount", positive=False)
    if previous is not None:
        previous.refresh_from_db(fields=["status"])
        if previous.status == HoldStatus.PENDING:
            hold_void(hold=previous, actor=actor)
    if not value.amount:
        return None
    if fund.status != FundStatus.OPEN:
        raise field_error("fund", "fund_closed", _("This fund is closed."))
    locked = CommunityFund.objects.select_related("account", "custodian").get(pk=fund.pk)
    return hold_create(debit_account=locked.account, credit_account=federation_cash(locked.custodian), amount=value.amount,
                       expires_at=until, memo=memo, source=source, actor=actor)


@transaction.atomic
def fund_close(*, actor: Any, fund: CommunityFund) -> CommunityFund:
    require_custodian_finance(actor, fund)
    locked = CommunityFund.objects.select_for_update().select_related("account", "goods_account").get(pk=fund.pk)
    if locked.status == FundStatus.CLOSED:
        return locked
    if locked.account.balance or locked.goods_account.balance or locked.projects.filter(status=ProjectStatus.ACTIVE).exists():
        raise Conflict("fund_not_empty", _("A fund closes only when its projects have ended and its balance is zero."))
    locked.status, locked.closed_on = FundStatus.CLOSED, timezone.localdate()
    locked.save(update_fields=["status", "closed_on"])
    audit_log(actor=actor, action="charity.fund.close", obj=locked)
    return locked
