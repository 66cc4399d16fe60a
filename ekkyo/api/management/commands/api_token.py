"""``ekkyo api-token``: create, list and revoke integration tokens (a system job).

    ekkyo api-token create --consortium SLUG [--municipality CODE] --name NAME \\
        --scope programmes:read --scope attendance:write [--days 365]
    ekkyo api-token list [--consortium SLUG]
    ekkyo api-token revoke ID

The secret is printed once, on creation; only its hash is stored.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ekkyo.api.models import Scope
from ekkyo.api.selectors import tokens_managed
from ekkyo.api.services import TokenError, api_token_create, api_token_revoke
from ekkyo.registry.models import Consortium, Municipality
from ekkyo.tenancy.access import NotFound
from ekkyo.tenancy.actor import system_actor
from ekkyo.tenancy.principal import system_scope


class Command(BaseCommand):
    help = "Create, list or revoke API tokens (docs/api.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create")
        create.add_argument("--consortium", required=True, help="consortium slug")
        create.add_argument("--municipality", default="", help="town code: a town token")
        create.add_argument("--name", required=True)
        create.add_argument("--scope", action="append", choices=Scope.values, required=True)
        create.add_argument("--days", type=int, default=365, help="days until it expires")
        listing = sub.add_parser("list")
        listing.add_argument("--consortium", default="")
        revoke = sub.add_parser("revoke")
        revoke.add_argument("id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        reason = f"api-token {options['action']}"
        actor = system_actor(reason=reason)
        with system_scope(reason=reason):
            if options["action"] == "create":
                consortium = Consortium.objects.filter(slug=options["consortium"]).first()
                if consortium is None:
                    raise CommandError(f"no consortium {options['consortium']!r}")
                municipality_id = None
                if options["municipality"]:
                    code = options["municipality"]
                    town = Municipality.objects.filter(code__startswith=code[:5]).first()
                    if town is None:
                        raise CommandError(f"no municipality {code!r}")
                    municipality_id = town.pk
                try:
                    created = api_token_create(
                        actor=actor,
                        consortium_id=consortium.pk,
                        municipality_id=municipality_id,
                        name=options["name"],
                        scopes=options["scope"],
                        expires_at=timezone.now() + timedelta(days=options["days"]),
                    )
                except (TokenError, NotFound) as exc:
                    raise CommandError(str(exc) or "not a member town of the consortium") from exc
                self.stdout.write(f"token {created.token.pk}: {created.secret}")
                self.stderr.write("The secret is shown only now; store it in the integration.")
            elif options["action"] == "list":
                qs = tokens_managed(actor=actor)
                if options["consortium"]:
                    qs = qs.filter(consortium__slug=options["consortium"])
                for t in qs:
                    state = "revoked" if t.revoked_at else f"expires {t.expires_at:%Y-%m-%d}"
                    code = t.municipality.code if t.municipality else "-"
                    self.stdout.write(
                        f"{t.pk}\t{t.prefix}…\t{t.consortium.slug}\t{code}\t{t.name}\t"
                        f"{','.join(t.scopes)}\t{state}"
                    )
            else:
                try:
                    api_token_revoke(actor=actor, token_id=options["id"])
                except NotFound as exc:
                    raise CommandError(f"no token {options['id']}") from exc
                self.stdout.write(f"token {options['id']} revoked")
