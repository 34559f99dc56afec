from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from povertyapp.backup import BackupError, backup


class Command(BaseCommand):
    requires_system_checks = []  # a backup or restore must work whatever state the code is in
    help = "Back up the database (pg_dump) and the media folder into FOLDER."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)

    def handle(self, folder, **options):
        try:
            files = backup(folder)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for path in files:
            self.stdout.write(f"{path} ({path.stat().st_size:,} bytes)")
