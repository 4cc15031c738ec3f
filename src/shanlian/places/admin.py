from django.contrib import admin

from .models import Division


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["name", "code", "name_initials"]
    list_select_related = ["parent"]
    readonly_fields = ["path", "name_initials"]
    raw_id_fields = ["parent"]
