"""Students and guardians: personal data, reached only through the tenancy layer.

Data classes (DESIGN.md "Protecting minors' data"): names, contact data and
the school link are class IV; nothing here is class I. Names are stored
exactly as entered (no Unicode normalisation): 髙, 﨑 and 𠮷 must survive.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ekkyo.registry.models import Consortium, Municipality, School
from ekkyo.tenancy.managers import TenantManager, any_of
from ekkyo.tenancy.principal import Principal


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other / prefer not to say")
    UNKNOWN = "", _("Not given")


class Language(models.TextChoices):
    JA = "ja", _("Japanese")
    EN = "en", _("English")


class Student(models.Model):
    """A learner. The school may be outside the registry; home may be abroad."""

    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="students")
    school = models.ForeignKey(
        School,
        verbose_name=_("school"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="students",
    )
    school_name_other = models.CharField(
        _("school (outside the registry)"), max_length=120, blank=True
    )
    student_number = models.CharField(_("student number"), max_length=32)
    family_name = models.CharField(_("family name"), max_length=50)
    given_name = models.CharField(_("given name"), max_length=50)
    family_name_kana = models.CharField(_("family name (kana)"), max_length=100)
    given_name_kana = models.CharField(_("given name (kana)"), max_length=100)
    romanized_name = models.CharField(_("name in Latin letters"), max_length=100, blank=True)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    grade = models.PositiveSmallIntegerField(_("grade"))
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    home_municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("home municipality"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resident_students",
    )
    home_country = models.CharField(_("home country"), max_length=2, default="JP")
    preferred_language = models.CharField(
        _("preferred language"), max_length=5, choices=Language.choices, default=Language.JA
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="student",
    )
    # From a OneRoster Japan Profile import (people.oneroster_services): the
    # exporting system's id of the student (the import's key), the homeroom
    # (学級) and 出席番号, which change every year.
    oneroster_sourced_id = models.CharField(
        _("OneRoster sourcedId"), max_length=128, blank=True, editable=False
    )
    home_class = models.CharField(_("homeroom class"), max_length=50, blank=True)
    # The student's school account (Google Workspace / Microsoft 365): signing
    # in with it is matched on this address only (accounts.sso_services).
    school_email = models.EmailField(_("school e-mail"), blank=True)
    attendance_number = models.PositiveSmallIntegerField(
        _("attendance number (出席番号)"), null=True, blank=True
    )
    # The day the student left the school (転出・卒業), as the school's roster
    # says; students are never deleted by an import.
    left_on = models.DateField(_("left the school on"), null=True, blank=True)
    # Stable pseudonymous id: links survey waves and exports without names.
    pseudonym = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()
    _unscoped = models.Manager()  # noqa: DJ012 — unscoped, for services after an access check

    class Meta:
        ordering = ["school__code", "grade", "family_name_kana", "given_name_kana", "pk"]
        verbose_name = _("student")
        verbose_name_plural = _("students")
        base_manager_name = "_unscoped"
        constraints = [
            models.UniqueConstraint(
                fields=["school", "student_number"],
                name="student_number_unique_per_school",
                condition=Q(school__isnull=False),
            ),
            models.CheckConstraint(condition=Q(grade__gte=1, grade__lte=9), name="grade_1_to_9"),
            models.CheckConstraint(
                condition=Q(home_country__regex=r"^[A-Z]{2}$"), name="home_country_iso2"
            ),
            models.CheckConstraint(
                condition=Q(school__isnull=False) | ~Q(school_name_other=""),
                name="student_has_school",
            ),
            models.UniqueConstraint(
                Lower("school_email"),
                condition=~Q(school_email=""),
                name="student_school_email_unique_ci",
            ),
            models.UniqueConstraint(
                fields=["school", "oneroster_sourced_id"],
                name="student_oneroster_id_unique_per_school",
                condition=Q(school__isnull=False) & ~Q(oneroster_sourced_id=""),
            ),
        ]
        indexes = [
            models.Index(fields=["consortium", "home_municipality"]),
            models.Index(fields=["family_name_kana", "given_name_kana"]),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.family_name} {self.given_name}"

    @property
    def full_name_kana(self) -> str:
        return f"{self.family_name_kana} {self.given_name_kana}"

    @property
    def school_display(self) -> str:
        return self.school.display_name if self.school_id else self.school_name_other  # type: ignore[union-attr]

    @property
    def is_from_abroad(self) -> bool:
        return self.home_country != "JP"

    @property
    def has_left(self) -> bool:
        return self.left_on is not None

    @classmethod
    def tenancy_filter(cls, principal: Principal) -> Q:
        """Everyone who may see anything of the student (see full_access_filter),
        plus host towns, schools and families for their applicants and guests."""
        return any_of(cls.full_access_filter(principal), *_hosting_grants(principal))

    @classmethod
    def visible_ids(cls, principal: Principal, *, full: bool = False) -> models.QuerySet[Any]:
        """A subquery of the ids of students the principal may see: for the
        tenancy filters of rows about students. ``full`` leaves out hosting
        grants (applicants, guests)."""
        q = cls.full_access_filter(principal) if full else cls.tenancy_filter(principal)
        return cls._unscoped.filter(q).values("pk")

    @classmethod
    def full_access_filter(cls, principal: Principal) -> Q:
        """DESIGN.md: the secretariat sees its consortium; a town its residents and
        its schools' students; a school its students; a student themself; a
        guardian their children."""
        if principal.system:
            return Q()
        return any_of(
            Q(consortium_id__in=principal.admin_consortium_ids)
            if principal.admin_consortium_ids
            else None,
            (
                Q(home_municipality_id__in=principal.municipality_ids)
                | Q(school__municipality_id__in=principal.municipality_ids)
            )
            if principal.municipality_ids
            else None,
            Q(school_id__in=principal.school_ids) if principal.school_ids else None,
            Q(pk=principal.student_id) if principal.student_id else None,
            Q(pk__in=principal.child_student_ids) if principal.child_student_ids else None,
        )


def _hosting_grants(principal: Principal) -> list[Q]:
    """A host town or school sees the applicants to its programmes, and a host
    family its guests; pages then show them only the fields needed to host
    (``people.selectors.student_access``)."""
    from django.apps import apps

    grants: list[Q] = []
    if principal.municipality_ids or principal.school_ids:
        choice = apps.get_model("allocation", "ApplicationChoice")
        hosted = Q(programme__host_municipality_id__in=principal.municipality_ids) | Q(
            programme__host_school_id__in=principal.school_ids
        )
        applicants = (
            choice.objects.filter(hosted)
            .exclude(application__status__in=["draft", "withdrawn"])
            .values("application__student_id")
        )
        grants.append(Q(pk__in=applicants))
    if principal.host_ids:
        stay = apps.get_model("participation", "Stay")
        guests = stay._unscoped.filter(host_family_id__in=principal.host_ids, cancelled=False)
        grants.append(Q(pk__in=guests.values("student_id")))
    return grants


class Guardian(models.Model):
    """A parent or legal guardian; gives or withdraws consent for their children."""

    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="guardians")
    family_name = models.CharField(_("family name"), max_length=50)
    given_name = models.CharField(_("given name"), max_length=50, blank=True)
    family_name_kana = models.CharField(_("family name (kana)"), max_length=100, blank=True)
    given_name_kana = models.CharField(_("given name (kana)"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=5, choices=Language.choices, default=Language.JA
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="guardian",
    )
    students = models.ManyToManyField(
        Student, through="GuardianLink", related_name="guardians", verbose_name=_("children")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()
    _unscoped = models.Manager()  # noqa: DJ012 — unscoped, for services after an access check

    class Meta:
        ordering = ["family_name_kana", "given_name_kana", "pk"]
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")
        base_manager_name = "_unscoped"

    def __str__(self) -> str:
        return f"{self.family_name} {self.given_name}"

    @classmethod
    def tenancy_filter(cls, principal: Principal) -> Q:
        """Guardians are visible to whoever may see one of their children's whole
        record (not to host towns or families)."""
        visible_children = Student.full_access_filter(principal)
        parts: list[Q | None] = [
            Q(consortium_id__in=principal.admin_consortium_ids)
            if principal.admin_consortium_ids
            else None,
            Q(pk=principal.guardian_id) if principal.guardian_id else None,
        ]
        if principal.municipality_ids or principal.school_ids or principal.student_id:
            child_ids = Student._unscoped.filter(visible_children).values("pk")
            guardian_ids = GuardianLink.objects.filter(student_id__in=child_ids).values(
                "guardian_id"
            )
            parts.append(Q(pk__in=guardian_ids))
        return any_of(*parts)


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("Previewed")
    APPLIED = "applied", _("Applied")
    DISCARDED = "discarded", _("Discarded")


class ImportKind(models.TextChoices):
    ROSTER = "roster", _("Roster (CSV or Excel)")
    ONEROSTER = "oneroster", _("OneRoster Japan Profile (zip)")


class RosterImport(models.Model):
    """An uploaded roster file between preview and confirmation.

    The file is kept only until it is applied or discarded (then emptied;
    the hash stays), so a double submit of "confirm" finds it applied and
    changes nothing. A roster, and a OneRoster package of one school, name
    their ``school``; a OneRoster package of a board of education has no
    school but its ``board_code`` (教育委員会コード) and, when a town's staff
    uploaded it, that town as ``municipality`` (who may see it).
    """

    consortium = models.ForeignKey(Consortium, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(
        _("kind"), max_length=10, choices=ImportKind.choices, default=ImportKind.ROSTER
    )
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="roster_imports"
    )
    board_code = models.CharField(_("board of education code"), max_length=6, blank=True)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    filename = models.CharField(_("file name"), max_length=200)
    content = models.BinaryField(editable=False)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=12, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED
    )
    result = models.JSONField(default=dict, blank=True)

    objects = TenantManager()
    _unscoped = models.Manager()  # noqa: DJ012 — unscoped, for services after an access check

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
        base_manager_name = "_unscoped"
        constraints = [
            models.CheckConstraint(
                condition=Q(school__isnull=False) | (Q(kind="oneroster") & ~Q(board_code="")),
                name="roster_import_school_or_board",
            )
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"

    @property
    def scope_display(self) -> str:
        """The school, or the board of education, the upload is for."""
        if self.school_id:
            return str(self.school)
        return str(_("Board of education %(code)s") % {"code": self.board_code})

    @classmethod
    def tenancy_filter(cls, principal: Principal) -> Q:
        return any_of(
            Q(consortium_id__in=principal.admin_consortium_ids)
            if principal.admin_consortium_ids
            else None,
            Q(school__municipality_id__in=principal.municipality_ids)
            | Q(municipality_id__in=principal.municipality_ids)
            if principal.municipality_ids
            else None,
            Q(school_id__in=principal.school_ids) if principal.school_ids else None,
        )


class Relationship(models.TextChoices):
    MOTHER = "mother", _("Mother")
    FATHER = "father", _("Father")
    GUARDIAN = "guardian", _("Guardian")


class GuardianLink(models.Model):
    guardian = models.ForeignKey(Guardian, on_delete=models.CASCADE, related_name="links")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="guardian_links")
    relationship = models.CharField(
        _("relationship"), max_length=20, choices=Relationship.choices, default="guardian"
    )

    class Meta:
        verbose_name = _("guardian link")
        verbose_name_plural = _("guardian links")
        constraints = [
            models.UniqueConstraint(fields=["guardian", "student"], name="guardian_link_unique")
        ]

    def __str__(self) -> str:
        return f"{self.guardian_id} → {self.student_id}"


class ConsentPurpose(models.TextChoices):
    APPLICATION = "application", _("Applying to programmes")
    HOST_DATA = "host_data", _("Giving the host the data needed to host")
    HEALTH = "health", _("Health and allergy notes (要配慮個人情報)")
    SURVEY = "survey", _("Answering a linked survey")


class Consent(models.Model):
    """A guardian's consent: who, when, which notice, for what (DESIGN.md).

    Withdrawal sets ``withdrawn_at`` (the row stays as the record); whatever
    the consent covered stops (services check ``active``).
    """

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="consents")
    guardian = models.ForeignKey(
        Guardian, on_delete=models.SET_NULL, null=True, blank=True, related_name="consents"
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=ConsentPurpose.choices)
    scope = models.CharField(
        _("for"), max_length=60, blank=True, help_text=_("e.g. an allocation round")
    )
    notice_version = models.CharField(_("notice version"), max_length=30)
    given_at = models.DateTimeField(_("given"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    method = models.CharField(
        _("how"),
        max_length=10,
        choices=[
            ("online", _("Online by the guardian")),
            ("paper", _("Paper form, entered by staff")),
        ],
        default="online",
    )

    objects = TenantManager()
    _unscoped = models.Manager()  # noqa: DJ012 — unscoped, for services after an access check

    class Meta:
        ordering = ["-given_at"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        base_manager_name = "_unscoped"

    def __str__(self) -> str:
        return f"{self.student_id} {self.purpose} {self.scope}"

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None

    @classmethod
    def tenancy_filter(cls, principal: Principal) -> Q:
        visible = Student.visible_ids(principal, full=True)
        return Q(student_id__in=visible)
