"""Bulk loading without a save() per row: COPY on PostgreSQL (psycopg2 copy_expert), executemany elsewhere.

copy_rows appends rows to any table; Staging is a temporary table typed like model
fields, for set-based INSERT … SELECT / UPDATE … FROM statements and joins.
"""
import csv
import io
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models

COPY_CHUNK_CHARS = 4_000_000  # text per COPY round trip: bounds memory whatever the row width
COPY_NULL = r"\N"  # None travels as this marker; FORCE_NULL turns it into NULL even though csv quotes it


def qn(name: str) -> str:
    return connection.ops.quote_name(name)


def copy_rows(cursor, table: str, columns: list[str], rows) -> None:
    """Append `rows` (plain values; JSON already as text) to `table`: COPY on PostgreSQL, executemany elsewhere.

    COPY reads CSV written by the csv module (C speed); strings are quoted, so "" stays an empty string.
    """
    names = ", ".join(qn(column) for column in columns)
    if connection.vendor != "postgresql":
        placeholders = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {qn(table)} ({names}) VALUES ({placeholders})", list(rows))
        return
    sql = f"COPY {qn(table)} ({names}) FROM STDIN WITH (FORMAT csv, NULL '{COPY_NULL}', FORCE_NULL ({names}))"
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC)
    for row in rows:
        writer.writerow([COPY_NULL if value is None else value for value in row])
        if buffer.tell() > COPY_CHUNK_CHARS:
            _send(cursor, sql, buffer)
    if buffer.tell():
        _send(cursor, sql, buffer)


def _send(cursor, sql: str, buffer: io.StringIO) -> None:
    buffer.seek(0)
    cursor.copy_expert(sql, buffer)
    buffer.seek(0)
    buffer.truncate()


def as_json(value) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


class Staging:
    """A temporary table with columns typed like model fields, dropped on exit."""

    def __init__(self, cursor, name: str, columns: list[tuple[str, models.Field]]):
        self.cursor, self.name, self.columns = cursor, name, [column for column, _field in columns]
        definition = ", ".join(f"{qn(column)} {field.db_type(connection)}" for column, field in columns)
        cursor.execute(f"DROP TABLE IF EXISTS {qn(name)}")
        cursor.execute(f"CREATE TEMPORARY TABLE {qn(name)} ({definition})")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cursor.execute(f"DROP TABLE {qn(self.name)}")

    def load(self, rows) -> None:
        copy_rows(self.cursor, self.name, self.columns, rows)
