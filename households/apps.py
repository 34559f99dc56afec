from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HouseholdsConfig(AppConfig):
    name = "households"
    verbose_name = _("建档立卡户")

    def ready(self):
        from povertyapp.navigation import MenuItem, register_menu_item

        from .models import Household

        register_menu_item(MenuItem(_("贫困户"), "households:list", Household, order=10))
