"""/api/v1/: the routes apps registered (povertyapp.api.register_route), token login and the OpenAPI schema.

The root, token, schema and docs views show no register data (public_view); the
schema and docs still require a signed-in user.
"""
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import routers
from rest_framework.permissions import IsAuthenticated
from rest_framework.authtoken.views import ObtainAuthToken

from .api import routes
from .views import public_view

app_name = "api"


class TokenView(ObtainAuthToken):
    """Token login under the same lockout as the form: django-axes marks the Django request, not DRF's wrapper."""

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "request": self.request._request}


class ApiRootView(routers.APIRootView):
    public_view = True  # links to the endpoints, no data


router = routers.DefaultRouter()
router.APIRootView = ApiRootView
for route in routes():
    router.register(route.prefix, route.viewset, route.basename)

signed_in = [IsAuthenticated]

urlpatterns = [
    *router.urls,
    path("auth/token/", public_view(TokenView.as_view()), name="token"),
    path("schema/", public_view(SpectacularAPIView.as_view(permission_classes=signed_in)), name="schema"),
    path(
        "docs/",
        public_view(SpectacularSwaggerSplitView.as_view(url_name="api:schema", permission_classes=signed_in)),
        name="docs",
    ),
]
