"""KPI targets and the annual reports to the grant (frozen once submitted).

Figures are counted by ``ekkyo.core.kpi`` from the participation records;
targets and the towns' own text (要因分析, 改善方策) live here. A submitted
report never changes: editing it makes a new version, and every submitted
version stays readable.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ekkyo.registry.models import Consortium, Municipality


class KpiCode(models.TextChoices):
    RESIDENCE = "residence", _("KPI ① students living and studying in a member town")
    OFFLINE_RECEIVED = "offline_received", _("KPI ② students received for stays")
    OFFLINE_SENT = "offline_sent", _("KPI ② students sent on stays")
    ONLINE = "online", _("KPI ③ students in online programmes")


#: What each KPI counts and in what unit (DESIGN.md, "KPI counting rules").
KPI_DEFINITIONS = {
    "residence": _(
        "Distinct students whose home is not the host town and who live and study in a "
        "member town (a residence) on any day of the fiscal year. Town rows by host."
    ),
    "offline_received": _(
        "Distinct students with at least one stay of a short-stay or mid-term programme that "
        "overlaps the fiscal year and was not cancelled, counted by the host town. A stay "
        "hosted by a town that is not a member that year has no host row but still counts "
        "for the consortium and for the sending town."
    ),
    "offline_sent": _(
        "The same students as KPI ② received, counted by their home town, whoever hosted "
        "them: students a town sent on stays."
    ),
    "online": _(
        "Distinct students attending at least one session of an online programme in the "
        "fiscal year (its in-person meetings included), counted by home town."
    ),
}


class KpiBaseline(models.Model):
    """The starting value of a KPI (before the grant), for the consortium or one member."""

    consortium = models.ForeignKey(Consortium, on_delete=models.CASCADE, related_name="+")
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kpi = models.CharField(_("KPI"), max_length=20, choices=KpiCode.choices)
    fiscal_year = models.PositiveSmallIntegerField(_("baseline fiscal year"))
    value = models.PositiveIntegerField(_("baseline"))

    class Meta:
        verbose_name = _("KPI baseline")
        verbose_name_plural = _("KPI baselines")
        constraints = [
            models.UniqueConstraint(
                fields=["consortium", "municipality", "kpi"],
                condition=Q(municipality__isnull=False),
                name="kpi_baseline_once_per_member",
            ),
            models.UniqueConstraint(
                fields=["consortium", "kpi"],
                condition=Q(municipality__isnull=True),
                name="kpi_baseline_once_for_consortium",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} baseline FY{self.fiscal_year}: {self.value}"


class KpiTarget(models.Model):
    consortium = models.ForeignKey(Consortium, on_delete=models.CASCADE, related_name="+")
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kpi = models.CharField(_("KPI"), max_length=20, choices=KpiCode.choices)
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    target = models.PositiveIntegerField(_("target"))

    class Meta:
        verbose_name = _("KPI target")
        verbose_name_plural = _("KPI targets")
        # Two partial constraints instead of nulls_distinct=False, which SQLite lacks.
        constraints = [
            models.UniqueConstraint(
                fields=["consortium", "municipality", "kpi", "fiscal_year"],
                condition=Q(municipality__isnull=False),
                name="kpi_target_once_per_member",
            ),
            models.UniqueConstraint(
                fields=["consortium", "kpi", "fiscal_year"],
                condition=Q(municipality__isnull=True),
                name="kpi_target_once_for_consortium",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.fiscal_year}: {self.target}"


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class AnnualReport(models.Model):
    """One version of a member's (or the consortium's) report for one FY."""

    consortium = models.ForeignKey(Consortium, on_delete=models.CASCADE, related_name="+")
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    causes = models.TextField(_("analysis of causes (要因分析)"), blank=True)
    improvements = models.TextField(_("improvements (改善方策)"), blank=True)
    figures = models.JSONField(_("figures when submitted"), default=dict, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # No join in the default ordering: the services lock these rows
        # (FOR UPDATE cannot reach the nullable side of an outer join).
        ordering = ["fiscal_year", "-version"]
        verbose_name = _("annual report")
        verbose_name_plural = _("annual reports")
        constraints = [
            models.UniqueConstraint(
                fields=["consortium", "municipality", "fiscal_year", "version"],
                condition=Q(municipality__isnull=False),
                name="report_version_once_member",
            ),
            models.UniqueConstraint(
                fields=["consortium", "fiscal_year", "version"],
                condition=Q(municipality__isnull=True),
                name="report_version_once_consortium",
            ),
            models.UniqueConstraint(
                fields=["consortium", "municipality", "fiscal_year"],
                condition=Q(status="draft", municipality__isnull=False),
                name="one_draft_per_member_report",
            ),
            models.UniqueConstraint(
                fields=["consortium", "fiscal_year"],
                condition=Q(status="draft", municipality__isnull=True),
                name="one_draft_per_consortium_report",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.municipality or self.consortium} FY{self.fiscal_year} v{self.version}"


class StudentKeys(models.Model):
    """The dashboard keys one student counts under now (``ekkyo.core.kpi_aggregates``).

    A plain integer, not a foreign key: when a student is deleted their keys
    must still be read once, to take them off the counts.
    """

    student_id = models.BigIntegerField(primary_key=True)
    consortium = models.ForeignKey(Consortium, on_delete=models.CASCADE, related_name="+")
    keys = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("student's dashboard keys")
        verbose_name_plural = _("students' dashboard keys")

    def __str__(self) -> str:
        return f"student {self.student_id}: {len(self.keys)} keys"


class KeyCount(models.Model):
    """How many distinct students count under one dashboard key: the aggregate rows.

    Kept up to date by ``kpis.aggregates`` whenever a student's participation
    changes, so that dashboards read counts instead of recounting records.
    """

    consortium = models.ForeignKey(Consortium, on_delete=models.CASCADE, related_name="+")
    fy = models.PositiveSmallIntegerField()
    dim = models.CharField(max_length=10)
    muni = models.CharField(max_length=6, blank=True)
    school = models.CharField(max_length=13, blank=True)
    programme = models.CharField(max_length=12, blank=True)
    a = models.CharField(max_length=20, blank=True)
    b = models.CharField(max_length=20, blank=True)
    c = models.CharField(max_length=12, blank=True)
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("dashboard count")
        verbose_name_plural = _("dashboard counts")
        constraints = [
            models.UniqueConstraint(
                fields=["consortium", "fy", "dim", "muni", "school", "programme", "a", "b", "c"],
                name="key_count_once",
            )
        ]
        indexes = [
            models.Index(fields=["consortium", "fy", "dim", "muni"]),
            models.Index(fields=["consortium", "dim", "school"]),
            models.Index(fields=["consortium", "dim", "programme"]),
        ]

    def __str__(self) -> str:
        where = self.muni or self.school or self.programme
        return f"{self.dim} FY{self.fy} {where} {self.a}/{self.b}/{self.c}: {self.n}"


class AggregateVersion(models.Model):
    """Bumped whenever a consortium's aggregate rows change: the dashboards' cache key.

    Cached dashboards are keyed by this number, so a change anywhere shows at
    once on every server process, whatever the cache backend.
    """

    consortium = models.OneToOneField(
        Consortium, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    version = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("aggregate version")
        verbose_name_plural = _("aggregate versions")

    def __str__(self) -> str:
        return f"{self.consortium_id}: v{self.version}"
