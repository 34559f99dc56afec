from django.urls import path

from . import views

app_name = "exits"
urlpatterns = [
    path("", views.RunListView.as_view(), name="runs"),
    path("<int:pk>/", views.RunDetailView.as_view(), name="run"),
    path("<int:pk>/progress/", views.run_progress, name="progress"),
    path("<int:pk>/retry/", views.run_retry, name="retry"),
    path("areas/", views.areas, name="areas"),
    path("rules/", views.rules_page, name="rules"),
    path("rules/lines/new/", views.PovertyLineCreateView.as_view(), name="line_create"),
    path("rules/lines/<int:pk>/edit/", views.PovertyLineEditView.as_view(), name="line_edit"),
    path("rules/indicators/new/", views.VillageIndicatorCreateView.as_view(), name="indicator_create"),
    path("rules/indicators/<int:pk>/edit/", views.VillageIndicatorEditView.as_view(), name="indicator_edit"),
    path("rules/thresholds/<int:pk>/edit/", views.ExitThresholdEditView.as_view(), name="threshold_edit"),
]
