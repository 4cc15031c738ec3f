"""Community funds (社区慈善基金) held in custody by a charity federation, and the projects they pay for."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from shanlian.core.money import MoneyField


class Purpose(models.TextChoices):
    GENERAL = "general", _("General community charity")
    ELDERLY = "elderly", _("Elderly care")
    HARDSHIP = "hardship", _("Hardship relief")
    CHILDREN = "children", _("Children and orphans")
    DISABILITY = "disability", _("Disability support")
    EDUCATION = "education", _("Education")
    GOVERNANCE = "governance", _("Community governance")
    EMERGENCY = "emergency", _("Emergency relief")


class FundStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class LeftoverRule(models.TextChoices):
    """What happens to restricted money left when its project ends (the donation agreement decides)."""

    SIMILAR_PURPOSE = "similar", _("Moved to a project with a similar purpose")
    FUND_GENERAL = "general", _("Moved to the fund's general money")


class CommunityFund(models.Model):
    """A street's or community's fund. The federation holds the money (custodian) and approves spending;
    the station raises and requests it (募用分离). A restricted fund spends only on its purpose."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=128)
    division = models.ForeignKey(
        "places.Division", verbose_name=_("street or community"), on_delete=models.PROTECT, related_name="charity_funds"
    )
    custodian = models.ForeignKey(
        "orgs.Organization", verbose_name=_("custodian federation"), on_delete=models.PROTECT, related_name="funds_in_custody"
    )
    station = models.ForeignKey(
        "orgs.Station", verbose_name=_("station"), null=True, blank=True, on_delete=models.PROTECT, related_name="funds"
    )
    restricted = models.BooleanField(_("restricted fund"), default=False)
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices, default=Purpose.GENERAL)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=8, choices=FundStatus.choices, default=FundStatus.OPEN)
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    # Management fee the custodian may take, as a share of income; from unrestricted income only
    # unless the agreement says restricted gifts may carry it too.
    fee_rate = models.DecimalField(_("management fee rate"), max_digits=5, decimal_places=4, default=0)
    fee_on_restricted = models.BooleanField(_("agreement allows a fee on restricted gifts"), default=False)
    # Ledger accounts (liabilities of the custodian to the fund), opened with the fund.
    account = models.OneToOneField(
        "ledger.Account", verbose_name=_("general account"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    goods_account = models.OneToOneField(
        "ledger.Account", verbose_name=_("goods account"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("community fund")
        verbose_name_plural = _("community funds")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(fee_rate__gte=0) & Q(fee_rate__lte="0.2"), name="charity_fund_fee_rate_range"),
            models.CheckConstraint(
                condition=Q(status="open", closed_on__isnull=True) | Q(status="closed", closed_on__isnull=False),
                name="charity_fund_closed_on_iff_closed",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ProjectStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


class Project(models.Model):
    """What a fund pays for. Restricted gifts (定向捐赠) name a project and sit in its own account."""

    fund = models.ForeignKey(CommunityFund, verbose_name=_("fund"), on_delete=models.PROTECT, related_name="projects")
    title = models.CharField(_("title"), max_length=128)
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    description = models.TextField(_("description"), blank=True)
    budget = MoneyField(_("budget"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    status = models.CharField(_("status"), max_length=8, choices=ProjectStatus.choices, default=ProjectStatus.ACTIVE)
    leftover_rule = models.CharField(
        _("leftover rule"), max_length=8, choices=LeftoverRule.choices, default=LeftoverRule.SIMILAR_PURPOSE
    )
    restricted_account = models.OneToOneField(
        "ledger.Account", verbose_name=_("restricted account"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    # A project granted under an agreement (a micro-venture award) is paid only by the agreement's tranches.
    by_agreement = models.BooleanField(_("paid by its grant agreement"), default=False, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["fund", "starts_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="charity_project_period"),
            models.CheckConstraint(condition=Q(budget__gt=0), name="charity_project_budget_positive"),
        ]

    def __str__(self) -> str:
        return self.title
