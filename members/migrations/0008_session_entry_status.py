# An entry's status: what the member stated of each exercise (done, partly, skipped).

from django.db import migrations, models


def status_from_done(apps, schema_editor):
    # Entries logged before: the API then took every entry sent as done unless it said
    # done=false; keep that reading.
    SessionEntry = apps.get_model("members", "SessionEntry")
    SessionEntry.objects.filter(done=False).update(status="skipped")


class Migration(migrations.Migration):

    dependencies = [
        ("members", "0007_member_conditions_and_precautions"),
    ]

    operations = [
        migrations.AddField(
            model_name="sessionentry",
            name="status",
            field=models.CharField(
                choices=[("done", "Done"), ("partial", "Partly"), ("skipped", "Skipped")],
                default="done",
                max_length=8,
            ),
            preserve_default=False,
        ),
        migrations.RunPython(status_from_done, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="sessionentry",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["done", "partial", "skipped"])),
                name="session_entry_status_valid",
            ),
        ),
    ]
