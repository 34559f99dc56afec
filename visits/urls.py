from django.urls import path

from . import views

app_name = "visits"
urlpatterns = [
    path("", views.MyHouseholdsView.as_view(), name="mine"),
    path("records/", views.VisitListView.as_view(), name="list"),
    path("records/<int:pk>/", views.VisitDetailView.as_view(), name="detail"),
    path("records/<int:pk>/reschedule/", views.reschedule, name="reschedule"),
    path("records/<int:pk>/need-met/", views.resolve_need, name="resolve_need"),
    path("households/<int:pk>/", views.HouseholdVisitsView.as_view(), name="household"),
    path("households/<int:household_pk>/record/", views.record, name="record"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("coverage/", views.coverage_report, name="coverage"),
]
