from django.urls import path

from . import exports, views

app_name = "villages"
urlpatterns = [
    path("", views.VillageListView.as_view(), name="list"),
    path("<int:pk>/", views.VillageDetailView.as_view(), name="detail"),
    path("export/villages.xlsx", exports.VillageLedgerView.as_view(), name="export_villages"),
]
