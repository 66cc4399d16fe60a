"""The architecture, enforced: layers, doors, and where unscoped queries live.

- ``ekkyo.core`` imports no Django (the functional core);
- ``ekkyo.tenancy`` and ``ekkyo.audit`` import no app (they are below them);
- no app imports another app's private names (``from ekkyo.x.y import _z``);
- the KPIs sit above the programme apps: ``kpis`` reads programmes,
  allocation, participation and funnel, whose services, selectors and models
  never import ``ekkyo.kpis`` (they announce changes by events the KPI
  aggregates listen to); only their views, which compose pages, may read a
  KPI figure (the funnel page shows the town's KPI ① target);
- no ORM write in a view, form or template-tag module: writes go through
  services (doors) that take an explicit actor;
- ``_unscoped`` only in services, selectors and models (tenancy filters), the
  demo seeder and management commands (system jobs), each use in a service or
  selector with a ``# safe:`` comment saying why;
- ``audit_record`` never sees an HttpRequest.

The checks read the source with ``ast``; ``test_a_breach_is_caught`` proves
each check fails on a deliberate breach.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "ekkyo"
APPS = sorted(
    p.name
    for p in PKG.iterdir()
    if p.is_dir() and (p / "apps.py").exists() and p.name not in {"tenancy", "audit"}
)
WRITE_METHODS = {
    "save",
    "create",
    "update",
    "delete",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
    "select_for_update",
}
RELATED_WRITES = {"add", "remove", "set", "clear"}


def _modules() -> Iterator[tuple[Path, str]]:
    for path in sorted(PKG.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        yield path, path.read_text(encoding="utf-8")


def _rel(path: Path) -> str:
    return str(path.relative_to(PKG.parent))


def _imports(tree: ast.AST) -> Iterator[tuple[int, str, list[str]]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module, [a.name for a in node.names]


def is_view_like(path: Path) -> bool:
    name = path.name
    return (
        ("views" in name and name.endswith(".py"))
        or name == "forms.py"
        or "templatetags" in path.parts
    )


# Modules that are doors under another name (workflow services, importers,
# report selectors): they may use _unscoped, with a "# safe:" comment each.
DOOR_MODULES = {
    "allocation/services.py",
    "participation/services.py",
    "kpis/aggregates.py",
    "kpis/kpi4.py",
    "surveys/imports.py",
    "surveys/reports.py",
}


def is_door_module(path: Path) -> bool:
    rel = "/".join(path.relative_to(PKG).parts)
    if path.relative_to(PKG).parts[0] == "demo":
        return False  # the demo seeder is a system job as a whole
    return (
        path.stem in {"services", "selectors"}
        or path.stem.endswith(("_services", "_selectors"))
        or path.parent.name in {"services", "selectors"}
        or rel in DOOR_MODULES
    )


def unscoped_allowed(path: Path) -> bool:
    parts = path.relative_to(PKG).parts
    return (
        is_door_module(path)
        or path.stem == "models"  # tenancy filters and managers
        or parts[0] == "demo"  # the synthetic seeder runs as a system job
        or "management" in parts  # commands run in an explicit system scope
    )


BELOW_KPIS = {"programmes", "allocation", "participation", "funnel"}


def layer_breaches(path: Path, source: str) -> list[str]:
    tree = ast.parse(source)
    rel = _rel(path)
    out = []
    parts = path.relative_to(PKG).parts
    for line, module, names in _imports(tree):
        if parts[0] == "core" and (module == "django" or module.startswith("django.")):
            out.append(f"{rel}:{line}: the functional core imports {module}")
        if parts[0] in {"tenancy", "audit"} and module.startswith("ekkyo."):
            target = module.split(".")[1]
            if target in APPS:
                out.append(f"{rel}:{line}: {parts[0]} imports the app {module}")
        if (
            parts[0] in BELOW_KPIS
            and not is_view_like(path)
            and (module == "ekkyo.kpis" or module.startswith("ekkyo.kpis."))
        ):
            out.append(f"{rel}:{line}: {parts[0]} imports {module} (the KPIs are above it)")
        if parts[0] == "kpis" and any(
            module.startswith(f"ekkyo.{app}.") and "views" in module.split(".")[-1]
            for app in BELOW_KPIS
        ):
            out.append(f"{rel}:{line}: kpis imports the views {module}")
        if module.startswith("ekkyo.") and len(module.split(".")) > 1:
            target = module.split(".")[1]
            if target != parts[0] and target in [*APPS, "tenancy", "audit"]:
                private = [n for n in names if n.startswith("_") and not n.startswith("__")]
                leaf = module.split(".")[-1]
                if private or (leaf.startswith("_") and not leaf.startswith("__")):
                    out.append(f"{rel}:{line}: imports private {module} {private}")
    return out


def _lines_with_comment(source: str) -> set[int]:
    """Line numbers with a ``# safe:`` comment on them or on the line above."""
    marked: set[int] = set()
    for number, text in enumerate(source.splitlines(), start=1):
        if "# safe:" in text:
            marked.update({number, number + 1})
    return marked


