from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HouseholdsConfig(AppConfig):
    name = "households"
    verbose_name = _("建档立卡户")

    def ready(self):
        from povertyapp.navigation import MenuItem, register_list_action, register_menu_item

        from .models import Household, Member

        register_menu_item(MenuItem(_("贫困户"), "households:list", Household, order=10))
        register_menu_item(MenuItem(_("数据质量"), "households:quality", Household, order=80))

        register_list_action(
            "household", MenuItem(_("导出户台账"), "households:export_households", Household, personal_data=True)
        )
        register_list_action(
            "household", MenuItem(_("导出成员台账"), "households:export_members", Member, personal_data=True)
        )
