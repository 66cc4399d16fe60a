"""Team sets and team spaces for online programmes (joint inquiry projects, 探究).

A TeamSet is one formation of the participants of an online programme into
teams (computed by ``ekkyo.core.teams`` and then adjusted by hand); each Team
has a page (its space) with members, its theme (地域課題), posts and
reflections, files, partner mentors and notifications.

Who sees what is decided here, in ``tenancy_filter`` (DESIGN.md): staff who
may manage the programme see its team sets; a student sees only published
teams they belong to; a partner (mentor) sees only published teams their
organisation mentors, and pages show them first names and regions only.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ekkyo.partners.models import Partner
from ekkyo.people.models import Student
from ekkyo.programmes.models import Programme
from ekkyo.tenancy.managers import TenantManager, any_of
from ekkyo.tenancy.principal import Principal


def managed_programme_filter(principal: Principal, prefix: str) -> Q | None:
    """The programmes the principal may manage (programmes.selectors.manageable_programmes)."""
    return any_of(
        Q(**{f"{prefix}consortium_id__in": principal.admin_consortium_ids})
        if principal.admin_consortium_ids
        else None,
        Q(**{f"{prefix}host_municipality_id__in": principal.municipality_ids})
        if principal.municipality_ids
        else None,
        Q(**{f"{prefix}host_school_id__in": principal.school_ids})
        if principal.school_ids
        else None,
    )


def _grant_parts(principal: Principal, prefix: str) -> list[Q | None]:
    """``prefix`` leads from the model to Team (e.g. "" for Team, "team__" for a post)."""
    parts: list[Q | None] = []
    if principal.admin_consortium_ids or principal.municipality_ids or principal.school_ids:
        parts.append(managed_programme_filter(principal, f"{prefix}team_set__programme__"))
    published = Q(**{f"{prefix}team_set__status": TeamSetStatus.PUBLISHED})
    if principal.student_id:
        mine = TeamMember._unscoped.filter(student_id=principal.student_id).values("team_id")
        parts.append(Q(**{f"{prefix}pk__in": mine}) & published)
    if principal.partner_ids:
        mentored = TeamMentor._unscoped.filter(partner_id__in=principal.partner_ids).values(
            "team_id"
        )
        parts.append(Q(**{f"{prefix}pk__in": mentored}) & published)
    return parts


def team_filter(principal: Principal, prefix: str = "") -> Q:
    if principal.system:
        return Q()
    return any_of(*_grant_parts(principal, prefix))


class TeamSetStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published to students")


class TeamSet(models.Model):
    """One formation of an online programme's participants into teams."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="team_sets")
    name = models.CharField(_("name"), max_length=120)
    round_number = models.PositiveSmallIntegerField(_("round"), default=1)
    team_size = models.PositiveSmallIntegerField(_("team size"))
    weights = models.JSONField(_("weights"), default=dict)
    method = models.CharField(_("method"), max_length=12, default="auto")
    previous = models.ForeignKey(
        "self",
        verbose_name=_("previous team set"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    min_score = models.FloatField(_("lowest team score"), default=0)
    harmonic_mean = models.FloatField(_("harmonic mean"), default=0)
    bound = models.FloatField(_("upper bound"), default=0)
    gap = models.FloatField(_("gap"), default=0)
    optimal = models.BooleanField(_("proven optimal"), default=False)
    violations = models.JSONField(_("rules not met"), default=list, blank=True)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=TeamSetStatus.choices, default=TeamSetStatus.DRAFT
    )
    version = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = TenantManager()
    _unscoped = models.Manager()  # noqa: DJ012 — unscoped, for services after an access check

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("team set")
        verbose_name_plural = _("team sets")
        base_manager_name = "_unscoped"
        constraints = [
            models.CheckConstraint(condition=Q(team_size__gte=2), name="teamset_size_at_least_2")
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def tenancy_filter(cls, principal: Principal) -> Q:
        parts: list[Q | None] = []
        if principal.admin_consortium_ids or principal.municipality_ids or principal.school_ids:
            parts.append(managed_programme_filter(principal, "programme__"))
        published = Q(status=TeamSetStatus.PUBLISHED)
        if principal.student_id:
            mine = TeamMember._unscoped.filter(student_id=principal.student_id).values(
                "team_set_id"
            )
            parts.append(Q(pk__in=mine) & published)
        if principal.partner_ids:
            mentored = TeamMentor._unscoped.filter(partner_id__in=principal.partner_ids).values(
                "team__team_set_id"
            )
            parts.append(Q(pk__in=mentored) & published)
        return any_of(*parts)


class Team(models.Model):
    team_set = models.ForeignKey(TeamSet, on_delete=models.CASCADE, related_name="teams")
    number = models.PositiveSmallIntegerField(_("team number"))
    theme = models.CharField(_("theme (regional issue)"), max_length=200, blank=True)
    score = models.FloatField(_("score"), default=0)

    objects = TenantManager()
    _unscoped = models.Manager()  # noqa: DJ012 — unscoped, for services after an access check

    class Meta:
        ordering = ["team_set", "number"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        base_manager_name = "_unscoped"
        constraints = [
            models.UniqueConstraint(fields=["team_set", "number"], name="team_number_unique")
        ]

    def __str__(self) -> str:
        return str(_("Team %(n)s") % {"n": self.number})

    @classmethod
    def tenancy_filter(cls, principal: Principal) -> Q:
        return team_filter(principal)


class TeamMember(models.Model):
    """A student in a team; one team per student in a set."""

    team_set = models.ForeignKey(TeamSet, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="team_memberships")

    objects = TenantManager()
    _unscoped = models.Manager()  # noqa: DJ012 — unscoped, for services after an access check

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        base_manager_name = "_unscoped"
        constraints = [
            models.UniqueConstraint(fields=["team_set", "student"], name="one_team_per_set")
        ]

    def __str__(self) -> str:
        return f"{self.student_id} in {self.team_id}"

    @classmethod
    def tenancy_filter(cls, principal: Principal) -> Q:
        return team_filter(principal, "team__")


class PostKind(models.TextChoices):
    POST = "post", _("Post")
    REFLECTION = "reflection", _("Reflection")


class TeamPost(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    author_label = models.CharField(max_length=120, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=PostKind.choices, default="post")
    body = models.TextField(_("text"), max_length=4000)
    client_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(_("reason"), max_length=200, blank=True)

    objects = TenantManager()
    _unscoped = models.Manager()  # noqa: DJ012 — unscoped, for services after an access check

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("team post")
        verbose_name_plural = _("team posts")
        base_manager_name = "_unscoped"
        constraints = [
            models.UniqueConstraint(
                fields=["team", "client_id"],
                condition=Q(client_id__isnull=False),
                name="team_post_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} in {self.team_id}"

    @property
    def author_full(self) -> str:
        return self.author_label.split("\t")[0]

    @property
    def author_first(self) -> str:
        """Mentors see only first names (DESIGN.md: partners get no personal data)."""
        return self.author_label.split("\t")[-1]

    @classmethod
    def tenancy_filter(cls, principal: Principal) -> Q:
        return team_filter(principal, "team__")


def _upload_to(instance: Any, filename: str) -> str:
    import uuid

    # The stored name never comes from the user; the original is kept as data.
    return f"teams/{instance.team_id}/{uuid.uuid4().hex}"


class TeamFile(models.Model):
    """A file shared in a team space; served only through a view, as an attachment."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="files")
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploader_label = models.CharField(max_length=120, blank=True)
    file = models.FileField(upload_to=_upload_to, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()
    _unscoped = models.Manager()  # noqa: DJ012 — unscoped, for services after an access check

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("team file")
        verbose_name_plural = _("team files")
        base_manager_name = "_unscoped"

    def __str__(self) -> str:
        return self.original_name

    @property
    def author_full(self) -> str:
        return self.uploader_label.split("\t")[0]

    @property
    def author_first(self) -> str:
        """Mentors see only first names (DESIGN.md: partners get no personal data)."""
        return self.uploader_label.split("\t")[-1]

    @classmethod
    def tenancy_filter(cls, principal: Principal) -> Q:
        return team_filter(principal, "team__")


class TeamMentor(models.Model):
    """A mentor from a partner organisation (company, university, NPO) for a team."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="mentors")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("mentor's name"), max_length=100)
    role = models.CharField(_("role"), max_length=100, blank=True)

    objects = TenantManager()
    _unscoped = models.Manager()  # noqa: DJ012 — unscoped, for services after an access check

    class Meta:
        verbose_name = _("mentor")
        verbose_name_plural = _("mentors")
        base_manager_name = "_unscoped"
        constraints = [
            models.UniqueConstraint(fields=["team", "partner", "name"], name="mentor_once")
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def tenancy_filter(cls, principal: Principal) -> Q:
        return team_filter(principal, "team__")


class NotificationKind(models.TextChoices):
    POST = "post", _("New post")
    FILE = "file", _("New file")
    MOVED = "moved", _("Team changed")
    PUBLISHED = "published", _("Teams published")


class TeamNotification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_notifications"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=NotificationKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = TenantManager()
    _unscoped = models.Manager()  # noqa: DJ012 — unscoped, for services after an access check

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        base_manager_name = "_unscoped"
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"

    @classmethod
    def tenancy_filter(cls, principal: Principal) -> Q:
        if principal.system:
            return Q()
        return Q(user_id=principal.user_id) if principal.user_id else Q(pk__in=[])
