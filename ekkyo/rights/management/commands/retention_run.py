"""``ekkyo retention-run [--dry-run] [--consortium SLUG]``: carry out approved
deletion requests and enforce the retention periods.

Run it once a day (cron or a systemd timer), like ``ekkyo kpi-aggregates``.
Each consortium gets a RetentionRun row (the proof it ran, shown to its
secretariat) and a ``retention.run`` audit event. ``--dry-run`` deletes
nothing and reports what would go.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ekkyo.registry.models import Consortium
from ekkyo.rights.retention_services import retention_run
from ekkyo.tenancy.actor import system_actor
from ekkyo.tenancy.principal import system_scope


class Command(BaseCommand):
    help = "Carry out approved deletion requests and delete records past their retention period."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count only; delete nothing.")
        parser.add_argument(
            "--consortium", metavar="SLUG", help="Only this consortium (default: all)."
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        reason = "retention-run command" + (" (dry run)" if opts["dry_run"] else "")
        consortia = Consortium.objects.order_by("pk")
        if opts["consortium"]:
            consortia = consortia.filter(slug=opts["consortium"])
            if not consortia.exists():
                raise CommandError(f"--consortium {opts['consortium']}: no such consortium")
        failed = 0
        with system_scope(reason=reason):
            for consortium in consortia:
                self.stdout.write(f"{consortium.slug}:")
                actor = system_actor(reason=reason, consortium_id=consortium.pk)
                try:
                    run = retention_run(
                        actor=actor,
                        consortium_id=consortium.pk,
                        dry_run=opts["dry_run"],
                        progress=self.stdout.write,
                    )
                except Exception as exc:  # recorded on the run; go on with the next consortium
                    failed += 1
                    self.stderr.write(f"{consortium.slug}: failed: {exc}")
                    continue
                self.stdout.write(
                    self.style.SUCCESS(
                        f"{consortium.slug}: run {run.pk}"
                        + (" (dry run)" if run.dry_run else "")
                        + f": {len(run.requests)} request(s), "
                        + f"{run.total} record(s) past their period"
                    )
                )
        if failed:
            raise CommandError(f"{failed} consortium run(s) failed; see the runs' errors")
