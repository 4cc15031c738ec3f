"""Login state the platform keeps beside Django's users: one-time codes sent to phones (only their keyed hashes),
and whether a login must choose a new password at its next sign-in."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CodePurpose(models.TextChoices):
    SIGNUP = "signup", _("Sign up")
    RESET = "reset", _("Password reset")


class OneTimeCode(models.Model):
    """A code sent by text message. Neither the phone nor the code is stored: the phone's blind index finds the
    row, the code's keyed hash checks it; a code is used once, expires, and allows a few tries."""

    phone_hash = models.CharField(max_length=64)
    purpose = models.CharField(_("purpose"), max_length=8, choices=CodePurpose.choices)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        indexes = [models.Index(fields=["phone_hash", "purpose", "created_at"], name="accounts_code_phone")]

    def __str__(self) -> str:
        return f"{self.purpose} code {self.pk}"


class LoginState(models.Model):
    """`must_change_password`: an account an administrator made (or reset) signs in once with the password it was
    given, then must choose its own before anything else opens."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_state")
    must_change_password = models.BooleanField(_("must change password"), default=False)
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("login state")
        verbose_name_plural = _("login states")

    def __str__(self) -> str:
        return f"login state of user {self.user_id}"
