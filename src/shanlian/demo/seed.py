"""Writing the demo city through the services, the same paths real use takes.

Every row passes the same checks and leaves the same audit trail (channel "command") as if
someone had entered it. What is already there is skipped, so running it again changes nothing;
an account that existed before is never changed (no new password, superuser flag or role).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from shanlian.core import crypto
from shanlian.core.context import RequestMeta, current
from shanlian.core.errors import ValidationFailed
from shanlian.orgs import services as org_services
from shanlian.orgs.models import DonationPoint, Organization, Station
from shanlian.people import services as people_services
from shanlian.people.models import Person, RoleGrant
from shanlian.people.selectors import actor_scope
from shanlian.places import services as place_services
from shanlian.places.models import Division, Level

from . import data
from .data import demo_password
from .plan import LoginSpec, PersonSpec, Plan, build_plan


@dataclass(frozen=True)
class LoginRow:
    username: str
    real_name: str
    role: str  # Role value, "" for the superuser
    role_zh: str
    scope: str
    password_ok: bool  # False when the account existed with another password (never reset here)
    created: bool = True  # made by this run (else found and left as it was)
    granted: bool = True  # holds the demo role (an account found without it does not get it)


@dataclass
class SeedReport:
    created: Counter[str] = field(default_factory=Counter)
    existing: Counter[str] = field(default_factory=Counter)
    logins: list[LoginRow] = field(default_factory=list)
    password: str = ""
    seconds: float = 0.0
    timebank_seconds: float = 0.0  # the time-bank part alone (wall clock, and CPU time of this process)
    timebank_cpu_seconds: float = 0.0


KINDS = ("divisions", "organizations", "stations", "donation_points", "people", "logins", "role_grants",
         "charity_funds", "charity_projects", "charity_campaigns", "charity_gifts", "charity_payouts", "charity_receipts",
         "timebank_questions", "timebank_volunteers", "timebank_activities", "timebank_hours", "timebank_items",
         "timebank_redemptions", "grants_rounds", "grants_proposals", "grants_ballots", "grants_results", "grants_agreements",
         "evaluation_frameworks", "evaluation_calls", "evaluation_assessments", "evaluation_reviews", "evaluation_awards",
         "evaluation_supervision_tasks", "evaluation_supervision_done", "evaluation_supervision_groups",
         "evaluation_supervision_sessions", "evaluation_surveys", "evaluation_survey_responses",
         "capacity_diagnoses", "capacity_respondents", "capacity_actions", "competency_assessments", "coaching_sessions",
         "resource_partners", "resource_offers", "resource_needs", "resource_matches", "resource_deliveries_confirmed",
         "beneficiaries", "consents", "data_requests", "cases", "records", "groupwork_programmes", "groupwork_sessions",
         "wishes", "wish_claims", "wishes_confirmed")


class _Writer:
    def __init__(self, plan: Plan, password: str, seed: int = data.SEED) -> None:
        self.plan = plan
        self.plan_seed = seed
        self.password = password
        self.report = SeedReport(password=password)
        self.divisions: dict[str, Division] = {}
        self.orgs: dict[str, Organization] = {}
        self.stations: dict[str, Station] = {}  # by street code

    def _count(self, kind: str, created: bool) -> None:
        (self.report.created if created else self.report.existing)[kind] += 1

    def run(self) -> SeedReport:
        self.write_divisions()
        admin = self.write_login(self.plan.logins[0]) if self.plan.logins else None
        self.write_organizations()
        self.write_stations()
        self.write_points()
        self.write_people()
        for login in self.plan.logins[1:]:
            self.write_login(login)
        if admin is not None:
            self.write_grants(admin)
            self.write_timebank()  # before the charity money, whose ledger seal then covers the credits too
            self.write_charity()
            self.write_evaluation()
            self.write_resources()
            self.write_cases()
            self.write_wishes()
            self.write_groupwork()
        return self.report

    def write_charity(self) -> None:
        from .grants import seed_charity_and_grants  # the charity history with the street's micro-venture rounds in it

        created, existing = seed_charity_and_grants(seed=self.plan_seed, names=[p.real_name for p in self.plan.people[:400]],
                                                    password=self.password)
        self.report.created.update(created)
        self.report.existing.update(existing)

    def write_evaluation(self) -> None:
        from .evaluation import seed_evaluation

        created, existing = seed_evaluation()
        self.report.created.update(created)
        self.report.existing.update(existing)

    def write_resources(self) -> None:
        from shanlian.resources.models import Match, Need, Offer, Partner

        from .resources import seed_resources

        created = seed_resources()
        self.report.created.update(created)
        if not created:  # found done
            self.report.existing.update({"resource_partners": Partner.objects.count(), "resource_offers": Offer.objects.count(),
                                         "resource_needs": Need.objects.count(), "resource_matches": Match.objects.count()})

    def write_cases(self) -> None:
        from shanlian.cases.models import Beneficiary, Case, Consent, DataRequest, ServiceRecord

        from .cases import seed_cases

        created = seed_cases()
        self.report.created.update(created)
        if not created:  # found done
            self.report.existing.update({"beneficiaries": Beneficiary.objects.count(), "consents": Consent.objects.count(),
                                         "data_requests": DataRequest.objects.count(), "cases": Case.objects.count(),
                                         "records": ServiceRecord.objects.count()})

    def write_groupwork(self) -> None:
        from shanlian.groupwork.models import Programme, Session

        from .groupwork import seed_groupwork

        created = seed_groupwork()
        self.report.created.update(created)
        if not created:  # found done
            self.report.existing.update({"groupwork_programmes": Programme.objects.count(),
                                         "groupwork_sessions": Session.objects.count()})

    def write_wishes(self) -> None:
        from shanlian.wishes.models import Wish, WishClaim

        from .wishes import seed_wishes

        created = seed_wishes()
        self.report.created.update(created)
        if not created:  # found done
            self.report.existing.update({"wishes": Wish.objects.count(), "wish_claims": WishClaim.objects.count(),
                                         "wishes_confirmed": Wish.objects.filter(status="confirmed").count()})

    def write_timebank(self) -> None:
        from .timebank import seed_timebank

        started, cpu = time.perf_counter(), time.process_time()
        created, existing = seed_timebank(seed=self.plan_seed, password=self.password)
        self.report.created.update(created)
        self.report.existing.update(existing)
        self.report.timebank_seconds = time.perf_counter() - started
        self.report.timebank_cpu_seconds = time.process_time() - cpu

    def write_divisions(self) -> None:
        by_code = {d.code: d for d in Division.objects.all()}
        by_parent_name = {(d.parent_id, d.name): d for d in by_code.values()}
        seen = {d.pk for d in by_code.values()}
        for spec in self.plan.divisions:
            parent = self.divisions[spec.parent_code] if spec.parent_code else None
            found = by_code.get(spec.code) or by_parent_name.get((parent.pk if parent else None, spec.name))
            if found is None:
                found = place_services.division_create(name=spec.name, level=spec.level, code=spec.code, parent=parent)
            self._count("divisions", found.pk not in seen)
            self.divisions[spec.code] = found

    def write_organizations(self) -> None:
        by_code = {o.credit_code: o for o in Organization.objects.all()}
        by_name: dict[str, Organization] = {}
        for o in by_code.values():
            by_name.setdefault(o.name, o)
        for spec in self.plan.organizations:
            found = by_code.get(spec.credit_code) or by_name.get(spec.name)
            if found is None:
                found = org_services.organization_create(
                    actor=None, name=spec.name, kind=spec.kind, credit_code=spec.credit_code,
                    registered_on=spec.registered_on, division=self.divisions[spec.division_code], address=spec.address,
                    legal_representative=spec.legal_representative, grade=spec.grade,
                    grade_awarded_on=spec.grade_awarded_on, public_fundraising=spec.public_fundraising,
                    is_charity_federation=spec.is_charity_federation, is_agency=spec.is_agency,
                    party_branch=spec.party_branch, party_branch_name=spec.party_branch_name,
                )
                self._count("organizations", True)
            else:
                self._count("organizations", False)
            self.orgs[spec.credit_code] = found
            self.orgs.setdefault(spec.name, found)

    def write_stations(self) -> None:
        by_street = {s.street_id: s for s in Station.objects.select_related("agency")}
        for spec in self.plan.stations:
            street = self.divisions[spec.street_code]
            found = by_street.get(street.pk)
            if found is None:
                found = org_services.station_create(
                    actor=None, street=street, agency=self.orgs[spec.agency_credit_code],
                    contract_start=spec.contract_start, contract_end=spec.contract_end, address=spec.address,
                    office_phone=spec.office_phone, opened_on=spec.opened_on,
                )
                self._count("stations", True)
            else:
                self._count("stations", False)
            self.stations[spec.street_code] = found

    def write_points(self) -> None:
        existing = set(DonationPoint.objects.values_list("station_id", "name"))
        for spec in self.plan.points:
            station = self.stations[spec.street_code]
            if (station.pk, spec.name) in existing:
                self._count("donation_points", False)
                continue
            org_services.donation_point_create(
                actor=None, station=station, name=spec.name, address=spec.address, accepts_cash=spec.accepts_cash,
                accepts_transfer=spec.accepts_transfer, accepts_goods=spec.accepts_goods,
                opening_hours=spec.opening_hours,
            )
            self._count("donation_points", True)

    def write_people(self) -> None:
        existing = set(Person.objects.exclude(resident_id_hash="").values_list("resident_id_hash", flat=True))
        for spec in self.plan.people:
            if crypto.blind_index(spec.resident_id, purpose="resident_id") in existing:
                self._count("people", False)
                continue
            self._person_create(spec)
            self._count("people", True)

    def _person_create(self, spec: PersonSpec, user: Any = None) -> Person:
        return people_services.person_create(
            actor=None, real_name=spec.real_name, division=self.divisions[spec.community_code],
            resident_id=spec.resident_id, phone=spec.phone, gender=spec.gender, user=user,
        )

    def write_login(self, login: LoginSpec) -> Any:
        """The account and its person. Only an account made now gets the superuser flag, the
        permission and (in write_grants) the role: an account that was already there, perhaps
        someone's real one, keeps its password and its rights."""
        ref, spec = login.ref, login.person
        User = get_user_model()
        user: Any = User.objects.filter(username__iexact=ref.username).first()
        person = Person.objects.filter(resident_id_hash=crypto.blind_index(spec.resident_id, purpose="resident_id")).first()
        if user is None and person is not None and person.user_id is not None:
            user = person.user  # the demo person already logs in under another name
        created = user is None
        if user is None:
            person = person or self._person_create(spec)
            user = people_services.account_create(actor=None, person=person, username=ref.username, password=self.password)
            if ref.superuser:
                people_services.account_make_superuser(actor=None, user=user)
            if ref.reveal_sensitive:
                people_services.reveal_permission_grant(actor=None, user=user)
        elif person is None and not Person.objects.filter(user=user).exists():
            self._person_create(spec, user=user)  # so the name shows
        self._count("logins", created)
        self.report.logins.append(LoginRow(
            username=user.get_username(), real_name=spec.real_name, role=ref.role, role_zh=ref.role_zh, scope="",
            password_ok=created or user.check_password(self.password), created=created,
        ))
        return user

    def _target(self, target: str) -> Any:
        if not target:
            return None
        kind, _, key = target.partition(":")
        if kind == "city":
            return self.divisions[data.CITY_CODE]
        if kind in ("district", "street"):
            level = Level.DISTRICT if kind == "district" else Level.STREET
            return next(d for d in self.divisions.values() if d.level == level and d.name == key)
        street = next((d for d in self.divisions.values() if d.level == Level.STREET and d.name == key), None)
        if kind == "station":
            return self.stations[street.code] if street else None
        if kind == "agency_of":
            return self.stations[street.code].agency if street else None
        if kind == "org":
            return self.orgs[key]
        raise ValueError(f"unknown demo target {target!r}")

    def write_grants(self, admin: Any) -> None:
        User = get_user_model()
        scope = actor_scope(admin)
        rows = []
        for login, row in zip(self.plan.logins, self.report.logins, strict=True):
            ref = login.ref
            target = self._target(ref.target)
            label = "全部 All" if ref.superuser else (str(target) if target is not None else "本人 Self")
            rows.append(LoginRow(**{**row.__dict__, "scope": label}))
            if not ref.role:
                continue
            user = User.objects.get(username=row.username)
            fields: dict[str, Any] = {"division": None, "organization": None, "station": None}
            if isinstance(target, Division):
                fields["division"] = target
            elif isinstance(target, Organization):
                fields["organization"] = target
            elif isinstance(target, Station):
                fields["station"] = target
            if RoleGrant.objects.filter(user=user, role=ref.role, revoked_at__isnull=True, **fields).exists():
                self._count("role_grants", False)
            elif row.created:
                people_services.role_grant(actor=admin, scope=scope, user=user, role=ref.role, target=target)
                self._count("role_grants", True)
            else:
                rows[-1] = LoginRow(**{**rows[-1].__dict__, "granted": False})
        self.report.logins = rows


def seed_demo(*, password: str | None = None, seed: int = data.SEED) -> SeedReport:
    """Write the demo city; returns what was created and what was already there."""
    started = time.perf_counter()
    password = password or demo_password()
    try:  # fail before writing anything, even when every account is already there
        validate_password(password)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            "weak_password", _("The password is too weak."),
            fields={"password": [("weak_password", m) for m in exc.messages]},
        ) from None
    plan = build_plan(seed)
    token = current.set(RequestMeta(via="command"))
    try:
        with transaction.atomic():
            report = _Writer(plan, password, seed).run()
    finally:
        current.reset(token)
    report.seconds = time.perf_counter() - started
    return report
