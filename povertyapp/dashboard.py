"""The start page: the user's area in figures."""
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import render

from households.choices import Status
from households.models import Household, Member
from villages.models import Village

from .views import area_scoped


@area_scoped
@login_required
def home(request):
    households = Household.objects.restrict(request.user)
    by_status = dict(households.order_by().values_list("status").annotate(n=Count("pk")))
    members = Member.objects.restrict(request.user).active()
    villages = Village.objects.restrict(request.user)
    context = {
        "household_count": sum(by_status.values()),
        "poor_household_count": sum(by_status.get(s, 0) for s in Status.poor()),
        "status_rows": [(label, by_status.get(value, 0)) for value, label in Status.choices],
        "person_count": members.count(),
        "poor_person_count": members.filter(household__status__in=Status.poor()).count(),
        "village_count": villages.count(),
        "poor_village_count": villages.filter(is_poor=True).count(),
        "profile": getattr(request.user, "staff_profile", None),
    }
    return render(request, "home.html", context)
