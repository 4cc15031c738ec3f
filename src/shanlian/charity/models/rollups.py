"""Roll-ups the database keeps for the public pages: read in a few rows instead of thousands of gifts."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class FundIncomeMonth(models.Model):
    """A fund's confirmed gifts of one month (Asia/Shanghai) and channel, and those gifts' matches (not
    refunded): what `fund_disclosure` shows as income by month and by source, summed as whole fen.

    Kept by the database, not by Python: on PostgreSQL statement-level triggers (with transition tables)
    on `charity_donation` and `charity_matchgift` add each statement's change, so every path that writes
    gifts (the services, a bulk import's INSERT ... SELECT or COPY, a shell) keeps it right; on SQLite row
    triggers do the same (charity migration 0004, which also fills it from the existing gifts). A row is
    exactly `SUM(ROUND(amount * 100))` and `COUNT(*)` of its gifts; rows whose gifts were all refunded
    stay with zeros."""

    # The unique key (fund, month, channel) is the fund's index.
    fund = models.ForeignKey("charity.CommunityFund", verbose_name=_("fund"), on_delete=models.PROTECT, related_name="+",
                             db_index=False)
    month = models.DateField(_("month"))  # its first day
    channel = models.CharField(_("channel"), max_length=8)
    fen = models.BigIntegerField(_("gifts (fen)"), default=0)
    gifts = models.BigIntegerField(_("gifts"), default=0)
    match_fen = models.BigIntegerField(_("matches (fen)"), default=0)
    matches = models.BigIntegerField(_("matches"), default=0)

    class Meta:
        verbose_name = _("fund income by month")
        verbose_name_plural = _("fund income by month")
        constraints = [models.UniqueConstraint(fields=["fund", "month", "channel"], name="charity_income_month_key")]

    def __str__(self) -> str:
        return f"{self.fund_id} {self.month:%Y-%m} {self.channel}: {self.fen}"
