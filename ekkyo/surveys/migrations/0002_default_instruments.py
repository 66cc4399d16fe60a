"""Register the shipped default instruments (student-2026, adult-2026)."""

from django.db import migrations


def load(apps, schema_editor):
    from ekkyo.core.instrument import (
        DEFAULT_INSTRUMENTS,
        default_instrument_path,
        load_instrument,
    )

    InstrumentVersion = apps.get_model("surveys", "InstrumentVersion")
    for name in DEFAULT_INSTRUMENTS:
        text = default_instrument_path(name).read_text(encoding="utf-8")
        inst = load_instrument(text)
        InstrumentVersion.objects.get_or_create(
            code=inst.code,
            version=inst.version,
            defaults={
                "fingerprint": inst.fingerprint,
                "audience": inst.audience,
                "title": inst.title_ja,
                "title_en": inst.title_en,
                "source_yaml": text,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
