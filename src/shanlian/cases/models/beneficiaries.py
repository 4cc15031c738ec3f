"""Beneficiaries (服务对象): who they are to the station (categories, living situation), their household, guardians
and allowances. Sensitive values live only in `*_enc` columns (core.crypto); each is declared in `SENSITIVE` with the
purpose it is collected for, and read unmasked only through the selectors, which log the read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from shanlian.orgs.models import Station
from shanlian.people.models import Person

from .purposes import Purpose


class CareArea(models.TextChoices):
    """The four priority groups of civil affairs (扶老, 助困, 恤孤, 助残)."""

    ELDERLY = "elderly", _("Elderly (扶老)")
    HARDSHIP = "hardship", _("Hardship (助困)")
    CHILDREN = "children", _("Orphans and children (恤孤)")
    DISABILITY = "disability", _("Disability (助残)")
    OTHER = "other", _("Other")


class NamedInTwoLanguages:
    """Data named in Chinese with an optional English name (`name`, `name_en`), shown in the page's language."""

    name: str
    name_en: str

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.name_en and (translation.get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class Category(NamedInTwoLanguages, models.Model):
    """A category of beneficiary, as data (seeded by a data migration; cities add their own)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=32, unique=True)
    name_en = models.CharField(_("English name"), max_length=64, blank=True)
    area = models.CharField(_("care area"), max_length=16, choices=CareArea.choices)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("beneficiary category")
        verbose_name_plural = _("beneficiary categories")
        ordering = ["order", "id"]
        constraints = [models.CheckConstraint(condition=Q(area__in=CareArea.values), name="cases_category_area_valid")]



class LivingSituation(models.TextChoices):
    ALONE = "alone", _("Lives alone")
    SPOUSE = "spouse", _("With spouse only")
    FAMILY = "family", _("With family")
    RELATIVES = "relatives", _("With relatives or a foster family")
    INSTITUTION = "institution", _("In an institution")
    OTHER = "other", _("Other")


class BeneficiaryStatus(models.TextChoices):
    ACTIVE = "active", _("Receiving services")
    CLOSED = "closed", _("No longer served")


@dataclass(frozen=True)
class Sensitive:
    """One sensitive field: its column is `<name>_enc`; `purpose` is what it is collected for (shown beside it);
    `mask` how it is shown to those who see masked values (date, address, amount, text)."""

    name: str
    label: Any
    purpose: str
    why: Any
    mask: str


SENSITIVE: tuple[Sensitive, ...] = (
    Sensitive("birth_date", _("Date of birth"), Purpose.SAFEGUARDING,
              _("To know whether a guardian must act for a child under 14, and for age-based allowances."), "date"),
    Sensitive("address", _("Home address"), Purpose.SERVICE, _("For home visits and emergencies."), "address"),
    Sensitive("health", _("Health"), Purpose.SERVICE, _("To plan care and respond safely on visits."), "text"),
    Sensitive("disability", _("Disability (kind, grade, certificate)"), Purpose.ASSISTANCE,
              _("To apply for disability subsidies and plan accessible services."), "text"),
    Sensitive("finances", _("Financial situation"), Purpose.ASSISTANCE,
              _("To check eligibility for assistance (低保, 特困) and material support."), "text"),
    Sensitive("child_situation", _("Child's situation (custody, school, care)"), Purpose.SAFEGUARDING,
              _("To protect a child in difficulty: care arrangements, schooling, risks."), "text"),
)
SENSITIVE_BY_NAME = {s.name: s for s in SENSITIVE}


class Beneficiary(models.Model):
    person = models.OneToOneField(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="beneficiary")
    station = models.ForeignKey(Station, verbose_name=_("station"), on_delete=models.PROTECT, related_name="beneficiaries")
    categories = models.ManyToManyField(Category, verbose_name=_("categories"), related_name="beneficiaries")
    living_situation = models.CharField(_("living situation"), max_length=16, choices=LivingSituation.choices)
    status = models.CharField(_("status"), max_length=16, choices=BeneficiaryStatus.choices, default=BeneficiaryStatus.ACTIVE)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    birth_date_enc = models.TextField(_("date of birth (encrypted)"), blank=True, editable=False)
    address_enc = models.TextField(_("home address (encrypted)"), blank=True, editable=False)
    health_enc = models.TextField(_("health (encrypted)"), blank=True, editable=False)
    disability_enc = models.TextField(_("disability (encrypted)"), blank=True, editable=False)
    finances_enc = models.TextField(_("financial situation (encrypted)"), blank=True, editable=False)
    child_situation_enc = models.TextField(_("child's situation (encrypted)"), blank=True, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("registered by"), null=True,
                                      on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("beneficiary")
        verbose_name_plural = _("beneficiaries")
        ordering = ["station_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(version__gte=1), name="cases_beneficiary_version_positive"),
            models.CheckConstraint(condition=Q(living_situation__in=LivingSituation.values), name="cases_beneficiary_living_valid"),
            models.CheckConstraint(condition=Q(status="active", closed_on__isnull=True) | Q(status="closed", closed_on__isnull=False),
                                   name="cases_beneficiary_closed_pair"),
        ]
        indexes = [models.Index(fields=["station", "status"], name="cases_benef_station_status")]


    def __str__(self) -> str:
        return self.person.real_name


class Relation(models.TextChoices):
    SPOUSE = "spouse", _("Spouse")
    PARENT = "parent", _("Parent")
    CHILD = "child", _("Son or daughter")
    GRANDPARENT = "grandparent", _("Grandparent")
    GRANDCHILD = "grandchild", _("Grandchild")
    SIBLING = "sibling", _("Brother or sister")
    RELATIVE = "relative", _("Other relative")
    INSTITUTION = "institution", _("Civil-affairs or welfare institution")
    OTHER = "other", _("Other")


class HouseholdMember(models.Model):
    """A member of the beneficiary's household; the name is personal data of a third party, kept encrypted. A member
    who leaves is ended, never deleted."""

    beneficiary = models.ForeignKey(Beneficiary, verbose_name=_("beneficiary"), on_delete=models.PROTECT, related_name="household")
    name_enc = models.TextField(_("name (encrypted)"), editable=False)
    relation = models.CharField(_("relation"), max_length=16, choices=Relation.choices)
    lives_together = models.BooleanField(_("lives together"), default=True)
    person = models.ForeignKey(Person, verbose_name=_("registered person"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    ended_on = models.DateField(_("left the household on"), null=True, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("added by"), null=True, on_delete=models.PROTECT,
                                 related_name="+")
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("household member")
        verbose_name_plural = _("household members")
        ordering = ["beneficiary_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(relation__in=Relation.values), name="cases_household_relation_valid"),
            models.CheckConstraint(condition=~Q(name_enc=""), name="cases_household_name_present"),
        ]

    def __str__(self) -> str:
        return self.get_relation_display()


class Guardian(models.Model):
    """A guardian (监护人) of a beneficiary: required while the beneficiary is under 14, and the one who gives or withdraws
    consent for them. A guardianship ends with a date; it is never deleted."""

    beneficiary = models.ForeignKey(Beneficiary, verbose_name=_("beneficiary"), on_delete=models.PROTECT, related_name="guardians")
    person = models.ForeignKey(Person, verbose_name=_("guardian"), on_delete=models.PROTECT, related_name="guardianships")
    relation = models.CharField(_("relation"), max_length=16, choices=Relation.choices)
    since = models.DateField(_("guardian since"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("added by"), null=True, on_delete=models.PROTECT,
                                 related_name="+")
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("ended by"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")
        ordering = ["beneficiary_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["beneficiary", "person"], condition=Q(ended_on__isnull=True),
                                    name="cases_guardian_once_active"),
            models.CheckConstraint(condition=Q(relation__in=Relation.values), name="cases_guardian_relation_valid"),
            models.CheckConstraint(condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("since")), name="cases_guardian_period"),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_relation_display()})"

    @property
    def active(self) -> bool:
        return self.ended_on is None


class AllowanceKind(models.TextChoices):
    DIBAO = "dibao", _("Minimum living allowance (低保金)")
    TEKUN = "tekun", _("Extreme-hardship support (特困供养金)")
    ORPHAN = "orphan", _("Orphans' basic living allowance (孤儿基本生活费)")
    CHILD = "child", _("Allowance for children in difficulty")
    DISABILITY_LIVING = "disability_living", _("Living subsidy for people with disabilities (残疾人生活补贴)")
    DISABILITY_CARE = "disability_care", _("Nursing subsidy for severe disability (重度残疾人护理补贴)")
    OLD_AGE = "old_age", _("Old-age allowance (高龄津贴)")
    OTHER = "other", _("Other")


class Allowance(models.Model):
    """An allowance the beneficiary receives: the monthly amount is financial data, kept encrypted (yuan, 2 decimals,
    checked on the way in)."""

    beneficiary = models.ForeignKey(Beneficiary, verbose_name=_("beneficiary"), on_delete=models.PROTECT, related_name="allowances")
    kind = models.CharField(_("kind"), max_length=24, choices=AllowanceKind.choices)
    monthly_amount_enc = models.TextField(_("monthly amount (encrypted)"), editable=False)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("allowance")
        verbose_name_plural = _("allowances")
        ordering = ["beneficiary_id", "-starts_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=AllowanceKind.values), name="cases_allowance_kind_valid"),
            models.CheckConstraint(condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")), name="cases_allowance_period"),
            models.CheckConstraint(condition=~Q(monthly_amount_enc=""), name="cases_allowance_amount_present"),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()
