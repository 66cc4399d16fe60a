"""The residence funnel model, moved out of programmes without touching the
database: the table keeps its programmes_* name, so only Django's state
changes (programmes 0007 deletes it from programmes' state)."""

import django.db.models.deletion
import django.db.models.manager
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("programmes", "0006_unscoped_manager"),
        ("registry", "0003_municipality_latitude_municipality_longitude"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay as they are (db_table keeps their programmes_* names).
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="FunnelEntry",
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
                            "fiscal_year",
                            models.PositiveSmallIntegerField(verbose_name="fiscal year of arrival"),
                        ),
                        (
                            "stage",
                            models.CharField(
                                choices=[
                                    ("inquiry", "Inquiries"),
                                    ("session", "Information sessions"),
                                    ("visit", "Visits (open school)"),
                                    ("application", "Applications for admission"),
                                    ("admission", "Admissions"),
                                    ("arrival", "Arrivals"),
                                ],
                                max_length=12,
                                verbose_name="stage",
                            ),
                        ),
                        ("month", models.PositiveSmallIntegerField(verbose_name="month")),
                        ("count", models.PositiveIntegerField(default=0, verbose_name="count")),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "consortium",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="registry.consortium",
                            ),
                        ),
                        (
                            "municipality",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="funnel_entries",
                                to="registry.municipality",
                                verbose_name="host municipality",
                            ),
                        ),
                        (
                            "programme",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="funnel_entries",
                                to="programmes.programme",
                                verbose_name="programme",
                            ),
                        ),
                        (
                            "updated_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "funnel entry",
                        "verbose_name_plural": "funnel entries",
                        "db_table": "programmes_funnelentry",
                        "ordering": ["municipality", "fiscal_year", "stage", "month"],
                        "base_manager_name": "_unscoped",
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("programme__isnull", True)),
                                fields=("municipality", "fiscal_year", "stage", "month"),
                                name="funnel_entry_once_for_town",
                            ),
                            models.UniqueConstraint(
                                condition=models.Q(("programme__isnull", False)),
                                fields=(
                                    "municipality",
                                    "fiscal_year",
                                    "stage",
                                    "month",
                                    "programme",
                                ),
                                name="funnel_entry_once_per_programme",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("month__gte", 1), ("month__lte", 12)),
                                name="funnel_month",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("stage", "arrival"), _negated=True),
                                name="funnel_arrivals_are_derived",
                            ),
                        ],
                    },
                    managers=[
                        ("objects", django.db.models.manager.Manager()),
                        ("_unscoped", django.db.models.manager.Manager()),
                    ],
                ),
            ],
        ),
    ]
