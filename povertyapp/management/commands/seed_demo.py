"""`manage.py seed_demo`: write the synthetic demo county (see povertyapp/demo.py)."""
from django.core.management.base import BaseCommand, CommandError

from households.models import Household
from povertyapp.demo import DemoError, seed_demo


class Command(BaseCommand):
    help = "Seed the synthetic demo county (seed 000's figures at --scale 1; --scale 20 ≈ 1M persons)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2016, help="random seed (same seed, same county)")
        parser.add_argument("--scale", type=float, default=1.0, help="size relative to seed 000's county")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when households already exist")
        parser.add_argument("--no-users", action="store_true", help="do not create the demo logins")
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args, seed, scale, if_empty, no_users, batch_size, **options):
        if if_empty and Household.objects.exists():
            self.stdout.write("households already exist: demo county not seeded")
            return
        verbose = options["verbosity"] > 1
        try:
            summary = seed_demo(seed, scale, users=not no_users, batch_size=batch_size,
                                progress=self.stdout.write if verbose else None)
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        for line in summary.lines():
            self.stdout.write(line)
