from django.contrib import admin

from povertyapp.admin import RestrictedAdmin
from povertyapp.resources import ScopedImportExportMixin

from .models import Household, IncomeRecord, Member, Pairing
from .resources import PairingResource


class MemberInline(admin.TabularInline):
    model = Member
    extra = 0
    fields = ["name", "id_number", "relation", "health", "is_active"]


@admin.register(Household)
class HouseholdAdmin(RestrictedAdmin):
    list_display = ["number", "village", "status", "attribute", "main_cause"]
    list_filter = ["status", "attribute", "main_cause"]
    search_fields = ["number"]
    list_select_related = ["village"]
    autocomplete_fields = ["village"]
    inlines = [MemberInline]


@admin.register(Member)
class MemberAdmin(RestrictedAdmin):
    list_display = ["name", "household", "relation", "sex", "birth_date", "is_active"]
    search_fields = ["name", "id_number", "household__number"]
    list_select_related = ["household"]
    raw_id_fields = ["household"]


@admin.register(IncomeRecord)
class IncomeRecordAdmin(RestrictedAdmin):
    list_display = ["household", "year", "wage_income", "business_income", "production_expenses"]
    list_filter = ["year"]
    raw_id_fields = ["household"]


@admin.register(Pairing)
class PairingAdmin(ScopedImportExportMixin, RestrictedAdmin):
    resource_classes = [PairingResource]
    list_display = ["cadre", "household", "start_date", "end_date"]
    raw_id_fields = ["household"]
    autocomplete_fields = ["cadre"]
