"""Backup and restore (PostgreSQL): a restored copy holds the same register, history and files."""
import os
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from households.models import Household, Member

from . import factories

ROOT = Path(__file__).resolve().parent.parent
TABLES = ("households_household", "households_member", "households_historicalhousehold",
          "households_historicalmember", "villages_village")

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump and pg_restore need PostgreSQL")


def counts(cursor) -> dict:
    result = {}
    for table in TABLES:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (our own table names)
        result[table] = cursor.fetchone()[0]
    return result


@pytest.fixture
def empty_database():
    params = connection.get_connection_params()
    name = f"{settings.DATABASES['default']['NAME']}_restore"
    admin = psycopg2.connect(**{**params, "dbname": "postgres"})
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield name, params
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.mark.django_db(transaction=True)
def test_it_restores_the_register_its_history_and_files(tmp_path, settings, empty_database):
    settings.MEDIA_ROOT = tmp_path / "media"
    photo = settings.MEDIA_ROOT / "visits" / "2026" / "photo.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8 synthetic photo \xff\xd9")
    household = factories.household(members=3)
    household.address = "改后的住址"
    household.save()
    call_command("backup", tmp_path / "backup")
    with connection.cursor() as cursor:
        expected = counts(cursor)
    assert expected["households_historicalhousehold"] >= 2

    name, params = empty_database
    url = f"postgres://{params.get('user', 'postgres')}@{params.get('host', '127.0.0.1')}:{params.get('port', 5432)}/{name}"
    restored_media = tmp_path / "restored-media"
    environment = {**os.environ, "DATABASE_URL": url, "MEDIA_ROOT": str(restored_media)}
    done = subprocess.run([sys.executable, "manage.py", "restore", str(tmp_path / "backup")], cwd=ROOT,
                          env=environment, check=False, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr

    with psycopg2.connect(**{**params, "dbname": name}) as copy, copy.cursor() as cursor:
        assert counts(cursor) == expected
        cursor.execute("SELECT address FROM households_household WHERE number = %s", [household.number])
        assert cursor.fetchone()[0] == "改后的住址"
        cursor.execute("SELECT count(*) FROM households_member WHERE household_id = %s", [household.pk])
        assert cursor.fetchone()[0] == Member.objects.filter(household=household).count() == 3
    assert (restored_media / "visits" / "2026" / "photo.jpg").read_bytes() == photo.read_bytes()
    assert Household.objects.filter(pk=household.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_restore_over_a_register_in_use(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    factories.household()
    call_command("backup", tmp_path / "backup")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", tmp_path / "backup")
    assert Household.objects.count() == 1
