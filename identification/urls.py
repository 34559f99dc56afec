from django.urls import path

from . import views

app_name = "identification"
urlpatterns = [
    path("", views.RoundListView.as_view(), name="list"),
    path("upload/", views.round_upload, name="upload"),
    path("template.xlsx", views.template_download, name="template"),
    path("<int:pk>/", views.RoundDetailView.as_view(), name="detail"),
    path("<int:pk>/progress/", views.round_progress, name="progress"),
    path("<int:pk>/commit/", views.round_commit, name="commit"),
    path("<int:pk>/retry/", views.round_retry, name="retry"),
    path("<int:pk>/errors.xlsx", views.error_report, name="error_report"),
    path("<int:pk>/snapshot/", views.round_snapshot, name="snapshot"),
    path("<int:pk>/compare/", views.round_compare, name="compare"),
]
