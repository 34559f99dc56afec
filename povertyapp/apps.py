from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PovertyappConfig(AppConfig):
    name = "povertyapp"
    verbose_name = _("系统与权限")

    def ready(self):
        from .models import LoginFailure
        from .navigation import MenuItem, register_menu_item

        register_menu_item(MenuItem(_("登录安全"), "lockouts", LoginFailure, order=95))
