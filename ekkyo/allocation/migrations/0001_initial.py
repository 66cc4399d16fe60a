"""The allocation models, moved out of programmes without touching the database:
the tables keep their programmes_* names, so only Django's state changes
(programmes 0007 deletes them from programmes' state)."""

import django.db.models.deletion
import django.db.models.manager
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("people", "0005_oneroster"),
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
                    name="AllocationRound",
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
                        ("name", models.CharField(max_length=120, verbose_name="name")),
                        (
                            "fiscal_year",
                            models.PositiveSmallIntegerField(verbose_name="fiscal year"),
                        ),
                        (
                            "max_choices",
                            models.PositiveSmallIntegerField(
                                default=3, verbose_name="choices per student"
                            ),
                        ),
                        ("opens_at", models.DateTimeField(verbose_name="applications open")),
                        ("closes_at", models.DateTimeField(verbose_name="applications close")),
                        (
                            "prefer_first_time",
                            models.BooleanField(
                                default=True, verbose_name="first-time participants first"
                            ),
                        ),
                        (
                            "prefer_small_schools",
                            models.BooleanField(
                                default=True, verbose_name="students of small schools first"
                            ),
                        ),
                        (
                            "small_school_size",
                            models.PositiveIntegerField(
                                default=100, verbose_name="small school: at most this many students"
                            ),
                        ),
                        (
                            "spread_municipalities",
                            models.BooleanField(
                                default=True, verbose_name="spread seats across home municipalities"
                            ),
                        ),
                        ("lottery_seed", models.PositiveIntegerField(verbose_name="lottery seed")),
                        (
                            "notice_version",
                            models.CharField(
                                default="2026-04",
                                max_length=30,
                                verbose_name="consent notice version",
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("draft", "Being prepared"),
                                    ("open", "Open for applications"),
                                    ("closed", "Closed, not yet allocated"),
                                    ("allocated", "Allocated, not yet published"),
                                    ("published", "Results published"),
                                ],
                                default="draft",
                                max_length=12,
                            ),
                        ),
                        ("allocated_at", models.DateTimeField(blank=True, null=True)),
                        ("published_at", models.DateTimeField(blank=True, null=True)),
                        ("summary", models.JSONField(blank=True, default=dict)),
                        (
                            "consortium",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="rounds",
                                to="registry.consortium",
                            ),
                        ),
                        (
                            "previous_round",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="second_rounds",
                                to="allocation.allocationround",
                                verbose_name="second round of",
                            ),
                        ),
                        (
                            "programmes",
                            models.ManyToManyField(
                                related_name="rounds",
                                to="programmes.programme",
                                verbose_name="programmes",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "allocation round",
                        "verbose_name_plural": "allocation rounds",
                        "db_table": "programmes_allocationround",
                        "ordering": ["-opens_at"],
                    },
                ),
                migrations.CreateModel(
                    name="Application",
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
                            "status",
                            models.CharField(
                                choices=[
                                    ("draft", "Not yet submitted"),
                                    ("submitted", "Submitted"),
                                    ("withdrawn", "Withdrawn"),
                                    ("placed", "Seat offered"),
                                    ("waitlisted", "On the waiting list"),
                                    ("not_placed", "No seat this round"),
                                    ("excluded", "Not considered"),
                                ],
                                default="draft",
                                max_length=12,
                                verbose_name="status",
                            ),
                        ),
                        (
                            "submitted_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="submitted"),
                        ),
                        (
                            "school_decision",
                            models.CharField(
                                choices=[
                                    ("pending", "Waiting for the school"),
                                    ("approved", "Approved by the school"),
                                    ("declined", "Declined by the school"),
                                ],
                                default="pending",
                                max_length=10,
                                verbose_name="school decision",
                            ),
                        ),
                        ("school_decided_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "school_note",
                            models.CharField(
                                blank=True, max_length=300, verbose_name="note from the school"
                            ),
                        ),
                        ("outcome", models.JSONField(blank=True, default=dict, verbose_name="why")),
                        ("version", models.PositiveIntegerField(default=0)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "placed_programme",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="programmes.programme",
                            ),
                        ),
                        (
                            "round",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="applications",
                                to="allocation.allocationround",
                            ),
                        ),
                        (
                            "school_decided_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "student",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="applications",
                                to="people.student",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "application",
                        "verbose_name_plural": "applications",
                        "db_table": "programmes_application",
                        "base_manager_name": "_unscoped",
                    },
                    managers=[
                        ("objects", django.db.models.manager.Manager()),
                        ("_unscoped", django.db.models.manager.Manager()),
                    ],
                ),
                migrations.CreateModel(
                    name="ApplicationChoice",
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
                        ("rank", models.PositiveSmallIntegerField(verbose_name="rank")),
                        (
                            "answers",
                            models.JSONField(blank=True, default=dict, verbose_name="answers"),
                        ),
                        (
                            "application",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="choices",
                                to="allocation.application",
                            ),
                        ),
                        (
                            "programme",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="choices",
                                to="programmes.programme",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "choice",
                        "verbose_name_plural": "choices",
                        "db_table": "programmes_applicationchoice",
                        "ordering": ["application", "rank"],
                    },
                ),
                migrations.CreateModel(
                    name="Seat",
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
                            "source",
                            models.CharField(
                                choices=[
                                    ("allocation", "Allocation"),
                                    ("manual", "Confirmed by staff"),
                                ],
                                max_length=12,
                            ),
                        ),
                        ("confirmed_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("cancelled_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "confirmed_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "programme",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="seats",
                                to="programmes.programme",
                            ),
                        ),
                        (
                            "student",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="seats",
                                to="people.student",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "seat",
                        "verbose_name_plural": "seats",
                        "db_table": "programmes_seat",
                    },
                ),
                migrations.AddConstraint(
                    model_name="allocationround",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("closes_at__gt", models.F("opens_at"))),
                        name="round_window",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="allocationround",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("max_choices__gte", 1), ("max_choices__lte", 20)),
                        name="round_choices",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="application",
                    constraint=models.UniqueConstraint(
                        fields=("round", "student"), name="one_application_per_round"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="applicationchoice",
                    constraint=models.UniqueConstraint(
                        fields=("application", "rank"), name="choice_rank_unique"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="applicationchoice",
                    constraint=models.UniqueConstraint(
                        fields=("application", "programme"), name="choice_programme_unique"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="seat",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(("cancelled_at__isnull", True)),
                        fields=("programme", "student"),
                        name="one_active_seat_per_student_and_programme",
                    ),
                ),
            ],
        ),
    ]
