"""The allocation, participation and funnel models left programmes' state; their
tables stay (the new apps own them under the same names)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("participation", "0001_initial"),
        ("funnel", "0001_initial"),
        ("allocation", "0001_initial"),
        ("hosting", "0004_hostrequest_stay_moved"),
        ("programmes", "0006_unscoped_manager"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay as they are (db_table keeps their programmes_* names).
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name="application",
                    name="round",
                ),
                migrations.RemoveField(
                    model_name="application",
                    name="placed_programme",
                ),
                migrations.RemoveField(
                    model_name="application",
                    name="school_decided_by",
                ),
                migrations.RemoveField(
                    model_name="application",
                    name="student",
                ),
                migrations.RemoveField(
                    model_name="applicationchoice",
                    name="application",
                ),
                migrations.RemoveField(
                    model_name="applicationchoice",
                    name="programme",
                ),
                migrations.RemoveField(
                    model_name="attendance",
                    name="session",
                ),
                migrations.RemoveField(
                    model_name="attendance",
                    name="student",
                ),
                migrations.RemoveField(
                    model_name="funnelentry",
                    name="consortium",
                ),
                migrations.RemoveField(
                    model_name="funnelentry",
                    name="municipality",
                ),
                migrations.RemoveField(
                    model_name="funnelentry",
                    name="programme",
                ),
                migrations.RemoveField(
                    model_name="funnelentry",
                    name="updated_by",
                ),
                migrations.RemoveField(
                    model_name="reflection",
                    name="programme",
                ),
                migrations.RemoveField(
                    model_name="reflection",
                    name="student",
                ),
                migrations.RemoveField(
                    model_name="residence",
                    name="home_municipality",
                ),
                migrations.RemoveField(
                    model_name="residence",
                    name="host_municipality",
                ),
                migrations.RemoveField(
                    model_name="residence",
                    name="programme",
                ),
                migrations.RemoveField(
                    model_name="residence",
                    name="school",
                ),
                migrations.RemoveField(
                    model_name="residence",
                    name="student",
                ),
                migrations.RemoveField(
                    model_name="seat",
                    name="confirmed_by",
                ),
                migrations.RemoveField(
                    model_name="seat",
                    name="programme",
                ),
                migrations.RemoveField(
                    model_name="seat",
                    name="student",
                ),
                migrations.RemoveField(
                    model_name="stay",
                    name="host_family",
                ),
                migrations.RemoveField(
                    model_name="stay",
                    name="programme",
                ),
                migrations.RemoveField(
                    model_name="stay",
                    name="student",
                ),
                migrations.DeleteModel(
                    name="AllocationRound",
                ),
                migrations.DeleteModel(
                    name="Application",
                ),
                migrations.DeleteModel(
                    name="ApplicationChoice",
                ),
                migrations.DeleteModel(
                    name="Attendance",
                ),
                migrations.DeleteModel(
                    name="FunnelEntry",
                ),
                migrations.DeleteModel(
                    name="Reflection",
                ),
                migrations.DeleteModel(
                    name="Residence",
                ),
                migrations.DeleteModel(
                    name="Seat",
                ),
                migrations.DeleteModel(
                    name="Stay",
                ),
            ],
        ),
    ]
