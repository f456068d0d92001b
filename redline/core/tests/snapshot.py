"""A test database's contents, kept and put back.

The browser journeys each start from the small demo city. Building it takes half a minute of
CPU (seven years of sentinel counts, detection runs, accidents, training), so each test
process builds it once, keeps a snapshot, and puts the snapshot back before each journey:
the same rows, the same primary keys, the same sequences, as if built again.

SQLite copies the whole database with its backup API, both ways. PostgreSQL copies each
table's rows out and back with COPY in one transaction (Django's foreign keys are deferred,
so the order of tables does not matter), after emptying every table, then sets each sequence
past the rows it numbered.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, transaction


@dataclass
class Snapshot:
    sqlite: sqlite3.Connection | None = None
    tables: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def take(cls) -> Snapshot:
        connection.ensure_connection()
        if connection.vendor == "sqlite":
            kept = sqlite3.connect(":memory:", check_same_thread=False)
            connection.connection.backup(kept)
            return cls(sqlite=kept)
        if connection.vendor != "postgresql":
            raise RuntimeError(f"the suite runs on SQLite or PostgreSQL, not {connection.vendor}")
        tables: dict[str, bytes] = {}
        with connection.cursor() as cursor:
            for table in _tables():
                with cursor.cursor.copy(f'COPY "{table}" TO STDOUT') as copy:
                    rows = b"".join(bytes(block) for block in copy)
                if rows:
                    tables[table] = rows
        return cls(tables=tables)

    def restore(self) -> None:
        """Replace the database's contents with the snapshot's."""
        connection.ensure_connection()
        if self.sqlite is not None:
            self.sqlite.backup(connection.connection)
            return
        style = no_style()
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in connection.ops.sql_flush(
                style, _tables(), reset_sequences=False, allow_cascade=True
            ):
                cursor.execute(statement)
            for table, rows in self.tables.items():
                with cursor.cursor.copy(f'COPY "{table}" FROM STDIN') as copy:
                    copy.write(rows)
            models = apps.get_models(include_auto_created=True)
            for statement in connection.ops.sequence_reset_sql(style, models):
                cursor.execute(statement)


def _tables() -> list[str]:
    return sorted(connection.introspection.django_table_names(only_existing=True))
