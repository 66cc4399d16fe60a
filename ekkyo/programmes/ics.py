"""The .ics feed of published programmes and their sessions (icalendar)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.utils import timezone
from icalendar import Calendar, Event

from .models import Programme


def calendar_bytes(programmes: Iterable[Programme], *, base_url: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//ekkyo//越境ねっと//JA")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "越境ねっと プログラム")
    cal.add("x-wr-timezone", "Asia/Tokyo")
    stamp = timezone.now()
    for p in programmes:
        url = f"{base_url.rstrip('/')}/programmes/{p.pk}/"
        event = Event()
        event.add("uid", f"programme-{p.pk}@ekkyo")
        event.add("summary", p.title)
        event.add("dtstart", p.starts_on)
        event.add("dtend", p.ends_on + timedelta(days=1))  # all-day end is exclusive
        event.add("dtstamp", stamp)
        event.add("url", url)
        if p.summary:
            event.add("description", p.summary)
        cal.add_component(event)
        for s in p.sessions.all():
            ev = Event()
            ev.add("uid", f"session-{s.pk}@ekkyo")
            ev.add("summary", f"{p.title} — {s.title}")
            ev.add("dtstart", s.starts_at)
            ev.add("dtend", s.ends_at)
            ev.add("dtstamp", stamp)
            ev.add("url", url)
            if s.place:
                ev.add("location", s.place)
            cal.add_component(ev)
    return bytes(cal.to_ical())
