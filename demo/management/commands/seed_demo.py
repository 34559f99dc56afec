"""`manage.py seed_demo`: write the synthetic demo county (see demo/county.py)."""
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from demo.county import DemoError, register_is_empty, seed_demo


class Command(BaseCommand):
    help = "Seed the synthetic demo county (seed 000's figures at --scale 1; --scale 20.4 ≈ 1M persons)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2016, help="random seed (same seed, same county)")
        parser.add_argument("--scale", type=float, default=1.0, help="size relative to seed 000's county")
        parser.add_argument("--if-empty", action="store_true",
                            help="do nothing when townships or households already exist (make run)")
        parser.add_argument("--no-users", action="store_true", help="do not create the demo logins")
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args, seed, scale, if_empty, no_users, batch_size, **options):
        if if_empty and not register_is_empty():
            self.stdout.write("the database already has a county: demo county not seeded")
            return
        try:
            summary = seed_demo(seed, scale, users=not no_users, batch_size=batch_size,
                                progress=self.stdout.write if options["verbosity"] > 1 else None)
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        refresh_planner_statistics()
        for line in summary.lines():
            self.stdout.write(line)


def refresh_planner_statistics():
    """After a bulk load the planner's row estimates are stale until autovacuum runs: refresh them now."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
