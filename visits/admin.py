from django.contrib import admin

from povertyapp.admin import RestrictedAdmin

from .models import Visit, VisitPhoto, VisitPolicy


@admin.register(VisitPolicy)
class VisitPolicyAdmin(RestrictedAdmin):
    list_display = ["county", "interval_days", "max_households_per_cadre"]


class PhotoInline(admin.TabularInline):
    model = VisitPhoto
    extra = 0
    fields = ["image", "content_type", "size", "uploaded_at"]
    readonly_fields = fields  # photos are added on the visit pages or the API, where their content is checked

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Visit)
class VisitAdmin(RestrictedAdmin):
    list_display = ["household", "visitor", "kind", "status", "planned_date", "actual_date"]
    list_filter = ["status", "kind"]
    search_fields = ["household__number", "visitor__name"]
    date_hierarchy = "planned_date"
    raw_id_fields = ["household", "visitor"]
    readonly_fields = ["recorded_by", "created_at", "updated_at"]
    inlines = [PhotoInline]
