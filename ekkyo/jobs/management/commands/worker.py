"""``ekkyo worker``: run the background-job queue (django-tasks' database worker).

Every task runs a :class:`~ekkyo.jobs.models.Job` inside ``system_scope``
with a system actor carrying the initiating user (``jobs.services.job_run``).
``--batch`` works through what is queued and stops (CI, cron); without it the
worker polls every ``--interval`` seconds until it is stopped (SIGINT/SIGTERM
finish the running task first). Run N of them for N jobs at once.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the background-job queue (django-tasks database worker)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="Run what is queued, then stop.")
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between polls when idle."
        )
        parser.add_argument("--queue-name", default="default", help="Queues, comma-separated.")

    def handle(self, *args: Any, **options: Any) -> None:
        # No autoreload (a task is never cut off by a code change); a batch
        # run starts at once.
        extra = ["--no-reload"]
        if options["batch"]:
            extra += ["--batch", "--no-startup-delay"]
        call_command(
            "db_worker",
            "--queue-name",
            options["queue_name"],
            "--interval",
            str(options["interval"]),
            *extra,
            verbosity=options["verbosity"],
        )
