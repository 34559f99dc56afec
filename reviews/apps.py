from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("两审核一公示一公告")
    url_prefix = "reviews/"

    def ready(self):
        from povertyapp.api import register_route
        from povertyapp.navigation import MenuItem, Panel, register_menu_item, register_panel

        from .api import views as api
        from .models import Case
        from .views import household_panel

        register_menu_item(MenuItem(_("审核公示"), "reviews:index", Case, order=40))
        register_panel("household", Panel("reviews/household_panel.html", household_panel, order=20))
        register_route("review-cases", api.CaseViewSet)