def door_breaches(path: Path, source: str) -> list[str]:
    tree = ast.parse(source)
    rel = _rel(path)
    out = []
    view_like = is_view_like(path)
    safe_lines = _lines_with_comment(source)
    door_module = is_door_module(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "_unscoped":
            if not unscoped_allowed(path):
                out.append(f"{rel}:{node.lineno}: _unscoped outside services and selectors")
            elif door_module and not (
                {node.lineno, getattr(node, "end_lineno", node.lineno)} & safe_lines
            ):
                out.append(f"{rel}:{node.lineno}: _unscoped without a '# safe:' comment")
        if view_like and isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            attr = node.func.attr
            if attr in WRITE_METHODS or (
                attr in RELATED_WRITES and isinstance(node.func.value, ast.Attribute)
            ):
                target = ast.unparse(node.func.value)
                if attr in {"update", "set", "add", "remove", "clear"} and target.split(".")[
                    -1
                ] in {
                    "kwargs",
                    "context",
                    "data",
                    "initial",
                    "fields",
                    "attrs",
                    "headers",
                    "query",
                    "widget",
                    "cleaned_data",
                    "POST",
                    "GET",
                    "session",
                }:
                    continue
                out.append(f"{rel}:{node.lineno}: ORM write `{target}.{attr}()` in a view/form")
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", "") == "audit_record"
            and any(k.arg == "request" for k in node.keywords)
        ):
            out.append(f"{rel}:{node.lineno}: audit_record(request=...) sees an HttpRequest")
    return out


def test_layers() -> None:
    breaches = [b for path, source in _modules() for b in layer_breaches(path, source)]
    assert not breaches, "\n".join(breaches)


def test_doors() -> None:
    breaches = [b for path, source in _modules() for b in door_breaches(path, source)]
    assert not breaches, "\n".join(breaches)


@pytest.mark.parametrize(
    ("rel", "source", "expected"),
    [
        ("core/x.py", "import django.db\n", "functional core imports"),
        ("tenancy/x.py", "from ekkyo.people.models import Student\n", "tenancy imports the app"),
        ("kpis/x.py", "from ekkyo.people.services import _secret\n", "imports private"),
        (
            "participation/services.py",
            "def f():\n    from ekkyo.kpis.aggregates import aggregates_refresh\n",
            "the KPIs are above it",
        ),
        ("funnel/services.py", "from ekkyo.kpis.models import KpiTarget\n", "KPIs are above"),
        ("kpis/x.py", "from ekkyo.funnel.views import funnel_town\n", "kpis imports the views"),
        ("people/views.py", "def v(r):\n    Student.objects.create(x=1)\n", "ORM write"),
        ("people/views.py", "def v(r):\n    s.save()\n", "ORM write"),
        ("people/forms.py", "def v(r):\n    a.students.add(s)\n", "ORM write"),
        ("people/views.py", "def v(r):\n    Student._unscoped.all()\n", "_unscoped outside"),
        ("people/services.py", "def v(r):\n    Student._unscoped.all()\n", "without a '# safe:'"),
        ("people/views.py", "audit_record(request=r, action='x')\n", "sees an HttpRequest"),
    ],
)
def test_a_breach_is_caught(rel: str, source: str, expected: str) -> None:
    path = PKG / rel
    found = layer_breaches(path, source) + door_breaches(path, source)
    assert any(expected in b for b in found), found


def test_a_safe_use_passes() -> None:
    source = "def v(r):\n    # safe: access() checked it\n    Student._unscoped.get(pk=1)\n"
    assert door_breaches(PKG / "people" / "services.py", source) == []
    assert door_breaches(PKG / "people" / "views.py", "def v(r):\n    d.update(x=1)\n") != []
    assert door_breaches(PKG / "people" / "views.py", "def v(r):\n    r.session.update({})\n") == []
