"""API endpoints for visits and visit photos, scoped like the pages (a pairing cadre: own households only)."""
from django.http import FileResponse
from rest_framework import mixins, viewsets
from rest_framework.decorators import action

from povertyapp.api import AreaScopedMixin, AreaScopedViewSet
from visits.filters import VisitFilterSet
from visits.models import Visit, VisitPhoto

from .serializers import VisitPhotoSerializer, VisitSerializer


class VisitViewSet(AreaScopedViewSet):
    queryset = Visit.objects.select_related("household", "visitor").prefetch_related("photos")
    serializer_class = VisitSerializer
    filterset_class = VisitFilterSet


class VisitPhotoViewSet(AreaScopedMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Photos of visits: upload (JPEG/PNG, checked by content), list, and the image itself at …/content/."""

    queryset = VisitPhoto.objects.all()
    serializer_class = VisitPhotoSerializer
    filterset_fields = ["visit"]

    @action(detail=True)
    def content(self, request, pk=None):
        photo = self.get_object()
        return FileResponse(photo.image.open("rb"), content_type=photo.content_type)
