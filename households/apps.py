from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HouseholdsConfig(AppConfig):
    name = "households"
    verbose_name = _("建档立卡户")
    url_prefix = "households/"

    def ready(self):
        from povertyapp.access import register_paired_lookup
        from povertyapp.api import register_route
        from povertyapp.navigation import MenuItem, Panel, register_list_action, register_menu_item, register_panel
        from villages.models import register_figures

        from . import hooks
        from .api import views as api
        from .models import Household, Member
        from .views import village_panel

        register_menu_item(MenuItem(_("贫困户"), "households:list", Household, order=10))
        register_menu_item(MenuItem(_("数据质量"), "households:quality", Household, order=80))

        register_list_action(
            "household", MenuItem(_("导出户台账"), "households:export_households", Household, personal_data=True)
        )
        register_list_action(
            "household", MenuItem(_("导出成员台账"), "households:export_members", Member, personal_data=True)
        )
        register_panel("village", Panel("households/village_panel.html", village_panel, order=90))
        register_route("households", api.HouseholdViewSet)
        register_route("members", api.MemberViewSet)
        register_route("pairings", api.PairingViewSet)
        register_paired_lookup(hooks.paired_ids)
        register_figures(hooks.village_figures)
