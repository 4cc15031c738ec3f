from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupworkConfig(AppConfig):
    name = "shanlian.groupwork"
    label = "groupwork"
    verbose_name = _("Group and community work")
