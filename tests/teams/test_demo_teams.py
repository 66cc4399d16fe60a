"""`ekkyo seed-demo` forms and publishes teams for the demo's online programmes."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from ekkyo.allocation.models import Seat
from ekkyo.programmes.models import ProgrammeKind
from ekkyo.teams.models import Team, TeamMember, TeamPost, TeamSet, TeamSetStatus

pytestmark = pytest.mark.django_db

SMALL = ["--students", "600", "--schools", "30", "--municipalities", "12", "--prefectures", "5"]


def test_seed_demo_publishes_teams(system: None) -> None:
    out = StringIO()
    call_command("seed_demo", *SMALL, stdout=out)
    sets = TeamSet.objects.filter(status=TeamSetStatus.PUBLISHED)
    assert sets.exists()
    assert all(ts.programme.kind == ProgrammeKind.ONLINE for ts in sets)
    for ts in sets:
        members = set(TeamMember.objects.filter(team_set=ts).values_list("student_id", flat=True))
        seated = set(
            Seat._unscoped.filter(programme=ts.programme, cancelled_at__isnull=True).values_list(
                "student_id", flat=True
            )
        )
        assert members and members <= seated
    assert Team.objects.filter(team_set__in=sets).count() >= 2
    assert TeamPost.objects.filter(team__team_set__in=sets).exists()
