from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentificationConfig(AppConfig):
    name = "identification"
    verbose_name = _("识别批次导入")
    url_prefix = "identification/"

    def ready(self):
        from povertyapp.navigation import MenuItem, register_menu_item

        from .models import IdentificationRound

        register_menu_item(MenuItem(_("识别批次"), "identification:list", IdentificationRound, order=25))
