"""``ekkyo sso-identity``: register, list and remove the Google Workspace
domains and Microsoft tenants of schools and towns (a system job; the page
``/sign-in-identities/`` does the same for their own staff).

    ekkyo sso-identity add --school CODE --google DOMAIN
    ekkyo sso-identity add --town CODE --microsoft TENANT_ID --domain DOMAIN
    ekkyo sso-identity list [--school CODE | --town CODE]
    ekkyo sso-identity remove ID
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ekkyo.accounts.selectors import sso_identities_managed
from ekkyo.accounts.sso_services import sso_identity_add, sso_identity_remove
from ekkyo.core.sso import IdentityError
from ekkyo.registry.models import Municipality
from ekkyo.tenancy.access import NotFound
from ekkyo.tenancy.actor import system_actor
from ekkyo.tenancy.principal import system_scope


def _town_code(code: str) -> str:
    """A 全国地方公共団体コード given with or without its check digit."""
    town = Municipality.objects.filter(code__startswith=code.strip()[:5]).first()
    if town is None:
        raise CommandError(f"no municipality {code!r}")
    return town.code


class Command(BaseCommand):
    help = "Register, list or remove schools' Google / Microsoft sign-in identities."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add")
        owner = add.add_mutually_exclusive_group(required=True)
        owner.add_argument("--school", default="", help="学校コード")
        owner.add_argument("--town", default="", help="全国地方公共団体コード (board of education)")
        which = add.add_mutually_exclusive_group(required=True)
        which.add_argument("--google", default="", metavar="DOMAIN", help="Workspace domain")
        which.add_argument("--microsoft", default="", metavar="TENANT_ID", help="Entra tenant id")
        add.add_argument("--domain", default="", help="e-mail domain (with --microsoft)")
        listing = sub.add_parser("list")
        listing.add_argument("--school", default="")
        listing.add_argument("--town", default="")
        remove = sub.add_parser("remove")
        remove.add_argument("id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        reason = f"sso-identity {options['action']}"
        actor = system_actor(reason=reason)
        with system_scope(reason=reason):
            if options["action"] == "add":
                self._add(actor, options)
            elif options["action"] == "list":
                qs = sso_identities_managed(actor=actor)
                if options["school"]:
                    qs = qs.filter(school__code=options["school"])
                if options["town"]:
                    qs = qs.filter(municipality__code=_town_code(options["town"]))
                for i in qs:
                    owner = i.school.code if i.school else i.municipality.code  # type: ignore[union-attr]
                    self.stdout.write(
                        f"{i.pk}\t{owner}\t{i.provider}\t{i.domain}\t{i.tenant_id or '-'}"
                    )
            else:
                try:
                    sso_identity_remove(actor=actor, identity_id=options["id"])
                except NotFound:
                    raise CommandError(f"no sign-in identity {options['id']}") from None
                self.stdout.write(f"removed {options['id']}")

    def _add(self, actor: Any, options: dict[str, Any]) -> None:
        if options["microsoft"] and not options["domain"]:
            raise CommandError("--microsoft needs --domain (the accounts' e-mail domain)")
        provider = "microsoft" if options["microsoft"] else "google"
        try:
            identity = sso_identity_add(
                actor=actor,
                provider=provider,
                domain=options["domain"] if provider == "microsoft" else options["google"],
                tenant_id=options["microsoft"],
                school_code=options["school"],
                municipality_code=_town_code(options["town"]) if options["town"] else "",
            )
        except IdentityError as exc:
            raise CommandError(exc.problem.render()) from None
        except NotFound:
            raise CommandError(f"no school {options['school']!r}") from None
        self.stdout.write(f"{identity.pk}\t{identity}")
