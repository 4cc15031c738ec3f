"""Service certificates (服务证明): what a volunteer's approved hours were, frozen when issued."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from shanlian.core.money import HoursField


class ServiceCertificate(models.Model):
    volunteer = models.ForeignKey("timebank.Volunteer", verbose_name=_("volunteer"), on_delete=models.PROTECT,
                                  related_name="certificates")
    code = models.CharField(_("verification code"), max_length=16, unique=True)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    hours = HoursField(_("hours"))
    # {"by_month": [[YYYY-MM, hours], ...], "by_organizer": [[name, hours, records], ...], "records": n}
    content = models.JSONField()
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    # The client-made id it was asked for with (the API's Idempotency-Key): a retry answers with this certificate.
    idempotency_key = models.CharField(max_length=128, blank=True, editable=False)

    class Meta:
        verbose_name = _("service certificate")
        verbose_name_plural = _("service certificates")
        ordering = ["-issued_at"]
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="timebank_cert_period"),
            models.UniqueConstraint(fields=["volunteer", "idempotency_key"], condition=~Q(idempotency_key=""),
                                    name="timebank_cert_idempotency"),
        ]

    def __str__(self) -> str:
        return self.code
