"""Staff repairs. Personal identifiers appear masked only; they are changed through the pages' services."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, Person, RoleGrant


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["real_name", "division", "masked_resident_id", "masked_phone", "user"]
    search_fields = ["real_name", "name_initials"]
    list_select_related = ["division", "user"]
    raw_id_fields = ["division", "user"]
    fields = ["real_name", "gender", "birth_year", "division", "user", "masked_resident_id", "masked_phone"]
    readonly_fields = ["masked_resident_id", "masked_phone", "birth_year"]

    @admin.display(description=_("resident ID"))
    def masked_resident_id(self, obj: Person) -> str:
        return obj.resident_id_masked

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: Person) -> str:
        return obj.phone_masked

    def has_add_permission(self, request, obj=None):
        return False  # people are registered through the pages, which validate and encrypt


@admin.register(RoleGrant)
class RoleGrantAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "scope_kind", "division", "organization", "station", "granted_at", "revoked_at"]
    list_filter = ["role", "scope_kind"]
    list_select_related = ["user", "division", "organization", "station"]
    readonly_fields = [f.name for f in RoleGrant._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False  # grants go through people.services.role_grant, which checks the granter's scope


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]
