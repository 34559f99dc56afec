"""The project URLconf: the floor's own pages, then every installed app that declares a `url_prefix` on its
AppConfig, its `urls` module mounted there. INSTALLED_APPS stays the one list of apps; the floor names none."""
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy

from . import health, security, views

admin.site.site_header = gettext_lazy("精准扶贫管理系统 · 管理后台")
admin.site.site_title = gettext_lazy("精准扶贫管理系统")

urlpatterns = [
    path("accounts/login/", views.public_view(auth_views.LoginView.as_view()), name="login"),
    path("accounts/logout/", views.public_view(auth_views.LogoutView.as_view()), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("security/lockouts/", security.lockouts, name="lockouts"),
    path("security/unlock/", security.unlock, name="unlock"),
    path("api/v1/", include("povertyapp.api_urls")),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    *(
        path(config.url_prefix, include(f"{config.name}.urls"))
        for config in apps.get_app_configs() if hasattr(config, "url_prefix")
    ),
]
