from django.urls import path

from . import views

app_name = "reviews"
urlpatterns = [
    path("", views.index, name="index"),
    path("waiting/<str:state>/", views.WaitingListView.as_view(), name="waiting"),
    path("notice/", views.notice_list, name="notice_list"),
    path("cases/<int:pk>/", views.CaseDetailView.as_view(), name="case"),
    path("cases/<int:pk>/steps/<str:step>/", views.take_step, name="step"),
    path("cases/<int:pk>/objections/new/", views.raise_objection, name="objection"),
    path("objections/<int:pk>/resolve/", views.resolve_objection, name="resolve_objection"),
    path("steps/<int:pk>/attachment/", views.attachment, name="attachment"),
    path("households/<int:household_pk>/propose/<str:kind>/", views.propose, name="propose"),
    path("runs/<int:pk>/propose/", views.propose_from_run, name="propose_from_run"),
    path("identification-rounds/<int:pk>/propose/", views.propose_from_round, name="propose_from_round"),
]
