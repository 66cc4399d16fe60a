"""The flow tables of the consortium and town dashboards, released together by the gate."""

from __future__ import annotations

import random

from ekkyo.core.disclosure import Publication, Released, publish
from ekkyo.kpis.publication import flows_publication
from tests.core.disclosure_worlds import attack

K = 10


def _flows(seed: int) -> tuple[dict[tuple[str, str], int], tuple[str, ...]]:
    rng = random.Random(seed)
    members = ("01100", "01200", "02100", "03100")
    homes = [*members, "01300", "13100", "13200", "27100", ""]
    flows = {}
    for home in homes:
        for host in members:
            if home != host and rng.random() < 0.6:
                flows[(home, host)] = rng.choice([1, 2, 3, 5, 8, 12, 20, 40])
    return flows, members


def _narrowed(publication: Publication, released: Released) -> dict:
    return {
        key: ends
        for key, ends in attack(publication, released, k=K).items()
        if ends[1] - ends[0] < K - 1e-6
    }


def test_every_flow_table_of_a_reader_passes_the_attack_together() -> None:
    for seed in range(4):
        flows, towns = _flows(seed)
        publication, cells_of = flows_publication(flows, towns)
        released = publish(publication, k=K)
        assert _narrowed(publication, released) == {}
        # Each town's inbound column is the consortium's column, the same figures.
        for town in towns:
            for (pref, host), key in cells_of[town].items():
                if host == town:
                    assert key == cells_of[""][(pref, host)]


def test_a_town_officer_and_the_secretariat_each_get_a_safe_release() -> None:
    flows, towns = _flows(7)
    for scope in ((), towns[:1], towns):
        publication, _cells = flows_publication(flows, scope)
        assert _narrowed(publication, publish(publication, k=K)) == {}
