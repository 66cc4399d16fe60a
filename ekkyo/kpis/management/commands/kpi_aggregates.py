"""``ekkyo kpi-aggregates``: recount the dashboards' aggregate rows from the records.

Run once a day (cron or a systemd timer): an ongoing residence reaches a new
month, and every record a new fiscal year, with the calendar alone; KPI ④
is rescored from the annual waves. Also after bulk changes made outside the
pages (SQL, restores). The pages keep the rows current otherwise.
``--enqueue`` puts one job per consortium on the queue instead, for cron:
``15 2 * * * cd /srv/ekkyo && .venv/bin/ekkyo kpi-aggregates --enqueue``.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from ekkyo.jobs.models import JobKind
from ekkyo.jobs.services import job_start
from ekkyo.kpis.aggregates import aggregates_rebuild
from ekkyo.registry.models import Consortium
from ekkyo.tenancy.actor import system_actor
from ekkyo.tenancy.principal import system_scope


class Command(BaseCommand):
    help = "Recount the KPI dashboards' aggregate rows from the participation records."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--consortium", metavar="SLUG", help=_("Only this consortium (default: all).")
        )
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help=_("Put the recount on the background queue (ekkyo worker runs it)."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with system_scope(reason="kpi-aggregates command"):
            consortia = Consortium.objects.order_by("pk")
            if options["consortium"]:
                consortia = consortia.filter(slug=options["consortium"])
                if not consortia.exists():
                    raise CommandError(
                        _("No consortium %(slug)s.") % {"slug": options["consortium"]}
                    )
            if options["enqueue"]:
                actor = system_actor(reason="kpi-aggregates command (cron)")
                for consortium in consortia:
                    job = job_start(
                        actor=actor, kind=JobKind.KPI_RECOUNT, consortium_id=consortium.pk
                    )
                    self.stdout.write(
                        _("%(c)s: queued as job %(id)s") % {"c": consortium.slug, "id": job.pk}
                    )
                return
            for consortium in consortia:
                started = time.perf_counter()
                keys = aggregates_rebuild(consortium)
                self.stdout.write(
                    _("%(c)s: %(n)s keys in %(s).1f s")
                    % {"c": consortium.slug, "n": keys, "s": time.perf_counter() - started}
                )
