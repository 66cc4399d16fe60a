"""Schools' bell schedules (時程) and calendars, the input of common-slot scheduling.

Neither holds personal data: a timetable is a school's public routine. They
use plain managers; who may *edit* a school's timetable is decided by
``ekkyo.registry.selectors.schools_for_principal`` in the views. National
holidays are computed (jpholiday) and never stored.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ekkyo.core.scheduling import EventKind
from ekkyo.registry.models import School


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class BellPeriod(models.Model):
    """One period of one weekday in a school's bell schedule."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="bell_periods")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    number = models.PositiveSmallIntegerField(_("period"))
    starts = models.TimeField(_("starts"))
    ends = models.TimeField(_("ends"))
    label = models.CharField(_("subject or name"), max_length=60, blank=True)
    preferred = models.BooleanField(
        _("open to cross-school learning"),
        default=False,
        help_text=_("e.g. 総合的な探究の時間: joining an online session here displaces no lesson."),
    )

    class Meta:
        ordering = ["school", "weekday", "starts"]
        verbose_name = _("bell period")
        verbose_name_plural = _("bell periods")
        constraints = [
            models.UniqueConstraint(
                fields=["school", "weekday", "number"], name="bell_period_unique_number"
            ),
            models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="bell_period_times"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="bell_period_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.school_id} {self.weekday} {self.number}"


class EventKindChoices(models.TextChoices):
    SCHOOL_HOLIDAY = EventKind.SCHOOL_HOLIDAY.value, _("School holiday")
    VACATION = EventKind.VACATION.value, _("Vacation")
    EXAM = EventKind.EXAM.value, _("Exams")
    CLOSURE = EventKind.CLOSURE.value, _("Closure")
    SCHOOL_EVENT = EventKind.SCHOOL_EVENT.value, _("School event")


class CalendarEvent(models.Model):
    """A day or range of days on which the school cannot join online sessions."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="calendar_events")
    kind = models.CharField(_("kind"), max_length=20, choices=EventKindChoices.choices)
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    title = models.CharField(_("title"), max_length=100, blank=True)

    class Meta:
        ordering = ["school", "start_date", "end_date"]
        verbose_name = _("calendar event")
        verbose_name_plural = _("calendar events")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="calendar_event_dates"
            ),
            # Importing the same calendar twice adds nothing.
            models.UniqueConstraint(
                fields=["school", "kind", "start_date", "end_date", "title"],
                name="calendar_event_unique",
            ),
        ]
        indexes = [models.Index(fields=["school", "end_date"])]

    def __str__(self) -> str:
        return f"{self.title or self.get_kind_display()} {self.start_date}–{self.end_date}"
