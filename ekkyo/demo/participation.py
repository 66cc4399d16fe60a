"""Synthetic programmes and participation for the demo consortium (FY N−1 and FY N).

Called by ``demo_seed`` after the people exist. Deterministic for a seed.
Builds: partners, programmes of every kind hosted by member towns (with
sessions for the online ones), host families per host town, a finished
allocation round for the current FY (applications, consents, school
approvals, allocation and published seats, through the real services),
stays for the offline seats (a few cancelled, one crossing 31 March),
residences (students living in another member town), online attendance,
and a few reflections — so KPI ①②③ have realistic data.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from ekkyo.accounts.models import Membership
from ekkyo.allocation import notifications
from ekkyo.allocation import services as workflow
from ekkyo.allocation.models import (
    AllocationRound,
    Application,
    ApplicationChoice,
    ApplicationStatus,
    RoundStatus,
    SchoolDecision,
    Seat,
)
from ekkyo.core.fiscal import fiscal_year_bounds
from ekkyo.demo.bulk import bulk_insert
from ekkyo.hosting.models import HostFamily
from ekkyo.participation.models import Attendance, Reflection, Residence, Stay
from ekkyo.partners.models import Partner, PartnerKind
from ekkyo.people.models import GuardianLink, Student
from ekkyo.programmes.models import (
    Accommodation,
    Programme,
    ProgrammeKind,
    ProgrammeStatus,
    Session,
    Theme,
)
from ekkyo.registry.models import Consortium, Member, School
from ekkyo.tenancy.actor import system_actor

TITLES = {
    ProgrammeKind.ONLINE: [
        "小規模校サミット事前交流",
        "オンライン地域探究ゼミ",
        "離島と山村をつなぐ防災講座",
        "みらい会議（オンライン）",
    ],
    ProgrammeKind.SHORT_STAY: [
        "漁業体験と浜の暮らし",
        "棚田の米づくり合宿",
        "雪国の冬を知る3日間",
        "観光まちづくりフィールドワーク",
        "福祉の現場を訪ねる",
    ],
    ProgrammeKind.MID_STAY: ["地域みらい学期留学（1学期）", "島の学校で学ぶ2か月"],
    ProgrammeKind.RESIDENCE: ["地域みらい留学（3年間）", "山村留学（1年間）"],
}
ROMAN = {
    "小規模校サミット事前交流": "Small-school summit: online pre-session",
    "オンライン地域探究ゼミ": "Online regional inquiry seminar",
    "漁業体験と浜の暮らし": "Fishing and life on the coast",
    "棚田の米づくり合宿": "Rice terrace farming camp",
}


def _dt(d: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(d, time(hour, 0)))


def seed_participation(
    *,
    consortium: Consortium,
    rng: random.Random,
    fy: int,
    progress: Callable[[str], None],
) -> dict[str, int]:
    members = list(
        Member.objects.filter(consortium=consortium, municipality__isnull=False)
        .select_related("municipality")
        .order_by("pk")  # the same towns in the same order: the draws below depend on it
    )
    towns = [m.municipality for m in members if m.municipality is not None]
    themes = list(Theme.objects.all())
    partners = Partner.objects.bulk_create(
        [
            Partner(consortium=consortium, kind=k, name=n, name_en=e)
            for k, n, e in [
                (PartnerKind.COMPANY, "サンプル水産株式会社", "Sample Fisheries Co."),
                (PartnerKind.UNIVERSITY, "サンプル大学 地域連携センター", "Sample University"),
                (PartnerKind.NPO, "NPO法人 サンプル地域協働", "Sample Community NPO"),
                (PartnerKind.DONOR, "サンプル商事（企業版ふるさと納税）", "Sample Trading (donor)"),
            ]
        ]
    )
    students = list(
        Student._unscoped.filter(consortium=consortium, school__isnull=False)
        .select_related("school__municipality")
        .order_by("pk")
    )
    n_students = len(students)
    scale = max(1, n_students // 10_000)
    programmes: list[Programme] = []
    for year in range(fy - 4, fy + 1):  # five fiscal years of history
        start, end = fiscal_year_bounds(year)
        for kind, per_year in (
            (ProgrammeKind.ONLINE, 6 * scale),
            (ProgrammeKind.SHORT_STAY, 14 * scale),
            (ProgrammeKind.MID_STAY, 3 * scale),
            (ProgrammeKind.RESIDENCE, 2 * scale),
        ):
            for i in range(per_year):
                host = towns[rng.randrange(len(towns))]
                title = rng.choice(TITLES[kind])
                if kind == ProgrammeKind.ONLINE:
                    first = start + timedelta(days=rng.randrange(30, 120))
                    last = first + timedelta(days=rng.randrange(60, 150))
                    capacity = rng.choice([30, 40, 60])
                elif kind == ProgrammeKind.SHORT_STAY:
                    first = start + timedelta(days=rng.randrange(90, 330))
                    last = first + timedelta(days=rng.randrange(2, 10))
                    capacity = rng.choice([6, 8, 10, 12])
                elif kind == ProgrammeKind.MID_STAY:
                    first = start + timedelta(days=rng.randrange(120, 300))
                    last = first + timedelta(days=rng.randrange(30, 90))
                    capacity = rng.choice([3, 4, 5])
                else:
                    first = start
                    last = date(year + 3, 3, 31)
                    capacity = rng.choice([5, 8, 10])
                if i == 0 and kind == ProgrammeKind.SHORT_STAY:
                    # One stay crosses 31 March into the next fiscal year.
                    first, last = end - timedelta(days=2), end + timedelta(days=2)
                programmes.append(
                    Programme(
                        consortium=consortium,
                        kind=kind,
                        title=f"{host.name} {title}",
                        title_en=f"{host.name_en} — {ROMAN.get(title, title)}",
                        summary=f"{host.name}の地域資源を生かした{title}です。（サンプル）",
                        host_municipality=host,
                        starts_on=first,
                        ends_on=last,
                        applications_open=_dt(first - timedelta(days=75), 9),
                        applications_close=_dt(first - timedelta(days=30), 17),
                        capacity=capacity,
                        languages="ja,en" if rng.random() < 0.2 else "ja",
                        cost_yen=rng.choice([0, 0, 3000, 5000, 10000]),
                        accommodation=(
                            Accommodation.NONE
                            if kind == ProgrammeKind.ONLINE
                            else rng.choice([Accommodation.HOST_FAMILY, Accommodation.DORMITORY])
                        ),
                        status=ProgrammeStatus.PUBLISHED,
                    )
                )
    Programme.objects.bulk_create(programmes)
    # Themes and partners in two inserts (set()/add() per programme cost a minute at
    # national scale); the same draws in the same order as before.
    theme_links, partner_links = [], []
    ThemeLink, PartnerLink = Programme.themes.through, Programme.partners.through
    for p in programmes:
        theme_links += [ThemeLink(programme_id=p.pk, theme_id=t.pk) for t in rng.sample(themes, 2)]
        if rng.random() < 0.4:
            partner_links.append(PartnerLink(programme_id=p.pk, partner_id=rng.choice(partners).pk))
    ThemeLink.objects.bulk_create(theme_links, batch_size=5000)
    PartnerLink.objects.bulk_create(partner_links, batch_size=5000)
    # A programme that is open for applications right now, for the demo.
    today = timezone.localdate()
    open_now = Programme.objects.create(
        consortium=consortium,
        kind=ProgrammeKind.SHORT_STAY,
        title=f"{towns[0].name} 冬の暮らし体験（受付中）",
        title_en=f"{towns[0].name_en} — Winter life (open now)",
        host_municipality=towns[0],
        starts_on=today + timedelta(days=60),
        ends_on=today + timedelta(days=63),
        applications_open=timezone.now() - timedelta(days=3),
        applications_close=timezone.now() + timedelta(days=20),
        capacity=10,
        accommodation=Accommodation.HOST_FAMILY,
        status=ProgrammeStatus.PUBLISHED,
    )
    open_now.themes.set(themes[:2])
    progress(f"programmes: {len(programmes) + 1}")

    sessions: list[Session] = []
    for p in programmes:
        if p.kind != ProgrammeKind.ONLINE:
            continue
        d = p.starts_on
        while d <= p.ends_on:
            sessions.append(
                Session(
                    programme=p,
                    kind="online",
                    title=f"第{len([s for s in sessions if s.programme is p]) + 1}回",
                    starts_at=_dt(d, 16),
                    ends_at=_dt(d, 17),
                )
            )
            d += timedelta(days=28)
    Session.objects.bulk_create(sessions)

    host_towns = sorted(
        {
            p.host_municipality_id or 0
            for p in programmes
            if p.kind != ProgrammeKind.ONLINE and p.host_municipality_id
        }
    )
    families = []
    for town_id in host_towns:
        for j in range(rng.randrange(3, 7)):
            families.append(
                HostFamily(
                    consortium=consortium,
                    municipality_id=town_id,
                    name=f"サンプル家{town_id}-{j + 1}",
                    household=rng.choice(["夫婦と子ども2人", "夫婦のみ", "三世代6人", "母と子1人"]),
                    guest_capacity=rng.choice([1, 2, 2, 3]),
                    languages="ja,en" if rng.random() < 0.3 else "ja",
                    diet_options=rng.choice(["", "vegetarian", "no_pork", "halal"]),
                    allergy_ok=rng.choice(["", "egg", "egg,milk", "wheat"]),
                    pets=rng.random() < 0.3,
                    available_from=fiscal_year_bounds(fy - 4)[0],
                    available_until=fiscal_year_bounds(fy)[1],
                    background_check_on=fiscal_year_bounds(fy - 4)[0],
                    background_check_until=fiscal_year_bounds(fy + 2)[1],
                    distance_km=round(rng.uniform(0.5, 15), 1),
                )
            )
    HostFamily._unscoped.bulk_create(families)
    families_by_town: dict[int, list[HostFamily]] = {}
    for f in HostFamily._unscoped.filter(consortium=consortium):
        families_by_town.setdefault(f.municipality_id, []).append(f)
    host_membership = (
        Membership.objects.filter(consortium=consortium, role="host").order_by("pk").first()
    )
    if host_membership is not None and host_membership.municipality_id in families_by_town:
        host_membership.host_family = families_by_town[host_membership.municipality_id][0]
        host_membership.save(update_fields=["host_family"])
    elif host_membership is not None and families:
        town, fams = next(iter(families_by_town.items()))
        host_membership.host_family = fams[0]
        host_membership.municipality_id = town
        host_membership.save(update_fields=["host_family", "municipality"])
    progress(f"host families: {len(families)}")

    # --- a finished allocation round for this FY's summer/autumn offline programmes
    current_offline = [
        p
        for p in programmes
        if p.kind in (ProgrammeKind.SHORT_STAY, ProgrammeKind.MID_STAY)
        and p.starts_on >= fiscal_year_bounds(fy)[0]
    ]
    r = AllocationRound.objects.create(
        consortium=consortium,
        name=f"{fy}年度 越境プログラム（サンプル）",
        fiscal_year=fy,
        max_choices=3,
        opens_at=_dt(fiscal_year_bounds(fy)[0], 9),
        closes_at=_dt(fiscal_year_bounds(fy)[0] + timedelta(days=45), 17),
        lottery_seed=fy,
        status=RoundStatus.CLOSED,
    )
    r.programmes.set(current_offline)
    applicants = rng.sample(students, min(len(students), max(30, n_students // 12)))
    apps, choices = [], []
    for s in applicants:
        eligible = [p for p in current_offline if p.host_municipality_id != s.home_municipality_id]
        if not eligible:
            continue
        apps.append(
            Application(
                round=r,
                student=s,
                status=ApplicationStatus.SUBMITTED,
                submitted_at=r.opens_at + timedelta(days=rng.randrange(1, 40)),
                school_decision=(
                    SchoolDecision.APPROVED if rng.random() < 0.95 else SchoolDecision.DECLINED
                ),
            )
        )
        choices.append(rng.sample(eligible, min(3, len(eligible))))
    bulk_insert(Application, apps)
    bulk_insert(
        ApplicationChoice,
        [
            ApplicationChoice(application=a, programme=p, rank=i)
            for a, ps in zip(apps, choices, strict=True)
            for i, p in enumerate(ps, start=1)
        ],
    )
    # The applicants' guardians only (one per student: the last link by guardian id),
    # not every guardian of the consortium with its links (13 s at 120,000).
    guardians = dict(
        GuardianLink.objects.filter(student_id__in=[a.student_id for a in apps])
        .order_by("guardian_id", "pk")
        .values_list("student_id", "guardian_id")
    )
    from ekkyo.people.models import Consent

    bulk_insert(
        Consent,
        [
            Consent(
                student_id=a.student_id,
                guardian_id=guardians.get(a.student_id),
                purpose=purpose,
                scope=f"round:{r.pk}",
                notice_version=r.notice_version,
                method="online",
            )
            for a in apps
            if rng.random() < 0.97
            for purpose in ("application", "host_data")
        ],
    )
    seeder = system_actor(reason="seed-demo: allocation round", consortium_id=consortium.pk)
    with notifications.suppressed():
        summary = workflow.round_allocate(actor=seeder, round_id=r.pk)
        workflow.round_publish(actor=seeder, round_id=r.pk)
    progress(
        f"allocation round: {len(apps)} applications, {summary.placed} placed, "
        f"{summary.waitlisted} waitlisted, {summary.excluded} not considered"
    )

    # --- last FY: seats given by hand (before ekkyo), so history exists too
    last_year = [
        p
        for p in programmes
        if p.kind in (ProgrammeKind.SHORT_STAY, ProgrammeKind.MID_STAY, ProgrammeKind.ONLINE)
        and p.starts_on < fiscal_year_bounds(fy)[0]
    ]
    seats = []
    taken: set[tuple[int, int]] = set()
    for p in last_year:
        for s in rng.sample(students, min(len(students), p.capacity)):
            if s.home_municipality_id == p.host_municipality_id or (p.pk, s.pk) in taken:
                continue
            taken.add((p.pk, s.pk))
            seats.append(Seat(programme=p, student=s, source=Seat.Source.MANUAL))
    online_now = [p for p in programmes if p.kind == ProgrammeKind.ONLINE and p not in last_year]
    for p in online_now:
        for s in rng.sample(students, min(len(students), p.capacity)):
            if (p.pk, s.pk) not in taken:
                taken.add((p.pk, s.pk))
                seats.append(Seat(programme=p, student=s, source=Seat.Source.MANUAL))
    bulk_insert(Seat, seats)

    # --- stays for every offline seat; a few cancelled
    stays = []
    for seat in (
        Seat._unscoped.filter(
            programme__consortium=consortium,
            programme__kind__in=[ProgrammeKind.SHORT_STAY, ProgrammeKind.MID_STAY],
            cancelled_at__isnull=True,
        )
        .select_related("programme")
        .order_by("pk")
    ):
        p = seat.programme
        fams = families_by_town.get(p.host_municipality_id or 0, [])
        stays.append(
            Stay(
                programme=p,
                student_id=seat.student_id,
                arrival=p.starts_on,
                departure=p.ends_on,
                host_family=rng.choice(fams) if fams and p.accommodation == "host_family" else None,
                cancelled=rng.random() < 0.04,
            )
        )
    bulk_insert(Stay, stays)

    # --- residences: students living and studying in another member town
    residence_programmes = [p for p in programmes if p.kind == ProgrammeKind.RESIDENCE]
    schools_by_town: dict[int, list[School]] = {}
    for sch in School.objects.filter(municipality__in=towns).order_by("pk"):
        schools_by_town.setdefault(sch.municipality_id, []).append(sch)
    residences = []
    movers = rng.sample(students, min(len(students), max(10, n_students // 70)))
    for s in movers:
        p = rng.choice(residence_programmes)
        host_town = p.host_municipality_id or 0
        if host_town == s.home_municipality_id or host_town not in schools_by_town:
            continue
        residences.append(
            Residence(
                student=s,
                programme=p,
                home_municipality_id=s.home_municipality_id,
                home_country=s.home_country,
                host_municipality_id=host_town,
                school=rng.choice(schools_by_town[host_town]),
                start=p.starts_on,
                end=None if rng.random() < 0.9 else p.starts_on + timedelta(days=200),
            )
        )
    bulk_insert(Residence, residences)

    # --- attendance of online sessions by the seat holders
    seat_holders: dict[int, list[int]] = {}
    for pid, sid in (
        Seat._unscoped.filter(programme__kind=ProgrammeKind.ONLINE, cancelled_at__isnull=True)
        .order_by("pk")
        .values_list("programme_id", "student_id")
    ):
        seat_holders.setdefault(pid, []).append(sid)
    attendance = []
    now = timezone.now()
    for session in Session.objects.filter(
        programme__consortium=consortium, starts_at__lt=now
    ).order_by("pk"):
        for sid in seat_holders.get(session.programme_id, []):
            if rng.random() < 0.8:
                attendance.append(
                    Attendance(
                        session=session,
                        student_id=sid,
                        minutes=rng.randrange(30, 61),
                        source=rng.choice(["manual", "zoom", "teams", "meet"]),
                    )
                )
    bulk_insert(Attendance, attendance)

    # --- reflections on finished stays
    reflections = [
        Reflection(
            student_id=st.student_id,
            programme=st.programme,
            about_other_region="漁師さんの話から、海の仕事が町の暮らしを支えていると知りました。（サンプル）",
            about_own_region="自分の町にも、まだ知らない仕事や人がいると気づきました。（サンプル）",
        )
        for st in stays
        if not st.cancelled and st.departure < timezone.localdate() and rng.random() < 0.5
    ]
    Reflection._unscoped.bulk_create(reflections, batch_size=2000, ignore_conflicts=True)
    counts = {
        "programmes": len(programmes) + 1,
        "sessions": len(sessions),
        "host_families": len(families),
        "applications": len(apps),
        "stays": len(stays),
        "residences": len(residences),
        "attendance": len(attendance),
        "reflections": len(reflections),
    }
    progress(", ".join(f"{k}: {v}" for k, v in counts.items()))
    return counts
