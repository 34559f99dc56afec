from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExitsConfig(AppConfig):
    name = "exits"
    verbose_name = _("退出检测")
    url_prefix = "exits/"

    def ready(self):
        from povertyapp.api import register_route
        from povertyapp.navigation import MenuItem, Panel, register_menu_item, register_panel

        from .api import views as api
        from .models import EligibilityRun
        from .views import household_panel, village_panel

        register_menu_item(MenuItem(_("退出检测"), "exits:runs", EligibilityRun, order=35))
        register_panel("household", Panel("exits/household_panel.html", household_panel, order=10))
        register_panel("village", Panel("exits/village_panel.html", village_panel, order=10))
        register_route("exit-runs", api.EligibilityRunViewSet)
