"""Seed the common regional themes; towns add their own in the admin."""

from django.db import migrations


def load(apps, schema_editor):
    from ekkyo.programmes.themes import THEMES

    Theme = apps.get_model("programmes", "Theme")
    for code, name, name_en in THEMES:
        Theme.objects.update_or_create(code=code, defaults={"name": name, "name_en": name_en})


class Migration(migrations.Migration):
    dependencies = [("programmes", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
