"""Load the 47 prefectures (JIS X 0401) from the functional core's table."""

from django.db import migrations


def load(apps, schema_editor):
    from ekkyo.core.prefectures import PREFECTURES

    Prefecture = apps.get_model("registry", "Prefecture")
    for p in PREFECTURES:
        Prefecture.objects.update_or_create(
            code=p.code,
            defaults={
                "name": p.name_ja,
                "name_en": p.name_en,
                "name_kana": p.name_kana,
                "region": p.region.name_ja,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
