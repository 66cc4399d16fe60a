"""The API's request and response bodies (pydantic, through django-ninja)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from ninja import Field, Schema
from pydantic import field_validator, model_validator


class Error(Schema):
    detail: str


class FieldError(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrors(Schema):
    detail: list[FieldError]


class ProgrammeOut(Schema):
    id: int
    kind: str
    status: str
    title: str
    title_en: str
    starts_on: date
    ends_on: date
    capacity: int
    host_municipality_id: int | None
    host_school_id: int | None


class ApplicationOut(Schema):
    id: int
    round_id: int
    student_id: int
    status: str
    school_decision: str
    placed_programme_id: int | None


class StayOut(Schema):
    id: int
    programme_id: int
    student_id: int
    arrival: date
    departure: date
    cancelled: bool


class ResidenceOut(Schema):
    id: int
    student_id: int
    host_municipality_id: int
    school_id: int
    start: date
    end: date | None


class ResidenceIn(Schema):
    student_id: int = Field(ge=1, le=2**31 - 1)
    host_municipality_id: int = Field(ge=1, le=2**31 - 1)
    school_id: int = Field(ge=1, le=2**31 - 1)
    start: date
    end: date | None = None

    @field_validator("start", "end", mode="before")
    @classmethod
    def _iso_text(cls, value: object) -> object:
        # JSON has no date type: only ISO text is a date (no numbers as epoch days).
        if value is not None and not isinstance(value, str):
            raise ValueError("a date is ISO text")
        return value

    @model_validator(mode="after")
    def _end_after_start(self) -> ResidenceIn:
        if self.end is not None and self.end < self.start:
            raise ValueError("end before start")
        for day in (self.start, self.end):
            # Fiscal years outside this range are no one's residence (and break the KPI count).
            if day is not None and not date(2000, 1, 1) <= day <= date(2100, 12, 31):
                raise ValueError("date out of range")
        return self


class AttendanceRow(Schema):
    student_id: int = Field(ge=1, le=2**31 - 1)
    minutes: int | None = Field(default=None, ge=0, le=1440)


class AttendanceIn(Schema):
    source: Literal["zoom", "teams", "meet", "manual"]
    rows: list[AttendanceRow] = Field(max_length=5000)


class AttendanceOut(Schema):
    matched: int
    created: int


class StaysCreated(Schema):
    created: int


class SurveyResponseIn(Schema):
    token: str = Field(min_length=1, max_length=200)
    client_id: uuid.UUID
    answers: dict[str, int | None] = Field(max_length=500)


class SurveyResponseOut(Schema):
    created: bool


class KpiFigure(Schema):
    kpi: str
    actual: int | None
    suppressed: bool
    target: int | None


class KpiRow(Schema):
    municipality_code: str | None
    name: str
    figures: list[KpiFigure]


class KpiFiguresOut(Schema):
    fy: int
    k: int
    generated_at: str
    rows: list[KpiRow]


class ProgrammePage(Schema):
    items: list[ProgrammeOut]
    next: str | None


class ApplicationPage(Schema):
    items: list[ApplicationOut]
    next: str | None


class StayPage(Schema):
    items: list[StayOut]
    next: str | None


class ResidencePage(Schema):
    items: list[ResidenceOut]
    next: str | None
