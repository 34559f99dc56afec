"""Plan a visit for every paired household that has no open plan (Celery beat also runs this nightly)."""
from django.core.management.base import BaseCommand
from django.utils import timezone

from visits.rules import schedule_unplanned


class Command(BaseCommand):
    help = "为有在帮结对但没有待走访计划的户安排走访(按各县走访周期)。"

    def handle(self, *args, **options):
        created = schedule_unplanned(timezone.localdate())
        self.stdout.write(f"planned {created} visits")
