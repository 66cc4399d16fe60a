"""The residence funnel (KPI ①): how many families and students reach each stage.

For residence programmes (地域みらい留学-style), each host municipality follows
its recruitment for one intake year: inquiries (問い合わせ) → information
sessions (合同説明会) → visits (オープンスクール) → applications (through the
prefecture's admission) → admissions (合格・入学許可) → arrivals.

The funnel's fiscal year is the **intake year**: the FY in which the students
arrive, i.e. the KPI ① year it feeds. Recruitment activity for it is entered
by calendar month (April … March of the recruitment season, which is mostly
the year before). The first five stages are aggregate counts entered by the
town (inquiries and visits are often anonymous prospective families); arrivals
are never entered — they are derived from Residence records with the KPI ①
rule (``ekkyo.core.kpi``: new residences starting in the FY of students whose
home is not the host), so the funnel and the KPI report cannot disagree.

These rows hold no personal data, but they are a town's own working figures:
the scoped manager lets the secretariat and the town's staff see them only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ekkyo.registry.models import Consortium, Municipality
from ekkyo.tenancy.managers import TenantManager, any_of
from ekkyo.tenancy.principal import Principal


class FunnelStage(models.TextChoices):
    INQUIRY = "inquiry", _("Inquiries")
    SESSION = "session", _("Information sessions")
    VISIT = "visit", _("Visits (open school)")
    APPLICATION = "application", _("Applications for admission")
    ADMISSION = "admission", _("Admissions")
    ARRIVAL = "arrival", _("Arrivals")


#: The stages in funnel order.
STAGES: tuple[FunnelStage, ...] = tuple(FunnelStage)
#: Stages the town enters by hand; arrivals come from Residence records.
ENTERED_STAGES: tuple[FunnelStage, ...] = STAGES[:-1]
#: Stages that count families (often anonymous), not students: aggregates
#: that pass to the consortium overview without disclosure control
#: (docs/decisions.md, "Residence funnel").
FAMILY_STAGES = frozenset({FunnelStage.INQUIRY, FunnelStage.SESSION, FunnelStage.VISIT})
#: Months of the recruitment season in the order they happen.
SEASON_MONTHS: tuple[int, ...] = (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)


class FunnelEntry(models.Model):
    """One count: a town's stage in one month of one intake year (optionally per programme)."""

    consortium = models.ForeignKey(Consortium, on_delete=models.CASCADE, related_name="+")
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("host municipality"),
        on_delete=models.PROTECT,
        related_name="funnel_entries",
    )
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year of arrival"))
    stage = models.CharField(_("stage"), max_length=12, choices=FunnelStage.choices)
    month = models.PositiveSmallIntegerField(_("month"))
    programme = models.ForeignKey(
        "programmes.Programme",
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="funnel_entries",
    )
    count = models.PositiveIntegerField(_("count"), default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()
    _unscoped = models.Manager()  # noqa: DJ012 — unscoped, for services after an access check

    class Meta:
        db_table = "programmes_funnelentry"
        ordering = ["municipality", "fiscal_year", "stage", "month"]
        verbose_name = _("funnel entry")
        verbose_name_plural = _("funnel entries")
        base_manager_name = "_unscoped"
        # Two partial constraints instead of nulls_distinct=False, which SQLite lacks.
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "fiscal_year", "stage", "month"],
                condition=Q(programme__isnull=True),
                name="funnel_entry_once_for_town",
            ),
            models.UniqueConstraint(
                fields=["municipality", "fiscal_year", "stage", "month", "programme"],
                condition=Q(programme__isnull=False),
                name="funnel_entry_once_per_programme",
            ),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="funnel_month"),
            models.CheckConstraint(
                condition=~Q(stage=FunnelStage.ARRIVAL), name="funnel_arrivals_are_derived"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.municipality_id} FY{self.fiscal_year} {self.stage} m{self.month}"

    @classmethod
    def tenancy_filter(cls, principal: Principal) -> Q:
        return any_of(
            Q(consortium_id__in=principal.admin_consortium_ids)
            if principal.admin_consortium_ids
            else None,
            Q(municipality_id__in=principal.municipality_ids)
            if principal.municipality_ids
            else None,
        )
