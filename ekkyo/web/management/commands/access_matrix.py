"""``ekkyo access-matrix``: print the route × role × grant matrix (Markdown)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ekkyo.web.access_matrix import matrix_markdown


class Command(BaseCommand):
    help = "Print every route with the roles and the grant level it declares (Markdown)."

    def handle(self, *args: Any, **opts: Any) -> None:
        self.stdout.write(matrix_markdown(), ending="")
