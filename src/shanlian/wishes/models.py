"""Micro-wishes (微心愿): a beneficiary's small need registered by the station's case team, shown on the public wall
without the person's name or address (community only), claimed by one person, party group or company at a time,
fulfilled in goods, money or service (goods and money through the charity's records), and confirmed by the station
with a photo and the beneficiary's acknowledgement. The rules that hold across rows live in the database too: values
above zero, fulfilled at most the value, states and kinds valid, one live claim per wish."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.money import MoneyField


class WishKind(models.TextChoices):
    GOODS = "goods", _("Goods")
    MONEY = "money", _("Money")
    SERVICE = "service", _("Service")


class WishStatus(models.TextChoices):
    OPEN = "open", _("Open to claim")
    CLAIMED = "claimed", _("Claimed")
    FULFILLED = "fulfilled", _("Delivered")
    CONFIRMED = "confirmed", _("Wish fulfilled")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


class WishFor(models.TextChoices):
    """Who the wish is for, as the wall says it: a description of a kind of person, never the person."""

    ELDER_ALONE = "elder_alone", _("an elder living alone")
    ELDER = "elder", _("an elder")
    CHILD = "child", _("a child in difficulty")
    STUDENT = "student", _("a student")
    DISABLED = "disabled", _("a person with a disability")
    FAMILY = "family", _("a family in difficulty")
    RESIDENT = "resident", _("a resident in need")


class Wish(models.Model):
    station = models.ForeignKey("orgs.Station", verbose_name=_("station"), on_delete=models.PROTECT, related_name="wishes")
    beneficiary = models.ForeignKey("cases.Beneficiary", verbose_name=_("beneficiary"), on_delete=models.PROTECT,
                                    related_name="wishes")
    # Where the wall says the wish is: the beneficiary's community (or the station's street), and the street, for filters.
    area = models.ForeignKey("places.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey("places.Division", verbose_name=_("street"), on_delete=models.PROTECT, related_name="+")
    # The consent the wish was posted under: the wall shows it only while that consent holds (withdrawn or expired, the
    # wish comes off the wall; the station still sees it and may finish what a claimant took on).
    consent = models.ForeignKey("cases.Consent", verbose_name=_("posted under consent"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("what"), max_length=40)
    description = models.CharField(_("description for the wall"), max_length=300, blank=True)
    private_note_enc = models.TextField(_("private note (encrypted)"), blank=True, editable=False)
    wish_for = models.CharField(_("for"), max_length=16, choices=WishFor.choices)
    kind = models.CharField(_("kind"), max_length=8, choices=WishKind.choices)
    value = MoneyField(_("value"), max_digits=10)
    fulfilled_value = MoneyField(_("value delivered"), max_digits=10, default=0)
    needed_by = models.DateField(_("needed by"))
    status = models.CharField(_("status"), max_length=10, choices=WishStatus.choices, default=WishStatus.OPEN)
    version = models.PositiveIntegerField(_("version"), default=1)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("registered by"), on_delete=models.PROTECT,
                                      related_name="+")
    registered_at = models.DateTimeField(_("registered at"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    cancel_reason = models.CharField(_("why cancelled"), max_length=200, blank=True)
    ended_at = models.DateTimeField(_("cancelled, expired or confirmed at"), null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("ended by"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("micro-wish")
        verbose_name_plural = _("micro-wishes")
        ordering = ["-registered_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gt=0), name="wishes_wish_value_positive"),
            models.CheckConstraint(condition=Q(fulfilled_value__gte=0) & Q(fulfilled_value__lte=F("value")),
                                   name="wishes_wish_fulfilled_within_value"),
            models.CheckConstraint(condition=Q(status__in=WishStatus.values), name="wishes_wish_status_valid"),
            models.CheckConstraint(condition=Q(kind__in=WishKind.values), name="wishes_wish_kind_valid"),
            models.CheckConstraint(condition=Q(wish_for__in=WishFor.values), name="wishes_wish_for_valid"),
            models.CheckConstraint(condition=Q(version__gte=1), name="wishes_wish_version_positive"),
            models.CheckConstraint(condition=~Q(status="cancelled") | ~Q(cancel_reason=""), name="wishes_wish_cancel_reason"),
            models.CheckConstraint(condition=~Q(status__in=["cancelled", "expired", "confirmed"]) | Q(ended_at__isnull=False),
                                   name="wishes_wish_ended_at"),
            models.CheckConstraint(condition=~Q(status__in=["fulfilled", "confirmed"]) | Q(fulfilled_value__gt=0),
                                   name="wishes_wish_delivered_something"),
        ]
        indexes = [
            models.Index(fields=["status", "street"], name="wishes_wish_status_street"),
            models.Index(fields=["station", "status"], name="wishes_wish_station_status"),
            models.Index(fields=["station", "ended_at"], name="wishes_wish_station_ended"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def number(self) -> str:
        return f"W{self.pk:06d}"


class ClaimKind(models.TextChoices):
    SELF = "self", _("For myself")
    PARTY = "party", _("As a party member (with the party members taking part)")
    COMPANY = "company", _("On behalf of a company or organization")


class ClaimStatus(models.TextChoices):
    ACTIVE = "active", _("Claimed")
    DELIVERED = "delivered", _("Delivered")
    CONFIRMED = "confirmed", _("Wish fulfilled")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Wish cancelled")


LIVE_CLAIM = (ClaimStatus.ACTIVE, ClaimStatus.DELIVERED)


class WishClaim(models.Model):
    """One claim of a wish. At most one live (claimed or delivered) claim per wish, in the database."""

    wish = models.ForeignKey(Wish, verbose_name=_("wish"), on_delete=models.PROTECT, related_name="claims")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("claimant"), on_delete=models.PROTECT,
                             related_name="wish_claims")
    kind = models.CharField(_("claimed"), max_length=8, choices=ClaimKind.choices, default=ClaimKind.SELF)
    party_branch = models.CharField(_("party branch"), max_length=64, blank=True)
    party_members = models.PositiveSmallIntegerField(_("party members taking part"), default=0)
    company_name = models.CharField(_("company or organization"), max_length=100, blank=True)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    contact = models.CharField(_("how the station reaches you"), max_length=64, blank=True)
    # Who the leaderboard counts: one key per person, party branch or company, and the name it shows (masked for a person).
    claimant_key = models.CharField(max_length=140, editable=False)
    claimant_label = models.CharField(_("shown as"), max_length=100, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.ACTIVE)
    claimed_at = models.DateTimeField(_("claimed at"))
    expires_at = models.DateTimeField(_("expires at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("wish claim")
        verbose_name_plural = _("wish claims")
        ordering = ["-claimed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["wish"], condition=Q(status__in=["active", "delivered"]),
                                    name="wishes_claim_one_live_per_wish"),
            models.CheckConstraint(condition=Q(status__in=ClaimStatus.values), name="wishes_claim_status_valid"),
            models.CheckConstraint(condition=Q(kind__in=ClaimKind.values), name="wishes_claim_kind_valid"),
            models.CheckConstraint(condition=Q(kind="party", party_members__gte=1) | (~Q(kind="party") & Q(party_members=0)),
                                   name="wishes_claim_party_members"),
            models.CheckConstraint(condition=Q(kind="company") & ~Q(company_name="") | ~Q(kind="company") & Q(company_name=""),
                                   name="wishes_claim_company_name"),
            models.CheckConstraint(condition=Q(expires_at__gt=F("claimed_at")), name="wishes_claim_period"),
            models.CheckConstraint(condition=Q(status__in=["active", "delivered"]) | Q(ended_at__isnull=False),
                                   name="wishes_claim_ended_at"),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="wishes_claim_status_expires"),
            models.Index(fields=["user", "status"], name="wishes_claim_user_status"),
        ]

    def __str__(self) -> str:
        return f"{self.wish_id}/{self.claimant_label}"

    @property
    def live(self) -> bool:
        return self.status in LIVE_CLAIM


class WishMessage(models.Model):
    """Between the station and the claimant only: where and when to hand over. Never on the wall."""

    wish = models.ForeignKey(Wish, verbose_name=_("wish"), on_delete=models.PROTECT, related_name="messages")
    claim = models.ForeignKey(WishClaim, verbose_name=_("claim"), on_delete=models.PROTECT, related_name="messages")
    from_station = models.BooleanField(_("from the station"))
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("sender"), on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("message"), max_length=1000)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("wish message")
        verbose_name_plural = _("wish messages")
        ordering = ["sent_at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="wishes_message_text_present")]

    def __str__(self) -> str:
        return f"{self.claim_id}@{self.sent_at:%Y-%m-%d}"


class FulfilmentKind(models.TextChoices):
    GOODS = "goods", _("Goods (through the donation point's goods records)")
    MONEY = "money", _("Money (a gift to the community fund)")
    SERVICE = "service", _("Service delivered")


class WishFulfilment(models.Model):
    """What the claimant gave, valued: goods received at the station's donation point and given out to the wish
    (charity's goods records), money given to the community fund (a charity gift on the ledger), or a service."""

    wish = models.ForeignKey(Wish, verbose_name=_("wish"), on_delete=models.PROTECT, related_name="fulfilments")
    claim = models.ForeignKey(WishClaim, verbose_name=_("claim"), on_delete=models.PROTECT, related_name="fulfilments")
    kind = models.CharField(_("kind"), max_length=8, choices=FulfilmentKind.choices)
    value = MoneyField(_("value"), max_digits=10)
    goods_item = models.CharField(_("goods"), max_length=64, blank=True)
    goods_quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2, null=True, blank=True)
    goods_unit = models.CharField(_("unit"), max_length=16, blank=True)
    donation = models.OneToOneField("charity.Donation", verbose_name=_("gift"), null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="wish_fulfilment")
    goods_out = models.OneToOneField("charity.GoodsMovement", verbose_name=_("goods given out"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="wish_fulfilment")
    delivered_on = models.DateField(_("delivered on"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("wish fulfilment")
        verbose_name_plural = _("wish fulfilments")
        ordering = ["wish_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gt=0), name="wishes_fulfilment_value_positive"),
            models.CheckConstraint(condition=Q(kind__in=FulfilmentKind.values), name="wishes_fulfilment_kind_valid"),
            models.CheckConstraint(condition=Q(kind="service") | Q(donation__isnull=False), name="wishes_fulfilment_gift_recorded"),
            models.CheckConstraint(
                condition=~Q(kind="goods") | (Q(goods_out__isnull=False) & ~Q(goods_item="") & Q(goods_quantity__gt=0)),
                name="wishes_fulfilment_goods_recorded"),
        ]

    def __str__(self) -> str:
        return f"{self.wish_id}: {self.value}"


class AckBy(models.TextChoices):
    BENEFICIARY = "beneficiary", _("The beneficiary")
    GUARDIAN = "guardian", _("Their guardian")
    FAMILY = "family", _("A family member")


class AckHow(models.TextChoices):
    SIGNATURE = "signature", _("Signature")
    VERBAL = "verbal", _("Verbal (witnessed by the social worker)")
    THUMBPRINT = "thumbprint", _("Thumbprint")


class WishConfirmation(models.Model):
    """The station's confirmation: a photo of the hand-over and who acknowledged receipt, how and when."""

    wish = models.OneToOneField(Wish, verbose_name=_("wish"), on_delete=models.PROTECT, related_name="confirmation")
    photo = models.FileField(_("photo"), upload_to="wishes/photos/%Y/%m/")
    photo_name = models.CharField(max_length=128)
    photo_sha256 = models.CharField(max_length=64)
    acknowledged_by = models.CharField(_("acknowledged by"), max_length=12, choices=AckBy.choices)
    acknowledged_how = models.CharField(_("acknowledged how"), max_length=12, choices=AckHow.choices)
    acknowledged_on = models.DateField(_("acknowledged on"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), on_delete=models.PROTECT,
                                     related_name="+")
    confirmed_at = models.DateTimeField(_("confirmed at"), default=timezone.now)

    class Meta:
        verbose_name = _("wish confirmation")
        verbose_name_plural = _("wish confirmations")
        constraints = [
            models.CheckConstraint(condition=Q(acknowledged_by__in=AckBy.values), name="wishes_confirmation_by_valid"),
            models.CheckConstraint(condition=Q(acknowledged_how__in=AckHow.values), name="wishes_confirmation_how_valid"),
            models.CheckConstraint(condition=~Q(photo=""), name="wishes_confirmation_photo_present"),
        ]

    def __str__(self) -> str:
        return f"{self.wish_id}"
