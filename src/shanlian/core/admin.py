from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import AuditLog

admin.site.site_header = _("Shanlian administration")
admin.site.site_title = _("Shanlian")


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """Read-only: the audit log is evidence and is never edited."""

    list_display = ["at", "actor", "action", "object_type", "object_id", "ip", "via"]
    list_filter = ["action", "via"]
    search_fields = ["action", "object_type", "object_id"]
    list_select_related = ["actor"]
    date_hierarchy = "at"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
