from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "shanlian.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .backends import reset_phone_failures
        from .middleware import note_at_sign_in

        user_logged_in.connect(note_at_sign_in, dispatch_uid="accounts.note_at_sign_in")
        user_logged_in.connect(reset_phone_failures, dispatch_uid="accounts.reset_phone_failures")
