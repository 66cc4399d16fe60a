"""The participation models, moved out of programmes without touching the
database: the tables keep their programmes_* names, so only Django's state
changes (programmes 0007 deletes them from programmes' state)."""

import django.db.models.deletion
import django.db.models.manager
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("hosting", "0003_unscoped_manager"),
        ("people", "0005_oneroster"),
        ("programmes", "0006_unscoped_manager"),
        ("registry", "0003_municipality_latitude_municipality_longitude"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay as they are (db_table keeps their programmes_* names).
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Attendance",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "minutes",
                            models.PositiveIntegerField(
                                blank=True, null=True, verbose_name="minutes"
                            ),
                        ),
                        (
                            "source",
                            models.CharField(
                                choices=[
                                    ("manual", "Entered by hand"),
                                    ("zoom", "Zoom report"),
                                    ("teams", "Microsoft Teams report"),
                                    ("meet", "Google Meet report"),
                                ],
                                default="manual",
                                max_length=10,
                            ),
                        ),
                        ("recorded_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "session",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="attendance",
                                to="programmes.session",
                            ),
                        ),
                        (
                            "student",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="attendance",
                                to="people.student",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "attendance",
                        "verbose_name_plural": "attendance",
                        "db_table": "programmes_attendance",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("session", "student"), name="attendance_once"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Reflection",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "about_other_region",
                            models.TextField(
                                verbose_name="What did you learn about the region you visited?"
                            ),
                        ),
                        (
                            "about_own_region",
                            models.TextField(
                                verbose_name="What did you notice about your own region?"
                            ),
                        ),
                        ("submitted_at", models.DateTimeField(auto_now=True)),
                        (
                            "programme",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="reflections",
                                to="programmes.programme",
                            ),
                        ),
                        (
                            "student",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="reflections",
                                to="people.student",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "reflection",
                        "verbose_name_plural": "reflections",
                        "db_table": "programmes_reflection",
                        "base_manager_name": "_unscoped",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("student", "programme"), name="one_reflection"
                            )
                        ],
                    },
                    managers=[
                        ("objects", django.db.models.manager.Manager()),
                        ("_unscoped", django.db.models.manager.Manager()),
                    ],
                ),
                migrations.CreateModel(
                    name="Residence",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "home_country",
                            models.CharField(
                                default="JP", max_length=2, verbose_name="home country"
                            ),
                        ),
                        ("start", models.DateField(verbose_name="start")),
                        ("end", models.DateField(blank=True, null=True, verbose_name="end")),
                        (
                            "home_municipality",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="registry.municipality",
                            ),
                        ),
                        (
                            "host_municipality",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="registry.municipality",
                            ),
                        ),
                        (
                            "programme",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="residences",
                                to="programmes.programme",
                            ),
                        ),
                        (
                            "school",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="residents",
                                to="registry.school",
                            ),
                        ),
                        (
                            "student",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="residences",
                                to="people.student",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "residence",
                        "verbose_name_plural": "residences",
                        "db_table": "programmes_residence",
                        "ordering": ["start"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("end__isnull", True),
                                    ("end__gte", models.F("start")),
                                    _connector="OR",
                                ),
                                name="residence_dates",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Stay",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("arrival", models.DateField(verbose_name="arrival")),
                        ("departure", models.DateField(verbose_name="departure")),
                        ("cancelled", models.BooleanField(default=False, verbose_name="cancelled")),
                        ("health_encrypted", models.TextField(blank=True, editable=False)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "host_family",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="stays",
                                to="hosting.hostfamily",
                                verbose_name="host family",
                            ),
                        ),
                        (
                            "programme",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="stays",
                                to="programmes.programme",
                            ),
                        ),
                        (
                            "student",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="stays",
                                to="people.student",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "stay",
                        "verbose_name_plural": "stays",
                        "db_table": "programmes_stay",
                        "ordering": ["arrival"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("departure__gte", models.F("arrival"))),
                                name="stay_dates",
                            )
                        ],
                    },
                ),
            ],
        ),
    ]
