"""Commands: `ekkyo seed-demo` fills every demo school's timetable; `ekkyo import-timetable`."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count

from ekkyo.core.scheduling import bell_template_csv
from ekkyo.registry.models import Consortium, School
from ekkyo.scheduling.models import BellPeriod, CalendarEvent

from ..factories import World

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_every_school_a_timetable(system: None) -> None:
    call_command(
        "seed_demo",
        *["--students", "300", "--schools", "12", "--municipalities", "6", "--prefectures", "4"],
        stdout=StringIO(),
    )
    consortium = Consortium.objects.get(slug="ekkyo-net")
    schools = School.objects.filter(municipality__memberships__consortium=consortium).distinct()
    assert schools.count() == 12
    per_school = dict(
        BellPeriod.objects.filter(school__in=schools)
        .values_list("school")
        .annotate(n=Count("pk"))
        .values_list("school", "n")
    )
    assert len(per_school) == 12 and set(per_school.values()) == {30}
    with_events = set(
        CalendarEvent.objects.filter(school__in=schools).values_list("school", flat=True)
    )
    assert with_events == {s.pk for s in schools}


def test_import_timetable_command(world: World, tmp_path: Path) -> None:
    bell = tmp_path / "bell.csv"
    bell.write_bytes(bell_template_csv())
    out = StringIO()
    call_command("import_timetable", str(bell), "--school", world.a.school.code, stdout=out)
    assert "6 periods" in out.getvalue()
    cal = tmp_path / "cal.csv"
    cal.write_bytes("種別,開始日,終了日,名称\n休校,2026-13-01,,x\n".encode("cp932"))
    with pytest.raises(CommandError):
        call_command(
            "import_timetable",
            str(cal),
            "--school",
            world.a.school.code,
            "--calendar",
            stdout=StringIO(),
            stderr=StringIO(),
        )
    assert not CalendarEvent.objects.filter(school=world.a.school).exists()
