from django.contrib import admin

from .models import DonationPoint, Organization, Station


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "credit_code", "grade", "grade_valid_until", "is_agency", "is_charity_federation"]
    list_filter = ["kind", "grade", "is_agency", "is_charity_federation", "public_fundraising"]
    search_fields = ["name", "credit_code", "name_initials"]
    list_select_related = ["division"]
    readonly_fields = ["credit_code", "name_initials", "name_pinyin", "created_at"]
    raw_id_fields = ["division"]


class DonationPointInline(admin.TabularInline):
    model = DonationPoint
    extra = 0


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    list_display = ["name", "street", "agency", "contract_start", "contract_end"]
    search_fields = ["name", "street__name", "agency__name"]
    list_select_related = ["street", "agency"]
    raw_id_fields = ["street", "agency"]
    inlines = [DonationPointInline]
