from django.contrib import admin

from povertyapp.admin import RestrictedAdmin
from povertyapp.resources import ScopedImportExportMixin

from .models import AreaCode, Cadre, County, FirstSecretaryPosting, Township, Village, VillageGroup, VillagePopulation, WorkTeamMembership
from .resources import CadreResource, FirstSecretaryPostingResource, VillageResource, WorkTeamMembershipResource


@admin.register(County)
class CountyAdmin(RestrictedAdmin):
    list_display = ["name", "code", "province_threshold_percent"]


@admin.register(AreaCode)
class AreaCodeAdmin(RestrictedAdmin):
    list_display = ["code", "name", "county", "used_from", "used_until"]
    search_fields = ["code", "name"]


@admin.register(Township)
class TownshipAdmin(RestrictedAdmin):
    list_display = ["name", "code", "county"]
    search_fields = ["name", "code"]


class PopulationInline(admin.TabularInline):
    model = VillagePopulation
    extra = 0


@admin.register(Village)
class VillageAdmin(ScopedImportExportMixin, RestrictedAdmin):
    resource_classes = [VillageResource]
    list_display = ["name", "code", "township", "is_poor", "planned_exit_year", "exit_year"]
    list_filter = ["is_poor", "township"]
    search_fields = ["name", "code"]
    inlines = [PopulationInline]


@admin.register(VillageGroup)
class VillageGroupAdmin(RestrictedAdmin):
    list_display = ["name", "village"]
    search_fields = ["name", "village__name"]


@admin.register(Cadre)
class CadreAdmin(ScopedImportExportMixin, RestrictedAdmin):
    resource_classes = [CadreResource]
    list_display = ["name", "work_unit", "phone"]
    search_fields = ["name", "work_unit"]


@admin.register(FirstSecretaryPosting)
class FirstSecretaryPostingAdmin(ScopedImportExportMixin, RestrictedAdmin):
    resource_classes = [FirstSecretaryPostingResource]
    list_display = ["cadre", "village", "start_date", "end_date"]
    autocomplete_fields = ["cadre", "village"]


@admin.register(WorkTeamMembership)
class WorkTeamMembershipAdmin(ScopedImportExportMixin, RestrictedAdmin):
    resource_classes = [WorkTeamMembershipResource]
    list_display = ["cadre", "village", "duty", "start_date", "end_date"]
    autocomplete_fields = ["cadre", "village"]
