"""One BodyRegion row per Region choice."""

from django.db import migrations

REGIONS = ["cervical", "thoracic", "lumbar", "core", "pelvis", "hips", "shoulders", "knees", "ankles"]


def add_regions(apps, schema_editor):
    BodyRegion = apps.get_model("programs", "BodyRegion")
    BodyRegion.objects.bulk_create([BodyRegion(code=code) for code in REGIONS], ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("programs", "0001_library")]
    operations = [migrations.RunPython(add_regions, migrations.RunPython.noop)]
