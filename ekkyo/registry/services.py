"""Writes of reference data."""

from __future__ import annotations

from ekkyo.core.prefectures import PREFECTURES

from .models import Prefecture


def prefectures_ensure() -> int:
    """Make sure the 47 prefectures exist (migrations load them; a flushed test
    database or a hand-made one may lack them). Returns how many were created."""
    have = set(Prefecture.objects.values_list("code", flat=True))
    missing = [
        Prefecture(
            code=p.code,
            name=p.name_ja,
            name_en=p.name_en,
            name_kana=p.name_kana,
            region=p.region.name_ja,
        )
        for p in PREFECTURES
        if p.code not in have
    ]
    Prefecture.objects.bulk_create(missing)
    return len(missing)
