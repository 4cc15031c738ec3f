"""Read-only: money and hours are changed only by posting entries through ledger.services."""

from django.contrib import admin

from .models import Account, Entry, Posting


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "unit", "type", "guarded", "balance"]
    list_filter = ["unit", "type", "guarded"]
    search_fields = ["code", "name"]


class PostingInline(admin.TabularInline):
    model = Posting
    extra = 0
    can_delete = False
    readonly_fields = ["account", "unit", "amount"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "posted_at", "source", "external_id", "memo", "reverses"]
    search_fields = ["source", "external_id", "memo"]
    inlines = [PostingInline]
