"""Reference data: prefectures, municipalities, schools, the consortium and its members.

None of this is personal data, so these models use plain managers. Codes are
validated by the functional core (``ekkyo.core.codes``); membership of the
consortium is dated by fiscal year because towns join and leave.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ekkyo.core import codes


def _localized(ja: str, en: str) -> str:
    return en if (get_language() or "ja").startswith("en") and en else ja


class Prefecture(models.Model):
    """JIS X 0401: 01 北海道 … 47 沖縄県."""

    code = models.CharField(_("code"), max_length=2, primary_key=True)
    name = models.CharField(_("name"), max_length=10)
    name_en = models.CharField(_("name (English)"), max_length=20)
    name_kana = models.CharField(_("name (kana)"), max_length=20, blank=True)
    region = models.CharField(_("region"), max_length=20, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("prefecture")
        verbose_name_plural = _("prefectures")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return _localized(self.name, self.name_en)


class Municipality(models.Model):
    """A municipality by its 全国地方公共団体コード (6 digits with check digit).

    The registry holds every municipality the platform meets, members or not
    (students come from anywhere). A code seen in an import but not yet named
    is kept with an empty name until the secretariat fills it in.
    """

    code = models.CharField(_("local government code"), max_length=6, unique=True)
    prefecture = models.ForeignKey(
        Prefecture, on_delete=models.PROTECT, related_name="municipalities"
    )
    name = models.CharField(_("name"), max_length=40, blank=True)
    name_kana = models.CharField(_("name (kana)"), max_length=60, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=60, blank=True)
    is_sample = models.BooleanField(
        _("synthetic sample"), default=False, help_text=_("Fictional demo data, not a real town.")
    )
    # Where the town is drawn on the dashboards' map (its office); without
    # them, the prefecture's capital stands in.
    latitude = models.DecimalField(
        _("latitude"), max_digits=8, decimal_places=5, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=8, decimal_places=5, null=True, blank=True
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9]{6}$"), name="municipality_code_6_digits"
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        name = _localized(self.name, self.name_en)
        if not name:
            return str(_("Unregistered municipality %(code)s") % {"code": self.code})
        return name

    @property
    def full_name(self) -> str:
        return f"{self.prefecture.display_name} {self.display_name}"

    def clean(self) -> None:
        try:
            self.code = codes.normalize_municipality_code(self.code)
        except codes.CodeError as exc:
            raise ValidationError({"code": str(exc)}) from exc
        if self.prefecture_id and self.code[:2] != self.prefecture_id:
            raise ValidationError({"code": _("The code does not belong to this prefecture.")})


class SchoolKind(models.TextChoices):
    JUNIOR_HIGH = "C1", _("Junior high school")
    COMPULSORY = "C2", _("Compulsory education school")
    HIGH = "D1", _("High school")
    SECONDARY = "D2", _("Secondary school")
    SPECIAL_NEEDS = "E1", _("Special needs school")


class School(models.Model):
    """A school by its 学校コード (13 characters). Belongs to one municipality."""

    code = models.CharField(_("school code"), max_length=13, unique=True)
    kind = models.CharField(_("kind"), max_length=2, choices=SchoolKind.choices)
    name = models.CharField(_("name"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="schools")
    is_sample = models.BooleanField(_("synthetic sample"), default=False)

    class Meta:
        ordering = ["municipality__code", "code"]
        verbose_name = _("school")
        verbose_name_plural = _("schools")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return _localized(self.name, self.name_en)

    @property
    def max_grade(self) -> int:
        return 9 if self.kind == SchoolKind.COMPULSORY else (6 if self.kind in {"D2", "E1"} else 3)

    def clean(self) -> None:
        try:
            self.code = codes.validate_school_code(self.code).code
        except codes.CodeError as exc:
            raise ValidationError({"code": str(exc)}) from exc


class Consortium(models.Model):
    """A consortium of municipalities (越境ねっと). The root of every tenant."""

    slug = models.SlugField(_("short name"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=150, blank=True)
    lead = models.ForeignKey(
        Municipality,
        verbose_name=_("lead municipality"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    disclosure_k = models.PositiveSmallIntegerField(
        _("disclosure threshold k"),
        default=10,
        help_text=_("Figures built from fewer people than this are suppressed."),
    )

    class Meta:
        verbose_name = _("consortium")
        verbose_name_plural = _("consortia")
        constraints = [
            models.CheckConstraint(condition=Q(disclosure_k__gte=2), name="disclosure_k_at_least_2")
        ]

    def __str__(self) -> str:
        return _localized(self.name, self.name_en)


class MemberKind(models.TextChoices):
    MUNICIPALITY = "municipality", _("Municipality")
    JOINT_BODY = "joint_body", _("Joint body (組合)")


class Member(models.Model):
    """Membership of a municipality or joint body in a consortium, dated by FY.

    ``first_fy``/``last_fy`` are fiscal years (2025 = 令和7年度); an open
    ``last_fy`` means still a member.
    """

    consortium = models.ForeignKey(Consortium, on_delete=models.CASCADE, related_name="members")
    kind = models.CharField(
        _("kind"), max_length=20, choices=MemberKind.choices, default=MemberKind.MUNICIPALITY
    )
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
    )
    name = models.CharField(
        _("name of joint body"), max_length=100, blank=True, help_text=_("Joint bodies only.")
    )
    constituents = models.ManyToManyField(
        Municipality, verbose_name=_("constituent municipalities"), blank=True, related_name="+"
    )
    first_fy = models.PositiveSmallIntegerField(_("first fiscal year"))
    last_fy = models.PositiveSmallIntegerField(_("last fiscal year"), null=True, blank=True)

    class Meta:
        ordering = ["consortium", "municipality__code", "name"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="municipality") & Q(municipality__isnull=False))
                | (Q(kind="joint_body") & ~Q(name="")),
                name="member_kind_fields",
            ),
            models.CheckConstraint(
                condition=Q(last_fy__isnull=True) | Q(last_fy__gte=models.F("first_fy")),
                name="member_fy_order",
            ),
            models.UniqueConstraint(
                fields=["consortium", "municipality", "first_fy"],
                name="member_unique_per_start",
                condition=Q(municipality__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.municipality_id:
            return self.municipality.display_name  # type: ignore[union-attr]
        return self.name

    def active_in(self, fy: int) -> bool:
        return self.first_fy <= fy and (self.last_fy is None or fy <= self.last_fy)
