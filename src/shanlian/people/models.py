"""Persons, their roles over scopes, and API tokens.

Resident ID and phone are stored only encrypted (`*_enc`) with a keyed blind index (`*_hash`) for
equality; the model exposes masked values, and the unmasked read goes through
`people.selectors.person_reveal`, which checks a permission and writes an audit row. The search keys
(pinyin, the blind index of the phone's last four digits) are described in `people.search`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from shanlian.core import crypto
from shanlian.core.scoping import Role, ScopeKind
from shanlian.orgs.models import Organization, Station
from shanlian.places.models import Division


class Gender(models.TextChoices):
    UNKNOWN = "", _("Not stated")
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")


class Person(models.Model):
    real_name = models.CharField(_("real name"), max_length=32)
    name_initials = models.CharField(_("pinyin initials"), max_length=32, blank=True, editable=False)
    name_pinyin = models.CharField(_("pinyin"), max_length=192, blank=True, editable=False)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    division = models.ForeignKey(
        Division, verbose_name=_("community of residence"), on_delete=models.PROTECT, related_name="people"
    )
    resident_id_enc = models.TextField(_("resident ID (encrypted)"), blank=True, editable=False)
    resident_id_hash = models.CharField(max_length=64, blank=True, editable=False)
    phone_enc = models.TextField(_("phone (encrypted)"), blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    phone_last4_hash = models.CharField(max_length=64, blank=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("login account"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="person",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["division_id", "real_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident_id_hash"], condition=~Q(resident_id_hash=""), name="person_unique_resident_id"
            ),
            models.CheckConstraint(
                condition=Q(resident_id_hash="", resident_id_enc="") | (~Q(resident_id_hash="") & ~Q(resident_id_enc="")),
                name="person_resident_id_pair",
            ),
        ]
        indexes = [
            # Prefix searches (LIKE 'zs%'): pattern operators on PostgreSQL, a plain index elsewhere.
            models.Index(fields=["name_initials"], name="person_name_initials", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["name_pinyin"], name="person_name_pinyin", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["phone_last4_hash"], name="person_phone_last4"),
        ]
        permissions = [("reveal_sensitive", _("Can read unmasked resident ID and phone (each read is logged)"))]

    def __str__(self) -> str:
        return self.real_name

    @property
    def resident_id_masked(self) -> str:
        return crypto.mask_resident_id(crypto.decrypt(self.resident_id_enc))

    @property
    def phone_masked(self) -> str:
        return crypto.mask_phone(crypto.decrypt(self.phone_enc))


class RoleGrant(models.Model):
    """A role held by a login account over one scope; revoked grants are kept for the record."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="role_grants")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    scope_kind = models.CharField(_("scope kind"), max_length=16, choices=ScopeKind.choices)
    division = models.ForeignKey(Division, verbose_name=_("division"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    station = models.ForeignKey(Station, verbose_name=_("station"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("granted by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("revoked by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        ordering = ["-granted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(scope_kind="division", division__isnull=False, organization__isnull=True, station__isnull=True)
                    | Q(scope_kind="organization", division__isnull=True, organization__isnull=False, station__isnull=True)
                    | Q(scope_kind="station", division__isnull=True, organization__isnull=True, station__isnull=False)
                    | Q(scope_kind="self", division__isnull=True, organization__isnull=True, station__isnull=True)
                ),
                name="role_grant_one_scope",
            ),
            # One active grant per (user, role, target); COALESCE makes the empty targets compare equal.
            models.UniqueConstraint(
                F("user"), F("role"), Coalesce("division", Value(0)), Coalesce("organization", Value(0)),
                Coalesce("station", Value(0)),
                condition=Q(revoked_at__isnull=True),
                name="role_grant_unique_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} @ {self.scope_label}"

    @property
    def scope_label(self) -> str:
        target = self.division or self.organization or self.station
        return str(target) if target is not None else str(_("Themselves"))


class ApiToken(models.Model):
    """A bearer token for machines. Only a SHA-256 of the secret is stored; the secret is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=64)
    prefix = models.CharField(_("prefix"), max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ExpertField(models.TextChoices):
    """What an expert knows: matched against a proposal's or an organization's field when reviewers are assigned."""

    SOCIAL_WORK = "social_work", _("Social work practice")
    ELDERLY = "elderly", _("Elderly care")
    DISABILITY = "disability", _("Disability services")
    CHILDREN = "children", _("Children and youth")
    HARDSHIP = "hardship", _("Social assistance")
    COMMUNITY = "community", _("Community governance")
    GOVERNANCE = "governance", _("Organization governance")
    FINANCE = "finance", _("Finance and audit")
    LAW = "law", _("Law")
    PARTY = "party", _("Party building")
    PHILANTHROPY = "philanthropy", _("Philanthropy and fundraising")


class ExpertProfile(models.Model):
    """An expert's entry in the pool: what they know, where they work, how much they take on, when they are away.
    The expert role itself is a `RoleGrant`; this is what assignment reads besides it."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                                related_name="expert_profile")
    fields = models.JSONField(_("fields"), default=list)  # ExpertField values, at most EXPERT_FIELDS_MAX
    title = models.CharField(_("professional title"), max_length=64, blank=True)
    employer = models.CharField(_("employer"), max_length=128, blank=True)
    max_load = models.PositiveSmallIntegerField(_("most items per round"), null=True, blank=True)
    away_from = models.DateField(_("away from"), null=True, blank=True)
    away_until = models.DateField(_("away until"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("expert profile")
        verbose_name_plural = _("expert profiles")
        constraints = [
            models.CheckConstraint(condition=Q(max_load__isnull=True) | Q(max_load__gte=1), name="expert_max_load_positive"),
            models.CheckConstraint(
                condition=Q(away_from__isnull=True, away_until__isnull=True)
                | Q(away_from__isnull=False, away_until__isnull=False, away_until__gte=F("away_from")),
                name="expert_away_period"),
        ]

    def __str__(self) -> str:
        return str(self.user_id)


class TieKind(models.TextChoices):
    EMPLOYEE = "employee", _("Works or worked there")
    BOARD = "board", _("Board or supervisory seat")
    FAMILY = "family", _("A close relative works there")
    ADVISER = "adviser", _("Paid adviser or supervisor")
    OTHER = "other", _("Other interest")


class ExpertTie(models.Model):
    """A standing tie between an expert and an organization: the expert is never assigned its proposals or its
    evaluation while the tie lasts and for the cooling-off years after it ends (EXPERT_TIE_COOLING_YEARS)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="expert_ties")
    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE,
                                     related_name="+")
    kind = models.CharField(_("kind of tie"), max_length=16, choices=TieKind.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    declared_at = models.DateTimeField(_("declared at"), auto_now_add=True)

    class Meta:
        verbose_name = _("expert tie")
        verbose_name_plural = _("expert ties")
        ordering = ["user", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="expert_tie_once")]

    def __str__(self) -> str:
        return f"{self.user_id} ~ {self.organization_id}"
