from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VillagesConfig(AppConfig):
    name = "villages"
    verbose_name = _("乡镇与村")
    url_prefix = "villages/"

    def ready(self):
        from povertyapp.api import register_route
        from povertyapp.navigation import MenuItem, register_list_action, register_menu_item

        from .api import views as api
        from .models import Village

        register_menu_item(MenuItem(_("行政村"), "villages:list", Village, order=20))
        register_list_action("village", MenuItem(_("导出村台账"), "villages:export_villages", Village))
        register_route("townships", api.TownshipViewSet)
        register_route("villages", api.VillageViewSet)
        register_route("cadres", api.CadreViewSet)
