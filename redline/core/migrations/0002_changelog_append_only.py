"""Make the change log append-only in the database itself, not only in Python.

PostgreSQL refuses UPDATE and DELETE of log rows; SQLite refuses UPDATE (its
DELETE stays possible because the test harness empties tables with DELETE).
"""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION core_changelog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'core_changelog is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_changelog_no_update BEFORE UPDATE OR DELETE ON core_changelog
    FOR EACH ROW EXECUTE FUNCTION core_changelog_append_only();
"""
PG_REVERSE = """
DROP TRIGGER IF EXISTS core_changelog_no_update ON core_changelog;
DROP FUNCTION IF EXISTS core_changelog_append_only();
"""
SQLITE_FORWARD = """
CREATE TRIGGER core_changelog_no_update BEFORE UPDATE ON core_changelog
BEGIN SELECT RAISE(ABORT, 'core_changelog is append-only (UPDATE refused)'); END;
"""
SQLITE_REVERSE = "DROP TRIGGER IF EXISTS core_changelog_no_update;"


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)


def reverse(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_REVERSE)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_REVERSE)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(forward, reverse)]
