"""HostRequest.stay now points at participation.Stay: the same table
(programmes_stay), so the foreign key in the database stays as it is."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("hosting", "0003_unscoped_manager"),
        ("participation", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # Same table (programmes_stay): the foreign key in the database is unchanged.
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="hostrequest",
                    name="stay",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="host_requests",
                        to="participation.stay",
                    ),
                ),
            ],
        ),
    ]
