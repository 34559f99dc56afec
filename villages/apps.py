from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VillagesConfig(AppConfig):
    name = "villages"
    verbose_name = _("乡镇与村")

    def ready(self):
        from povertyapp.navigation import MenuItem, register_menu_item

        from .models import Village

        register_menu_item(MenuItem(_("行政村"), "villages:list", Village, order=20))

        from povertyapp.navigation import register_list_action

        register_list_action("village", MenuItem(_("导出村台账"), "villages:export_villages", Village))
