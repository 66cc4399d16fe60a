"""The access matrix (route × roles × grant level), read from the views'
own declarations (``require_roles(..., grant=)``, ``@public_route``).

The declarations are the one place; ``docs/access.md`` is generated from them
by ``ekkyo access-matrix`` and a test keeps the two the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, resolve

from ekkyo.tenancy.access import Grant
from ekkyo.tenancy.principal import Role

THIRD_PARTY = ("account_", "mfa_", "admin:", "set_language", "socialaccount_")
_PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")

GRANT_TEXT = {
    Grant.FULL: "full",
    Grant.HOSTING: "hosting",
    Grant.NONE: "none",
}


def _walk(patterns: list[Any], prefix: str = "", ns: str = "") -> Iterator[tuple[str, str]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            sub_ns = f"{ns}:{p.namespace}" if ns and p.namespace else (p.namespace or ns)
            yield from _walk(p.url_patterns, prefix + str(p.pattern), sub_ns or "")
        elif isinstance(p, URLPattern):
            name = f"{ns}:{p.name}" if ns and p.name else (p.name or ns + ":")
            yield prefix + str(p.pattern), name


def routes() -> list[tuple[str, str, Any]]:
    """(route, url name, view) for every route of ours."""
    found = []
    for route, name in sorted(set(_walk(get_resolver().url_patterns))):
        if name.startswith(THIRD_PARTY):
            continue
        path = "/" + _PARAM.sub("1", route)
        found.append((route, name, resolve(path).func))
    return found


def matrix_markdown() -> str:
    """The matrix as a Markdown table (the body of docs/access.md's table)."""
    lines = [
        "| route | name | roles | grant |",
        "| --- | --- | --- | --- |",
    ]
    for route, name, view in routes():
        grant = getattr(view, "ekkyo_grant", None)
        roles = getattr(view, "ekkyo_roles", None)
        if roles is None:
            role_text = "UNDECLARED"
        elif not roles:
            role_text = "anyone"
        elif set(roles) == set(Role):
            role_text = "anyone signed in"
        else:
            role_text = ", ".join(r.value for r in Role if r in roles)
        grant_text = GRANT_TEXT.get(grant, "UNDECLARED") if grant is not None else "UNDECLARED"
        scopes = getattr(view, "ekkyo_api_scopes", None)
        if scopes:  # an API route: the token's role and the scope it needs
            role_text += " (API token: " + ", ".join(f"`{s}`" for s in sorted(scopes)) + ")"
        lines.append(f"| `/{route}` | `{name}` | {role_text} | {grant_text} |")
    return "\n".join(lines) + "\n"
