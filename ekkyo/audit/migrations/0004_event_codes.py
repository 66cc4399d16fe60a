"""Specific event codes ("student.sign_in_code.issue") need a longer column.

On SQLite, altering a column rebuilds the table, which drops its triggers:
the append-only trigger of 0002 is created again right after.
"""

from django.db import migrations, models

SQLITE_TRIGGER = """CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"""


def recreate_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_unscoped_manager"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(db_index=True, max_length=60, verbose_name="event"),
        ),
        migrations.RunPython(recreate_trigger, migrations.RunPython.noop),
    ]
