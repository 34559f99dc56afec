"""Admin: staff keep Django's admin, narrowed by the same restrict() as every page."""
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import PersonalDataAccess, StaffProfile


class RestrictedAdmin(SimpleHistoryAdmin):
    """A ModelAdmin whose lists and forms only hold what the user's area allows."""

    def get_queryset(self, request):
        return super().get_queryset(request).restrict(request.user, "view")

    def history_view(self, request, object_id, extra_context=None):
        if not hasattr(self.model, "history"):  # no simple-history table: Django's own action log
            return admin.ModelAdmin.history_view(self, request, object_id, extra_context)
        return super().history_view(request, object_id, extra_context)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field.queryset, "restrict"):
            field.queryset = field.queryset.restrict(request.user, "change")
        return field


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "township", "village", "cadre"]
    list_filter = ["role"]
    autocomplete_fields = ["user", "township", "village", "cadre"]


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(admin.ModelAdmin):
    list_display = ["accessed_at", "user", "channel", "object_type", "record_count"]
    list_filter = ["channel", "object_type"]
    readonly_fields = [f.name for f in PersonalDataAccess._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
