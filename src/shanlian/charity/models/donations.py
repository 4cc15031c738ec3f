"""Gifts: at donation points (cash, transfer, goods) and online in joint appeals, with matching gifts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shanlian.core.money import MoneyField


class Channel(models.TextChoices):
    CASH = "cash", _("Cash")
    TRANSFER = "transfer", _("Bank transfer")
    ONLINE = "online", _("Online")
    GOODS = "goods", _("Goods")
    SEED = "seed", _("Federation start money")
    MATCH = "match", _("Matching gift")
    IMPORT = "import", _("Imported (Giving Day)")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Campaign(models.Model):
    """A joint appeal (联合劝募) run by a federation with a public-fundraising qualification, for one or
    more funds' projects."""

    slug = models.SlugField(_("code"), max_length=60, unique=True)
    title = models.CharField(_("title"), max_length=128)
    description = models.TextField(_("description"), blank=True)
    organizer = models.ForeignKey(
        "orgs.Organization", verbose_name=_("organizer"), on_delete=models.PROTECT, related_name="campaigns"
    )
    goal = MoneyField(_("goal"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    status = models.CharField(_("status"), max_length=8, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    record_number = models.CharField(_("fundraising record number"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(goal__gt=0), name="charity_campaign_goal_positive"),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="charity_campaign_period"),
        ]

    def __str__(self) -> str:
        return self.title


class CampaignTarget(models.Model):
    """A fund (and optionally one of its projects) a campaign raises for."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="targets")
    fund = models.ForeignKey("charity.CommunityFund", verbose_name=_("fund"), on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey(
        "charity.Project", verbose_name=_("project"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("campaign target")
        verbose_name_plural = _("campaign targets")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "fund", "project"], name="charity_campaign_target_unique"),
            models.UniqueConstraint(
                fields=["campaign", "fund"], condition=Q(project__isnull=True), name="charity_campaign_target_fund_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}→{self.fund_id}/{self.project_id or '-'}"


class CampaignTally(models.Model):
    """A campaign's progress, spread over a few slots so concurrent gifts on Giving Day do not queue on
    one counter row; progress is the sum of the slots."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="tallies")
    slot = models.PositiveSmallIntegerField()
    # Whole fen, so concurrent in-database additions stay exact on SQLite too.
    fen = models.BigIntegerField(default=0)
    gifts = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "slot"], name="charity_tally_slot_unique")]

    def __str__(self) -> str:
        return f"{self.campaign_id}#{self.slot}"


