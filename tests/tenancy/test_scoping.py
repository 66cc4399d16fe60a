"""The tenancy layer: scoped managers filter by role and refuse to run unscoped."""

from __future__ import annotations

import pytest

from ekkyo.accounts.selectors import principal_for_user
from ekkyo.audit.models import AuditEvent
from ekkyo.people.models import Guardian, RosterImport, Student
from ekkyo.tenancy.principal import ANONYMOUS, Role, ScopeError, activate, system_scope

from ..factories import World

pytestmark = pytest.mark.django_db


def test_query_without_a_scope_raises(world: World) -> None:
    for model in (Student, Guardian, RosterImport, AuditEvent):
        with pytest.raises(ScopeError):
            list(model.objects.all())


def test_system_scope_needs_a_reason() -> None:
    with pytest.raises(ValueError), system_scope(reason=""):
        pass


def _visible(world: World, role: Role) -> set[int]:
    with system_scope(reason="arrange"):
        principal = principal_for_user(world.a.users[role])
    with activate(principal):
        return set(Student.objects.values_list("pk", flat=True))


def _ids(*tenants: object) -> set[int]:
    return {s.pk for t in tenants for s in t.students}  # type: ignore[attr-defined]


def test_each_role_sees_what_design_grants(world: World) -> None:
    a, a2 = world.a, world.a2
    guest = world.guest.pk  # an A2 student who applied to A's programme, A's family's guest
    assert _visible(world, Role.CONSORTIUM_ADMIN) == _ids(a, a2) | {guest}
    assert _visible(world, Role.MUNICIPALITY_STAFF) == _ids(a) | {guest}  # guest: for hosting
    assert _visible(world, Role.SCHOOL_STAFF) == _ids(a)  # A's programme has no host school
    assert _visible(world, Role.HOST) == {a.students[2].pk, guest}  # its guests only
    assert _visible(world, Role.PARTNER) == set()
    assert _visible(world, Role.STUDENT) == {a.students[1].pk}
    assert _visible(world, Role.GUARDIAN) == {a.students[0].pk}


def test_municipality_sees_residents_enrolled_elsewhere(world: World) -> None:
    with system_scope(reason="arrange"):
        commuter = world.a2.students[2]
        commuter.home_municipality = world.a.municipality
        commuter.save()
    assert commuter.pk in _visible(world, Role.MUNICIPALITY_STAFF)
    assert commuter.pk not in _visible(world, Role.SCHOOL_STAFF)


def test_anonymous_sees_nothing(world: World) -> None:
    with activate(ANONYMOUS):
        assert not Student.objects.exists()
        assert not Guardian.objects.exists()
        assert not AuditEvent.objects.exists()


def test_guardians_visible_through_children(world: World) -> None:
    with system_scope(reason="arrange"):
        principal = principal_for_user(world.a.users[Role.SCHOOL_STAFF])
    with activate(principal):
        assert set(Guardian.objects.values_list("pk", flat=True)) == {world.a.guardian.pk}
    with system_scope(reason="arrange"):
        principal = principal_for_user(world.a.users[Role.STUDENT])
    with activate(principal):
        # student[1] has no guardian linked in the factory world
        assert not Guardian.objects.exists()


def test_reverse_relations_are_scoped_too(world: World) -> None:
    with system_scope(reason="arrange"):
        principal = principal_for_user(world.a.users[Role.SCHOOL_STAFF])
        foreign_school = world.b.school
    with activate(principal):
        assert list(foreign_school.students.all()) == []
