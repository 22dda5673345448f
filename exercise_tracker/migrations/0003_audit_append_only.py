"""The audit table refuses UPDATE and DELETE at the database (PostgreSQL), and keeps the
client's X-Request-ID beside the server's request id."""

from django.db import migrations, models

FUNCTION = "exercise_tracker_audit_append_only"
TRIGGER = "exercise_tracker_auditevent_append_only"
TABLE = "exercise_tracker_auditevent"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite (a laptop): the model's save() and delete() refuse instead
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION USING
                MESSAGE = 'audit events are append-only: ' || TG_OP || ' refused',
                ERRCODE = 'insufficient_privilege';
        END;
        $$ LANGUAGE plpgsql
        """
    )
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE}")
    schema_editor.execute(
        f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


class Migration(migrations.Migration):
    dependencies = [("exercise_tracker", "0002_idempotency")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="client_request_id",
            field=models.CharField(
                blank=True,
                default="",
                help_text="X-Request-ID as the client sent it.",
                max_length=64,
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="request_id",
            field=models.CharField(blank=True, help_text="Made by the server.", max_length=64),
        ),
        migrations.RunPython(forwards, backwards),
    ]
