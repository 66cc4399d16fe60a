"""Synthetic bell schedules and school calendars for every demo school.

Every school gets six 50-minute periods Monday to Friday (start times vary a
little by school), one or two periods a week of 総合的な探究の時間 (high
schools) or 総合的な学習の時間 (junior high schools) open to cross-school
learning, and for each seeded fiscal year: vacations that depend on the
region (a long winter in Hokkaido, Tohoku and Hokuriku — prefecture codes
01–07 and 15–18 — a long summer elsewhere), one exam week per term, a school
foundation day, and a few snow-day closures in the north. Bulk inserts only:
it must stay fast for 350 schools.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from datetime import date, time, timedelta

from ekkyo.core.scheduling import EventKind
from ekkyo.registry.models import School
from ekkyo.scheduling.models import BellPeriod, CalendarEvent

NORTH = frozenset({"01", "02", "03", "04", "05", "06", "07", "15", "16", "17", "18"})
SUBJECTS = ("国語", "数学", "英語", "理科", "社会", "音楽", "美術", "保健体育", "技術・家庭")


def _t(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def _periods(school: School, rng: random.Random) -> list[BellPeriod]:
    first = 8 * 60 + rng.choice([35, 40, 45, 50])
    starts: list[int] = []
    t = first
    for n in range(1, 7):
        starts.append(t)
        t += 50 + (45 if n == 4 else 10)  # lunch after the 4th period
    inquiry_name = "総合的な探究の時間" if school.kind.startswith("D") else "総合的な学習の時間"
    inquiry = {(rng.randrange(5), rng.choice([5, 6]))}
    if rng.random() < 0.6:
        inquiry.add((rng.randrange(5), rng.choice([5, 6])))
    rows = []
    for wd in range(5):
        for n, s in enumerate(starts, start=1):
            preferred = (wd, n) in inquiry
            rows.append(
                BellPeriod(
                    school=school,
                    weekday=wd,
                    number=n,
                    starts=_t(s),
                    ends=_t(s + 50),
                    label=inquiry_name if preferred else SUBJECTS[(wd * 6 + n) % len(SUBJECTS)],
                    preferred=preferred,
                )
            )
    return rows


def _weekday_on_or_after(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _events(school: School, fy: int, rng: random.Random) -> list[CalendarEvent]:
    north = school.municipality.prefecture_id in NORTH
    nxt = fy + 1

    def ev(kind: EventKind, start: date, end: date, title: str) -> CalendarEvent:
        return CalendarEvent(
            school=school, kind=kind.value, start_date=start, end_date=end, title=title
        )

    if north:
        summer = (date(fy, 7, 24 + rng.randrange(3)), date(fy, 8, 17 + rng.randrange(4)))
        winter = (date(fy, 12, 23 + rng.randrange(3)), date(nxt, 1, 15 + rng.randrange(5)))
    else:
        summer = (date(fy, 7, 19 + rng.randrange(3)), date(fy, 8, 29 + rng.randrange(3)))
        winter = (date(fy, 12, 24 + rng.randrange(3)), date(nxt, 1, 6 + rng.randrange(3)))
    out = [
        ev(EventKind.VACATION, date(fy, 4, 1), date(fy, 4, 6 + rng.randrange(3)), "学年始休業"),
        ev(EventKind.VACATION, *summer, "夏季休業"),
        ev(EventKind.VACATION, *winter, "冬季休業"),
        ev(EventKind.VACATION, date(nxt, 3, 23 + rng.randrange(3)), date(nxt, 3, 31), "学年末休業"),
    ]
    for title, start in (
        ("1学期期末考査", date(fy, 6, 29) + timedelta(days=rng.randrange(8))),
        ("2学期期末考査", date(fy, 11, 30) + timedelta(days=rng.randrange(6))),
        ("学年末考査", date(nxt, 2, 22) + timedelta(days=rng.randrange(6))),
    ):
        first = _weekday_on_or_after(start)
        out.append(ev(EventKind.EXAM, first, first + timedelta(days=3), title))
    founded = _weekday_on_or_after(date(fy, 5, 1) + timedelta(days=rng.randrange(150)))
    out.append(ev(EventKind.SCHOOL_HOLIDAY, founded, founded, "開校記念日"))
    if north:
        snow_days = {
            _weekday_on_or_after(date(nxt, 1, 20) + timedelta(days=rng.randrange(35)))
            for _ in range(rng.randint(1, 3))
        }
        out += [ev(EventKind.CLOSURE, d, d, "大雪による臨時休校") for d in sorted(snow_days)]
    return out


def seed_timetables(
    school_ids: Iterable[int],
    *,
    fiscal_years: Iterable[int],
    rng: random.Random,
    progress: Callable[[str], None] = lambda _msg: None,
) -> int:
    """Give every school a bell schedule and calendars; replaces what they had."""
    schools = list(
        School.objects.filter(pk__in=list(school_ids))
        .select_related("municipality")
        .order_by("code")
    )
    years = list(fiscal_years)
    BellPeriod.objects.filter(school__in=schools).delete()
    CalendarEvent.objects.filter(school__in=schools).delete()
    periods: list[BellPeriod] = []
    events: list[CalendarEvent] = []
    for school in schools:
        periods += _periods(school, rng)
        for fy in years:
            events += _events(school, fy, rng)
    BellPeriod.objects.bulk_create(periods, batch_size=2000)
    CalendarEvent.objects.bulk_create(events, batch_size=2000)
    progress(f"timetables: {len(schools)} schools, {len(periods)} periods, {len(events)} events")
    return len(schools)
