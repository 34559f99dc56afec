from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy

from . import health, security, views
from .dashboard import home

admin.site.site_header = gettext_lazy("精准扶贫管理系统 · 管理后台")
admin.site.site_title = gettext_lazy("精准扶贫管理系统")

urlpatterns = [
    path("", home, name="home"),
    path("accounts/login/", views.public_view(auth_views.LoginView.as_view()), name="login"),
    path("accounts/logout/", views.public_view(auth_views.LogoutView.as_view()), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("security/lockouts/", security.lockouts, name="lockouts"),
    path("security/unlock/", security.unlock, name="unlock"),
    path("households/", include("households.urls")),
    path("villages/", include("villages.urls")),
    path("visits/", include("visits.urls")),
    path("reviews/", include("reviews.urls")),
    path("exits/", include("exits.urls")),
    path("identification/", include("identification.urls")),
    path("api/v1/", include("povertyapp.api_urls")),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
]
