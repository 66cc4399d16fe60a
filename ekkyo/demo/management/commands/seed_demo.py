"""``ekkyo seed-demo``: build the deterministic synthetic demo consortium."""

from __future__ import annotations

import resource
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ekkyo.demo.services import DEMO_SLUG, demo_reset, demo_seed
from ekkyo.registry.models import Consortium


class Command(BaseCommand):
    help = "Create the synthetic demo consortium (fictional towns, schools and people)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--students", type=int, default=10_000)
        parser.add_argument("--schools", type=int, default=100)
        parser.add_argument("--municipalities", type=int, default=44)
        parser.add_argument("--prefectures", type=int, default=18)
        parser.add_argument("--seed", type=int, default=2025)
        parser.add_argument("--reset", action="store_true", help="Remove earlier demo data first.")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if the demo already exists."
        )
        parser.add_argument("--force", action="store_true", help="Allow in production mode.")

    def handle(self, *args: Any, **opts: Any) -> None:
        if settings.PRODUCTION and not opts["force"]:
            raise CommandError("Refusing to load demo data in production (use --force).")
        exists = Consortium.objects.filter(slug=DEMO_SLUG).exists()
        if exists and opts["if_empty"]:
            self.stdout.write("Demo consortium already present; nothing to do.")
            return
        if exists and not opts["reset"]:
            raise CommandError("The demo consortium exists already; use --reset to rebuild it.")
        started = time.perf_counter()
        if exists:
            self.stdout.write("Removing the earlier demo data…")
            demo_reset()
        try:
            summary = demo_seed(
                students=opts["students"],
                schools=opts["schools"],
                municipalities=opts["municipalities"],
                prefectures=opts["prefectures"],
                seed=opts["seed"],
                reference_date=timezone.localdate(),
                progress=lambda msg: self.stdout.write(
                    f"  {msg}  [{time.perf_counter() - started:.1f} s]"
                ),
            )
        except ValueError as exc:  # impossible sizes: say which
            raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo consortium: {summary.members} members in {summary.prefectures} "
                f"prefectures, {summary.schools} schools, {summary.students} students, "
                f"{summary.guardians} guardians, {summary.staff} staff "
                f"in {elapsed:.1f} s (peak memory {peak_mib:.0f} MiB)."
            )
        )
