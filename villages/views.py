"""Village list and page: households, persons, poor persons (supplied by the register) and incidence."""
from django.utils.translation import gettext as _

from povertyapp.history import Related, record_log
from povertyapp import views as generic
from povertyapp.navigation import render_panels

from .filters import VillageFilterSet
from .models import FirstSecretaryPosting, Village, WorkTeamMembership


def village_history(village):
    """The village from its creation, with its first-secretary postings and work team, newest first."""
    return record_log(village, [
        Related(FirstSecretaryPosting, "village", lambda row: f"{_('第一书记任职')} {getattr(row.cadre, 'name', '')}"),
        Related(WorkTeamMembership, "village", lambda row: f"{_('驻村工作队')} {getattr(row.cadre, 'name', '')}"),
    ])


class VillageListView(generic.ObjectListView):
    queryset = Village.objects.all()
    filterset_class = VillageFilterSet
    page_name = "village"
    template_name = "villages/village_list.html"
    paginate_by = 100

    def decorate(self, queryset):
        return queryset.with_figures()


class VillageDetailView(generic.ObjectDetailView):
    """The village with its figures; the register lists its households in a panel (households.views)."""

    queryset = Village.objects.all()
    template_name = "villages/village_detail.html"

    def get_queryset(self):
        return super().get_queryset().with_figures()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        village = self.object
        context.update(
            secretaries=village.secretary_postings.select_related("cadre").order_by("-start_date"),
            team=village.team_memberships.active().select_related("cadre").order_by("duty", "cadre__name"),
            populations=village.populations.all()[:5],
            panels=render_panels("village", self.request, village),
            history=village_history(village),
        )
        return context
