from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = _("入户走访")
    url_prefix = "visits/"

    def ready(self):
        from povertyapp.api import register_route
        from povertyapp.navigation import MenuItem, Panel, register_menu_item, register_panel

        from .api import views as api
        from .models import Visit
        from .views import household_panel

        register_menu_item(MenuItem(_("入户走访"), "visits:mine", Visit, order=30))
        register_menu_item(MenuItem(_("走访覆盖"), "visits:coverage", Visit, order=31))
        register_panel("household", Panel("visits/household_panel.html", household_panel, order=20))
        register_route("visits", api.VisitViewSet)
        register_route("visit-photos", api.VisitPhotoViewSet)
