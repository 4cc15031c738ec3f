"""Read-only: charity money changes only through charity.services (and so through the ledger).
Staff use the admin to look and to find, never to edit a gift, payout or receipt."""

from django.contrib import admin

from shanlian.ledger.admin import ReadOnlyAdmin

from .models import Campaign, CommunityFund, Donation, MatchPool, Payout, PayoutLine, Project, Receipt


@admin.register(CommunityFund)
class CommunityFundAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "custodian", "station", "restricted", "purpose", "status"]
    list_filter = ["status", "restricted", "purpose"]
    search_fields = ["code", "name"]
    list_select_related = ["custodian", "station"]


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ["title", "fund", "purpose", "budget", "starts_on", "ends_on", "status"]
    list_filter = ["status", "purpose"]
    search_fields = ["title", "fund__name"]
    list_select_related = ["fund"]


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ["slug", "title", "organizer", "goal", "starts_at", "ends_at", "status"]
    list_filter = ["status"]
    search_fields = ["slug", "title"]


@admin.register(MatchPool)
class MatchPoolAdmin(ReadOnlyAdmin):
    list_display = ["sponsor_name", "campaign", "ratio", "total_cap", "matched_total", "active"]


@admin.register(Donation)
class DonationAdmin(ReadOnlyAdmin):
    list_display = ["id", "received_at", "fund", "channel", "amount", "donor_name", "status"]
    list_filter = ["channel", "status"]
    search_fields = ["external_id", "donor_name"]
    list_select_related = ["fund"]
    date_hierarchy = "received_at"


class PayoutLineInline(admin.TabularInline):
    model = PayoutLine
    extra = 0
    can_delete = False
    readonly_fields = ["item", "amount"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ["id", "title", "fund", "amount", "status", "requested_by", "decided_by", "paid_at"]
    list_filter = ["status"]
    search_fields = ["title", "payee"]
    list_select_related = ["fund", "requested_by", "decided_by"]
    inlines = [PayoutLineInline]


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ["display_number", "issuer", "amount", "donor_name", "status", "issued_at"]
    list_filter = ["status", "year"]
    search_fields = ["verification_code", "donor_name"]
    list_select_related = ["issuer"]
