"""Content types of the models that moved to allocation, participation and
funnel follow them (app_label changes; ids stay), so permissions and anything
keyed by content type keep resolving. On a fresh database there is nothing to
move: content types are created after the migrations."""

from django.db import migrations

MOVED = {
    "allocation": ["allocationround", "application", "applicationchoice", "seat"],
    "participation": ["stay", "residence", "attendance", "reflection"],
    "funnel": ["funnelentry"],
}


def _move(apps, schema_editor, forward: bool) -> None:  # type: ignore[no-untyped-def]
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for new_label, models in MOVED.items():
        old, new = ("programmes", new_label) if forward else (new_label, "programmes")
        for model in models:
            if ContentType.objects.using(db).filter(app_label=new, model=model).exists():
                continue  # already there (e.g. created by a migrate that ran before)
            ContentType.objects.using(db).filter(app_label=old, model=model).update(app_label=new)


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    _move(apps, schema_editor, forward=True)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    _move(apps, schema_editor, forward=False)


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("programmes", "0007_models_moved_out"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
