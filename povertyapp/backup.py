"""Backup and restore: the database as a pg_dump custom-format file, and the media folder as a tar archive.

A backup is a folder holding `database.dump` and `media.tar`. Restoring needs an empty database (created with
`createdb`) and an empty or missing media folder; it never writes over a register that is in use.
"""
import os
import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
from django.db import connections

DATABASE_FILE, MEDIA_FILE = "database.dump", "media.tar"


class BackupError(RuntimeError):
    pass


def _libpq_env(alias: str = "default") -> dict:
    """PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE of a configured database, for pg_dump and pg_restore."""
    database = settings.DATABASES[alias]
    if database["ENGINE"] != "django.db.backends.postgresql":
        raise BackupError("backup and restore work on PostgreSQL (the quick start's SQLite file is copied as it is)")
    values = {
        "PGHOST": database.get("HOST"), "PGPORT": database.get("PORT"), "PGUSER": database.get("USER"),
        "PGPASSWORD": database.get("PASSWORD"), "PGDATABASE": database["NAME"],
    }
    return {**os.environ, **{key: str(value) for key, value in values.items() if value}}


def backup(folder: Path, alias: str = "default") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    dump, media = folder / DATABASE_FILE, folder / MEDIA_FILE
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}"], env=_libpq_env(alias), check=True)
    with tarfile.open(media, "w") as archive:
        root = Path(settings.MEDIA_ROOT)
        if root.exists():
            archive.add(root, arcname=".")
    return [dump, media]


def restore(folder: Path, alias: str = "default") -> None:
    dump, media = folder / DATABASE_FILE, folder / MEDIA_FILE
    if not dump.exists() or not media.exists():
        raise BackupError(f"{folder} holds no backup ({DATABASE_FILE} and {MEDIA_FILE})")
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
        if cursor.fetchone()[0]:
            raise BackupError("the database is not empty: restore only into a new database (createdb)")
    connections[alias].close()
    root = Path(settings.MEDIA_ROOT)
    if root.exists() and any(root.iterdir()):
        raise BackupError(f"the media folder {root} is not empty")
    subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_libpq_env(alias)['PGDATABASE']}",
                    str(dump)], env=_libpq_env(alias), check=True)
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(media) as archive:
        archive.extractall(root, filter="data")
