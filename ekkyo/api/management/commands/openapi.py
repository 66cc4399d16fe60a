"""``ekkyo openapi``: print the API's OpenAPI document (``docs/openapi.json``)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print the OpenAPI schema of /api/v1/ (commit it as docs/openapi.json)."

    def handle(self, *args: Any, **options: Any) -> None:
        from ekkyo.api.views import openapi_schema

        self.stdout.write(json.dumps(openapi_schema(), indent=2, ensure_ascii=False))
