from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from povertyapp.backup import BackupError, restore


class Command(BaseCommand):
    requires_system_checks = []  # a backup or restore must work whatever state the code is in
    help = "Restore a backup FOLDER into an empty database (createdb first) and an empty media folder."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)

    def handle(self, folder, **options):
        try:
            restore(folder)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored {folder}")
