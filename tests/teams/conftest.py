"""An online programme of tenant A with confirmed seats from several towns and schools."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ekkyo.accounts.selectors import principal_for_user
from ekkyo.allocation.models import Seat
from ekkyo.people.models import Student
from ekkyo.programmes.models import Programme, ProgrammeKind
from ekkyo.tenancy.actor import Actor, system_actor
from ekkyo.tenancy.principal import system_scope

from ..factories import World, municipality, programme, school, student


@dataclass
class Online:
    programme: Programme
    students: list[Student]


def make_online(world: World, *, n: int = 12, title: str = "オンライン探究ゼミ") -> Online:
    with system_scope(reason="test arrange"):
        c = world.a.consortium
        p = programme(
            c,
            world.a.municipality,
            title=title,
            kind=ProgrammeKind.ONLINE,
            capacity=50,
            starts_on=date(2026, 9, 1),
            ends_on=date(2026, 12, 1),
        )
        towns = [
            world.a.municipality,
            world.a2.municipality,
            municipality("13"),
            municipality("01"),
        ]
        schools = [world.a.school, world.a2.school] + [school(t) for t in towns[2:]]
        students = [world.a.students[1], world.a2.students[1]]
        genders = ["female", "male"]
        for i in range(n - len(students)):
            k = i % len(schools)
            students.append(
                student(
                    schools[k],
                    consortium=c,
                    family=f"班員{i:02d}",
                    given=f"名{i:02d}",
                    grade=1 + i % 3,
                    gender=genders[i % 2],
                    home_municipality=towns[k],
                )
            )
        for s in students:
            Seat._unscoped.create(programme=p, student=s, source=Seat.Source.MANUAL)
    return Online(programme=p, students=students)


@pytest.fixture
def online(world: World) -> Online:
    return make_online(world)


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def actor_of(u: Any) -> Actor:
    """The actor a request by ``u`` would have (a fresh principal)."""
    u._ekkyo_principal = None
    return Actor(principal=principal_for_user(u), user_id=u.pk, label=str(u), user=u)


SYSTEM = system_actor(reason="test arrange")
