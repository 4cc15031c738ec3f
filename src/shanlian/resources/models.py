"""The resource hub's tables: partners, categories, offers, needs, matches and deliveries.

Quantities are whole numbers of the category's smallest step: units of its unit label (袋, 人次, 小时, 场) or, for money,
fen (yuan × 100; pages and the API speak yuan with two decimals through `quantities`). Integers keep the conservation
checks exact in the database (SQLite sums decimals in binary floating point) and are what the min-cost flow solves in.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shanlian.orgs.models import Organization, Station
from shanlian.places.models import Division


class ResourceKind(models.TextChoices):
    SKILL = "skill", _("Skills")
    GOODS = "goods", _("Goods")
    VENUE = "venue", _("Venues")
    INFORMATION = "information", _("Information")
    MONEY = "money", _("Money")
    SERVICE = "service", _("Services")


class PartnerKind(models.TextChoices):
    GOVERNMENT = "government", _("Government department")
    FIRM = "firm", _("Firm")
    SCHOOL = "school", _("School")
    HOSPITAL = "hospital", _("Hospital")
    ORGANIZATION = "organization", _("Social organization")
    OTHER = "other", _("Other")


class Partner(models.Model):
    """Who offers: a department, a firm, a school, a hospital, or a social organization of the registry (then linked
    to it, so its managers register its offers). Firms and hospitals are not social organizations (no grade, no
    inspection, a credit code the registry's check refuses), so a partner is a record of its own."""

    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=16, choices=PartnerKind.choices)
    division = models.ForeignKey(Division, verbose_name=_("based in"), on_delete=models.PROTECT, related_name="+")
    organization = models.OneToOneField(Organization, verbose_name=_("organization"), null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="resource_partner")
    contact = models.CharField(_("contact"), max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["division", "name"], name="resources_partner_unique_name"),
            models.CheckConstraint(condition=Q(organization__isnull=True) | Q(kind="organization"),
                                   name="resources_partner_org_kind"),
        ]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """What is offered and needed, finer than the six kinds (粮油, 义诊, 课业辅导, 活动场地): data, since cities differ.
    An offer and a need match only within one category, so their quantities share its unit."""

    name = models.CharField(_("name"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=ResourceKind.choices)
    unit = models.CharField(_("unit"), max_length=8)

    class Meta:
        verbose_name = _("resource category")
        verbose_name_plural = _("resource categories")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class OfferStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WITHDRAWN = "withdrawn", _("Withdrawn")


def _point_checks(prefix: str) -> list[models.CheckConstraint]:
    return [
        models.CheckConstraint(condition=Q(latitude__isnull=True, longitude__isnull=True)
                               | Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                               name=f"resources_{prefix}_point"),
        models.CheckConstraint(condition=Q(quantity__gt=0) & Q(committed__gte=0) & Q(committed__lte=F("quantity")),
                               name=f"resources_{prefix}_committed_within"),
    ]


class Offer(models.Model):
    partner = models.ForeignKey(Partner, verbose_name=_("partner"), on_delete=models.PROTECT, related_name="offers")
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=ResourceKind.choices, editable=False)  # the category's
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    quantity = models.PositiveBigIntegerField(_("quantity"))
    committed = models.PositiveBigIntegerField(_("committed"), default=0, editable=False)
    division = models.ForeignKey(Division, verbose_name=_("serves"), on_delete=models.PROTECT, related_name="+")
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    reach_km = models.PositiveSmallIntegerField(_("reach (km)"), null=True, blank=True)
    available_from = models.DateField(_("available from"))
    available_until = models.DateField(_("available until"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=OfferStatus.choices, default=OfferStatus.OPEN)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)  # an edit names the one it read
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["-created_at", "-id"]
        constraints = [
            *_point_checks("offer"),
            models.CheckConstraint(condition=Q(available_until__isnull=True) | Q(available_until__gte=F("available_from")),
                                   name="resources_offer_dates"),
            models.CheckConstraint(condition=Q(reach_km__isnull=True) | Q(latitude__isnull=False),
                                   name="resources_offer_reach_has_point"),
        ]
        indexes = [models.Index(fields=["status", "category"], name="resources_offer_open_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def remaining(self) -> int:
        return self.quantity - self.committed


class NeedStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class SourceKind(models.TextChoices):
    """Where a need came from, for the apps that will raise needs (a case's plan, a micro-wish): a kind and an id, so
    this app depends on neither."""

    NONE = "", _("Registered directly")
    CASE = "case", _("Case")
    WISH = "wish", _("Micro-wish")


class Need(models.Model):
    station = models.ForeignKey(Station, verbose_name=_("station"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    organization = models.ForeignKey(Organization, verbose_name=_("organization"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=ResourceKind.choices, editable=False)
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    quantity = models.PositiveBigIntegerField(_("quantity"))
    committed = models.PositiveBigIntegerField(_("committed"), default=0, editable=False)
    division = models.ForeignKey(Division, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    needed_by = models.DateField(_("needed by"))
    status = models.CharField(_("status"), max_length=12, choices=NeedStatus.choices, default=NeedStatus.OPEN)
    source_kind = models.CharField(_("source"), max_length=8, choices=SourceKind.choices, blank=True, default="")
    source_id = models.PositiveBigIntegerField(_("source id"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        ordering = ["needed_by", "id"]
        constraints = [
            *_point_checks("need"),
            models.CheckConstraint(condition=Q(station__isnull=True, organization__isnull=False)
                                   | Q(station__isnull=False, organization__isnull=True), name="resources_need_one_owner"),
            models.CheckConstraint(condition=Q(source_kind="", source_id__isnull=True)
                                   | (~Q(source_kind="") & Q(source_id__isnull=False)), name="resources_need_source_pair"),
        ]
        indexes = [models.Index(fields=["status", "category"], name="resources_need_open_idx"),
                   models.Index(fields=["source_kind", "source_id"], name="resources_need_source_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def remaining(self) -> int:
        return self.quantity - self.committed


class Match(models.Model):
    """Part of an offer committed to a need. committed = delivered + outstanding, always (the database checks it); a
    cancellation releases the outstanding part, so committed falls to what was delivered."""

    offer = models.ForeignKey(Offer, verbose_name=_("offer"), on_delete=models.PROTECT, related_name="matches")
    need = models.ForeignKey(Need, verbose_name=_("need"), on_delete=models.PROTECT, related_name="matches")
    committed = models.PositiveBigIntegerField(_("committed"))
    delivered = models.PositiveBigIntegerField(_("delivered"), default=0)
    outstanding = models.PositiveBigIntegerField(_("outstanding"))
    confirmed = models.PositiveBigIntegerField(_("confirmed"), default=0)
    distance_km = models.DecimalField(_("distance (km)"), max_digits=7, decimal_places=1, null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300)
    cancelled = models.BooleanField(_("cancelled"), default=False)
    committed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    committed_at = models.DateTimeField(_("committed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("match")
        verbose_name_plural = _("matches")
        ordering = ["-committed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(committed=F("delivered") + F("outstanding")), name="resources_match_conserved"),
            models.CheckConstraint(condition=Q(confirmed__lte=F("delivered")), name="resources_match_confirmed_within"),
            models.CheckConstraint(condition=Q(committed__gt=0) | Q(cancelled=True), name="resources_match_positive"),
            models.CheckConstraint(condition=Q(cancelled=False) | Q(outstanding=0), name="resources_match_cancel_releases"),
            models.UniqueConstraint(fields=["offer", "need"], condition=Q(cancelled=False), name="resources_match_one_live"),
        ]

    def __str__(self) -> str:
        return f"{self.offer_id}→{self.need_id}"


class Delivery(models.Model):
    """One hand-over of part of a match, recorded by whoever brought it and confirmed by the receiver."""

    match = models.ForeignKey(Match, verbose_name=_("match"), on_delete=models.PROTECT, related_name="deliveries")
    quantity = models.PositiveBigIntegerField(_("quantity"))
    delivered_on = models.DateField(_("delivered on"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True,
                                     blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-delivered_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="resources_delivery_positive"),
            models.CheckConstraint(condition=Q(confirmed_at__isnull=True) | Q(confirmed_by__isnull=False),
                                   name="resources_delivery_confirmed_by"),
        ]

    def __str__(self) -> str:
        return f"{self.match_id}: {self.quantity}"


class PartnerMember(models.Model):
    """A partner's own staff member, who signs in to the partner's pages ("我的资源"): registers and keeps its offers,
    follows their matches, records deliveries. Kept by the officers who manage the partner (access.may_manage_partner);
    not a role of core.scoping, since it is granted over a partner, which the roles know nothing of."""

    partner = models.ForeignKey(Partner, verbose_name=_("partner"), on_delete=models.PROTECT, related_name="members")
    person = models.ForeignKey("people.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(pgettext_lazy("job", "position"), max_length=64, blank=True)
    active = models.BooleanField(_("active"), default=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    added_at = models.DateTimeField(_("added"), auto_now_add=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True,
                                 blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        verbose_name = _("partner member")
        verbose_name_plural = _("partner members")
        ordering = ["-active", "added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "person"], condition=Q(active=True),
                                    name="resources_member_one_active"),
            models.CheckConstraint(condition=Q(active=True, ended_at__isnull=True) | Q(active=False, ended_at__isnull=False),
                                   name="resources_member_ended_when_inactive"),
        ]
        indexes = [models.Index(fields=["person", "active"], name="resources_member_person_idx")]

    def __str__(self) -> str:
        return f"{self.partner_id}: {self.person_id}"
