from django.urls import path

from . import exports, views

app_name = "households"
urlpatterns = [
    path("", views.HouseholdListView.as_view(), name="list"),
    path("new/", views.household_create, name="create"),
    path("quality/", views.data_quality, name="quality"),
    path("<int:pk>/", views.HouseholdDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.HouseholdEditView.as_view(), name="edit"),
    path("<int:household_pk>/members/new/", views.MemberCreateView.as_view(), name="member_create"),
    path("members/<int:pk>/edit/", views.MemberEditView.as_view(), name="member_edit"),
    path("<int:household_pk>/incomes/new/", views.IncomeCreateView.as_view(), name="income_create"),
    path("incomes/<int:pk>/edit/", views.IncomeEditView.as_view(), name="income_edit"),
    path("export/households.xlsx", exports.HouseholdLedgerView.as_view(), name="export_households"),
    path("export/members.xlsx", exports.MemberLedgerView.as_view(), name="export_members"),
]
