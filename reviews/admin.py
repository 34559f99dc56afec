"""Admin: cases read-only (steps are taken on the review pages, where the workflow's guards apply)."""
from django.contrib import admin

from povertyapp.admin import RestrictedAdmin

from .models import Case, CaseStep, Objection


class ReadOnlyAdmin(RestrictedAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CaseStepInline(admin.TabularInline):
    model = CaseStep
    extra = 0
    fields = ["created_at", "step", "from_state", "to_state", "outcome", "decided_on", "actor", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["household", "kind", "year", "state", "created_by", "created_at"]
    list_filter = ["kind", "state", "year"]
    search_fields = ["household__number"]
    list_select_related = ["household", "created_by"]
    inlines = [CaseStepInline]


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyAdmin):
    list_display = ["case", "raised_on", "outcome", "resolved_on"]
    list_filter = ["outcome"]
    list_select_related = ["case__household"]
