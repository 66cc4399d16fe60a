from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ekkyo.registry.models import Consortium, Member, Municipality, Prefecture, School

pytestmark = pytest.mark.django_db


def test_all_47_prefectures_are_loaded() -> None:
    assert Prefecture.objects.count() == 47
    assert Prefecture.objects.get(code="06").name == "山形県"
    assert Prefecture.objects.get(code="47").name_en == "Okinawa"


def test_municipality_code_is_validated_and_completed() -> None:
    m = Municipality(code="06401", prefecture_id="06", name="小国町")
    m.full_clean()
    assert m.code == "064017"
    bad = Municipality(code="064018", prefecture_id="06", name="x")
    with pytest.raises(ValidationError) as err:
        bad.full_clean()
    assert "code" in err.value.message_dict
    wrong_pref = Municipality(code="131016", prefecture_id="06", name="x")
    with pytest.raises(ValidationError):
        wrong_pref.full_clean()


def test_school_code_structure_is_validated() -> None:
    muni = Municipality.objects.create(code="064017", prefecture_id="06", name="小国町")
    ok = School(code="f112310102342", kind="C1", name="x", municipality=muni)
    ok.full_clean()
    assert ok.code == "F112310102342"
    for bad in ("F11231010234", "Z112310102342", "F199310102342", "F112910102342"):
        with pytest.raises(ValidationError):
            School(code=bad, kind="C1", name="x", municipality=muni).full_clean()


def test_membership_is_dated_by_fiscal_year() -> None:
    muni = Municipality.objects.create(code="064017", prefecture_id="06", name="小国町")
    c = Consortium.objects.create(slug="c", name="c")
    member = Member.objects.create(consortium=c, municipality=muni, first_fy=2025, last_fy=2026)
    assert member.active_in(2025) and member.active_in(2026)
    assert not member.active_in(2024) and not member.active_in(2027)
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(consortium=c, municipality=muni, first_fy=2027, last_fy=2026)
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(consortium=c, kind="municipality", first_fy=2025)


def test_joint_body_member() -> None:
    c = Consortium.objects.create(slug="c", name="c")
    body = Member.objects.create(
        consortium=c, kind="joint_body", name="北部広域連合", first_fy=2025
    )
    assert body.display_name == "北部広域連合"
