"""Admin for exit rules (county staff) and a read-only view of runs."""
from django.contrib import admin

from povertyapp.admin import RestrictedAdmin

from .models import EligibilityRun, PovertyLine, VillageIndicator, VillageIndicatorValue


@admin.register(PovertyLine)
class PovertyLineAdmin(RestrictedAdmin):
    list_display = ["year", "kind", "amount", "verified", "note"]
    list_filter = ["kind", "verified"]


@admin.register(VillageIndicator)
class VillageIndicatorAdmin(RestrictedAdmin):
    list_display = ["name", "code", "requires_amount", "minimum_amount", "counts", "order"]


@admin.register(VillageIndicatorValue)
class VillageIndicatorValueAdmin(RestrictedAdmin):
    list_display = ["village", "indicator", "year", "met", "amount"]
    list_filter = ["indicator", "year"]
    search_fields = ["village__name", "village__code"]
    autocomplete_fields = ["village"]


@admin.register(EligibilityRun)
class EligibilityRunAdmin(RestrictedAdmin):
    list_display = [
        "pk", "year", "township", "state", "households_checked", "households_passed", "households_not_assessable",
        "created_at",
    ]
    list_filter = ["state", "year"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
