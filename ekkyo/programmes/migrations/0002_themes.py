"""Seed the common regional themes; towns add their own in the admin."""

from django.db import migrations

THEMES = [
    ("agriculture", "農業", "Agriculture"),
    ("fisheries", "漁業", "Fisheries"),
    ("forestry", "林業", "Forestry"),
    ("disaster", "防災", "Disaster preparedness"),
    ("tourism", "観光", "Tourism"),
    ("welfare", "福祉", "Welfare"),
    ("community", "まちづくり", "Community development"),
    ("environment", "環境", "Environment"),
    ("culture", "伝統文化", "Traditional culture"),
    ("ict", "ICT・デジタル", "ICT and digital"),
    ("international", "国際交流", "International exchange"),
    ("education", "教育", "Education"),
]


def load(apps, schema_editor):
    Theme = apps.get_model("programmes", "Theme")
    for code, name, name_en in THEMES:
        Theme.objects.update_or_create(code=code, defaults={"name": name, "name_en": name_en})


class Migration(migrations.Migration):
    dependencies = [("programmes", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