class MatchPool(models.Model):
    """A sponsor's matching pool (配捐): each gift in the campaign is matched at `ratio`, within the caps
    per donor, per day and in total. The pool's money sits in its own guarded account."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="match_pools")
    sponsor_name = models.CharField(_("sponsor"), max_length=128)
    ratio = models.DecimalField(_("match ratio"), max_digits=5, decimal_places=2)
    per_donor_cap = MoneyField(_("cap per donor"))
    per_day_cap = MoneyField(_("cap per day"))
    total_cap = MoneyField(_("total cap"))
    matched_total = MoneyField(_("matched so far"), default=0, editable=False)
    account = models.OneToOneField("ledger.Account", on_delete=models.PROTECT, related_name="+", editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("matching pool")
        verbose_name_plural = _("matching pools")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(ratio__gt=0) & Q(ratio__lte=10), name="charity_match_ratio_range"),
            models.CheckConstraint(
                condition=Q(per_donor_cap__gt=0) & Q(per_day_cap__gt=0) & Q(total_cap__gt=0), name="charity_match_caps_positive"
            ),
            models.CheckConstraint(
                condition=Q(matched_total__gte=0) & Q(matched_total__lte=models.F("total_cap")), name="charity_match_within_total"
            ),
        ]

    def __str__(self) -> str:
        return self.sponsor_name


class DonationStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Received")
    REFUNDED = "refunded", _("Refunded")


class Donation(models.Model):
    """One gift, posted to the ledger in `entry` (with its match, if any, in the same entry). The
    fields that say what was given never change (a trigger refuses on PostgreSQL); a refund is a
    reversing entry."""

    # The foreign keys have no index of their own where an index in Meta starts with them (and a partial
    # one where the column is mostly empty): every gift written maintains every index, and a
    # Giving-Day import writes a million (migration 0004).
    fund = models.ForeignKey(
        "charity.CommunityFund", verbose_name=_("fund"), on_delete=models.PROTECT, related_name="donations", db_index=False
    )
    project = models.ForeignKey(
        "charity.Project", verbose_name=_("restricted to project"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="donations", db_index=False,
    )
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), null=True, blank=True, on_delete=models.PROTECT, related_name="donations",
        db_index=False,
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    amount = MoneyField(_("amount"))
    donor_name = models.CharField(_("donor"), max_length=128)
    show_name = models.BooleanField(_("show my name in public"), default=False)
    donor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("donor account"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="donations", db_index=False,
    )
    # Who the donor is for matching caps: an account, or the payer id the payment provider reports.
    donor_key = models.CharField(_("donor key"), max_length=128, blank=True)
    point = models.ForeignKey(
        "orgs.DonationPoint", verbose_name=_("donation point"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="donations", db_index=False,
    )
    goods_item = models.CharField(_("goods"), max_length=64, blank=True)
    goods_quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2, null=True, blank=True)
    goods_unit = models.CharField(_("unit"), max_length=16, blank=True)
    message = models.CharField(_("message"), max_length=200, blank=True)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        db_index=False,
    )
    source = models.CharField(_("source"), max_length=32)
    external_id = models.CharField(_("external id"), max_length=128, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=DonationStatus.choices, default=DonationStatus.CONFIRMED)
    entry = models.OneToOneField("ledger.Entry", on_delete=models.PROTECT, related_name="donation")
    # A partial unique key (Meta) rather than a one-to-one's full one: refunds are few (migration 0008).
    refund_entry = models.ForeignKey(
        "ledger.Entry", null=True, blank=True, on_delete=models.PROTECT, related_name="refunded_donation", db_index=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # The audit row of the request the gift came by (who, from which address and user agent, signed in how): written
    # with the gift by the gift writer. No database key (as a seal's entry ids): an audit row is evidence, and a
    # million-row import should not pay a key check per gift for it.
    audit = models.ForeignKey("core.AuditLog", verbose_name=_("came by"), null=True, blank=True, on_delete=models.DO_NOTHING,
                              db_constraint=False, db_index=False, related_name="+", editable=False)

    class Meta:
        verbose_name = _("donation")
        verbose_name_plural = _("donations")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="charity_donation_positive"),
            models.UniqueConstraint(
                fields=["source", "external_id"], condition=~Q(external_id=""), name="charity_donation_idempotency"
            ),
            models.CheckConstraint(
                condition=Q(status="refunded", refund_entry__isnull=False) | Q(status="confirmed", refund_entry__isnull=True),
                name="charity_donation_refund_iff_refunded",
            ),
            models.UniqueConstraint(fields=["refund_entry"], condition=Q(refund_entry__isnull=False),
                                    name="charity_donation_refunded_once"),
            models.CheckConstraint(
                condition=~Q(channel="goods") | (Q(goods_quantity__gt=0) & ~Q(goods_item="")), name="charity_goods_described"
            ),
        ]
        indexes = [
            # With what a fund's income by month and source and its donor count read (PostgreSQL; migration 0007).
            models.Index(fields=["fund", "received_at"], include=["id", "amount", "channel", "status", "campaign"],
                         name="charity_donation_fund_time"),
            models.Index(fields=["campaign", "received_at"], name="charity_donation_campaign_time"),
            models.Index(fields=["project", "received_at"], name="charity_donation_project_time",
                         condition=Q(project__isnull=False)),
            models.Index(fields=["donor_user", "received_at"], name="charity_donation_donor_time",
                         condition=Q(donor_user__isnull=False)),
            models.Index(fields=["point"], name="charity_donation_point", condition=Q(point__isnull=False)),
            models.Index(fields=["recorded_by"], name="charity_donation_recorded_by", condition=Q(recorded_by__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.donor_name} {self.amount}"


class MatchGift(models.Model):
    """The sponsor's match for one gift; posted in the gift's own entry."""

    pool = models.ForeignKey(
        MatchPool, verbose_name=_("matching pool"), on_delete=models.PROTECT, related_name="gifts", db_index=False
    )  # charity_match_pool_day starts with it
    donation = models.OneToOneField(Donation, verbose_name=_("donation"), on_delete=models.PROTECT, related_name="match")
    amount = MoneyField(_("amount"))
    day = models.DateField(_("day"))
    donor_key = models.CharField(_("donor key"), max_length=128)
    refunded = models.BooleanField(_("refunded"), default=False)

    class Meta:
        verbose_name = _("matching gift")
        verbose_name_plural = _("matching gifts")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="charity_match_gift_positive")]
        indexes = [
            models.Index(fields=["pool", "day"], name="charity_match_pool_day"),
            models.Index(fields=["pool", "donor_key"], name="charity_match_pool_donor"),
        ]

    def __str__(self) -> str:
        return f"{self.pool_id}: {self.amount}"


class GoodsMovement(models.Model):
    """The goods inventory of a donation point: + received (a goods gift), - given out to someone in need."""

    point = models.ForeignKey("orgs.DonationPoint", verbose_name=_("donation point"), on_delete=models.PROTECT, related_name="goods")
    fund = models.ForeignKey("charity.CommunityFund", verbose_name=_("fund"), on_delete=models.PROTECT, related_name="goods")
    item = models.CharField(_("goods"), max_length=64)
    unit = models.CharField(_("unit"), max_length=16)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    value = MoneyField(_("valuation"))
    donation = models.OneToOneField(
        Donation, verbose_name=_("donation"), null=True, blank=True, on_delete=models.PROTECT, related_name="goods_movement"
    )
    recipient = models.CharField(_("given to"), max_length=128, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    entry = models.OneToOneField("ledger.Entry", on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("goods movement")
        verbose_name_plural = _("goods movements")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="charity_goods_quantity_not_zero"),
            models.CheckConstraint(
                condition=Q(quantity__gt=0, value__gt=0) | Q(quantity__lt=0, value__lt=0), name="charity_goods_sign_match"
            ),
        ]
        indexes = [models.Index(fields=["point", "item"], name="charity_goods_point_item")]

    def __str__(self) -> str:
        return f"{self.item} {self.quantity}{self.unit}"


class PaymentStatus(models.TextChoices):
    CREATED = "created", _("Waiting for payment")
    SUCCEEDED = "succeeded", _("Paid")
    FAILED = "failed", _("Failed")


class PaymentIntent(models.Model):
    """An online gift on its way: created when the donor presses give, settled by the provider's webhook."""

    ref = models.CharField(_("reference"), max_length=40, unique=True)
    provider = models.CharField(_("provider"), max_length=16)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="intents")
    fund = models.ForeignKey("charity.CommunityFund", on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey("charity.Project", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    amount = MoneyField(_("amount"))
    donor_name = models.CharField(_("donor"), max_length=128)
    show_name = models.BooleanField(default=False)
    donor_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    donor_key = models.CharField(max_length=128, blank=True)
    message = models.CharField(max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=128, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.CREATED)
    provider_payment_id = models.CharField(max_length=64, blank=True)
    donation = models.OneToOneField(Donation, null=True, blank=True, on_delete=models.PROTECT, related_name="intent")
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("online payment")
        verbose_name_plural = _("online payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="charity_intent_positive"),
            models.UniqueConstraint(
                fields=["donor_user", "idempotency_key"], condition=~Q(idempotency_key=""), name="charity_intent_idempotency"
            ),
        ]

    def __str__(self) -> str:
        return self.ref


class WebhookEvent(models.Model):
    """Every verified callback, once: a duplicate (same provider and event id) is answered from here."""

    provider = models.CharField(max_length=16)
    event_id = models.CharField(max_length=64)
    type = models.CharField(max_length=32)
    intent = models.ForeignKey(PaymentIntent, null=True, on_delete=models.PROTECT, related_name="events")
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=32)
    payload = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="charity_webhook_event_once")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id}"
