"""The publishing gate: linked tables protected together, checked by an LP attacker."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ekkyo.core.disclosure import Cell, Publication, publish

from .disclosure_worlds import attack, world

K = 10
WORLDS = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


def narrowed(publication, released, k=K, width=K):
    return {
        key: ends
        for key, ends in attack(publication, released, k=k).items()
        if ends[1] - ends[0] < width - 1e-6
    }


@WORLDS
@given(
    seed=st.integers(0, 10_000),
    prefectures=st.integers(1, 3),
    mean=st.sampled_from([4.0, 12.0, 40.0]),
)
def test_combined_publication_survives_the_lp_attack(seed, prefectures, mean):
    publication, _tree = world(
        seed, prefectures=prefectures, kpis=("kpi1", "kpi2"), fys=(2024, 2025), mean=mean
    )
    released = publish(publication, k=K)
    for key, cell in publication.figures.items():
        if cell.n < K:
            assert released[key].suppressed and released[key].reason == "small"
    assert narrowed(publication, released) == {}


@WORLDS
@given(seed=st.integers(0, 10_000))
def test_deterministic(seed):
    publication, _tree = world(seed)
    shuffled = Publication(
        dict(reversed(list(publication.figures.items()))), publication.relations[::-1]
    )
    assert publish(publication, k=K).figures == publish(shuffled, k=K).figures


def test_protecting_tables_separately_fails_the_attack():
    """Leave the participants/others link out of the gate: combining it recovers cells.

    Each geographic table (participants, others, everyone) is protected with
    its own hierarchy, as if published by separate pages; the attacker, who
    sees all the pages, also uses everyone = participants + others.
    """
    broken = 0
    for seed in range(5):
        publication, _tree = world(seed)
        separately = Publication(
            publication.figures,
            tuple(
                (total, parts)
                for total, parts in publication.relations
                if total[3] != parts[0][3]  # keep the geographic sums only
            ),
        )
        broken += bool(narrowed(publication, publish(separately, k=K)))
        assert narrowed(publication, publish(publication, k=K)) == {}
    assert broken >= 1


def test_within_table_small_difference_is_suppressed():
    """A town total of 39 beside a school of 32: the other 7 would be revealed."""
    figures = {
        "town": Cell(39.0, 39),
        "a": Cell(32.0, 32),
        "b": Cell(4.0, 4),
        "c": Cell(3.0, 3),
    }
    released = publish(Publication(figures, (("town", ("a", "b", "c")),)), k=K)
    assert released["b"].reason == released["c"].reason == "small"
    assert released["a"].suppressed or released["town"].suppressed
    assert not (released["a"].suppressed and released["town"].suppressed)


def test_differencing_rule_with_narrow_protection():
    figures = {"town": Cell(39.0, 39), "a": Cell(32.0, 32), "b": Cell(7.0, 7)}
    released = publish(Publication(figures, (("town", ("a", "b")),)), k=K, protection=1)
    assert released["a"].reason == "differencing"
    assert not released["town"].suppressed


def test_latent_small_figure_is_protected():
    """A town officer sees the consortium and its own town: the rest must not be small."""
    figures = {"C": Cell(50.0, 50), "mine": Cell(45.0, 45), "theirs": Cell(5.0, 5)}
    released = publish(
        Publication(figures, (("C", ("mine", "theirs")),), latent=frozenset({"theirs"})), k=K
    )
    assert released["theirs"].suppressed
    assert released["mine"].suppressed != released["C"].suppressed


def test_values_follow_sizes_and_reasons_are_shown():
    figures = {"school": Cell(3.4, 30), "part": Cell(3.9, 6), "rest": Cell(3.2, 24)}
    released = publish(Publication(figures, (("school", ("part", "rest")),)), k=K)
    assert released["part"].reason == "small"
    assert released["part"].render() == "Not shown: fewer than 10 people."
    assert released["rest"].reason == "differencing"  # 30 - 24 = 6 people
    shown = [p for p in released.figures.values() if not p.suppressed]
    assert all(p.value is not None for p in shown)


def test_bad_relations_are_refused():
    figures = {"t": Cell(5.0, 5), "a": Cell(3.0, 3)}
    with pytest.raises(ValueError, match="add up to 3"):
        publish(Publication(figures, (("t", ("a",)),)), k=K)
    with pytest.raises(KeyError):
        publish(Publication(figures, (("t", ("a", "zz")),)), k=K)
