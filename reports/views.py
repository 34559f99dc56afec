"""The start page: the user's area in figures, from the register and the area tree.

Four aggregate queries, each read from an index where PostgreSQL can (COUNT(*), not COUNT(id); the partial
index on active members): households per status, persons, poor persons, villages.
"""
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import render

from households.choices import Status
from households.models import Household, Member
from povertyapp.views import area_scoped
from villages.models import Village


@area_scoped
@login_required
def home(request):
    by_status = dict(
        Household.objects.restrict(request.user).order_by().values_list("status").annotate(n=Count("*"))
    )
    # Two counts rather than one GROUP BY household status: the poor persons' join then hashes only the
    # poor households (measured faster on a county of a million persons).
    members = Member.objects.restrict(request.user).active()
    villages = Village.objects.restrict(request.user).aggregate(
        all=Count("pk"), poor=Count("pk", filter=Q(is_poor=True))
    )
    context = {
        "household_count": sum(by_status.values()),
        "poor_household_count": sum(by_status.get(s, 0) for s in Status.poor()),
        "status_rows": [(label, by_status.get(value, 0)) for value, label in Status.choices],
        "person_count": members.count(),
        "poor_person_count": members.filter(household__status__in=Status.poor()).count(),
        "village_count": villages["all"],
        "poor_village_count": villages["poor"],
        "profile": getattr(request.user, "staff_profile", None),
    }
    return render(request, "reports/home.html", context)
