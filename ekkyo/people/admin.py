from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Guardian, GuardianLink, Student
from .signals import announce_students


class GuardianLinkInline(admin.TabularInline):
    model = GuardianLink
    extra = 0
    autocomplete_fields = ["guardian"]


@admin.register(Student)
class StudentAdmin(admin.ModelAdmin):
    list_display = [
        "family_name",
        "given_name",
        "family_name_kana",
        "school",
        "grade",
        "home_municipality",
        "left_on",
    ]
    list_filter = ["grade", "preferred_language", "home_country"]
    search_fields = [
        "family_name",
        "given_name",
        "family_name_kana",
        "given_name_kana",
        "student_number",
    ]
    raw_id_fields = ["school", "home_municipality", "user"]
    readonly_fields = ["pseudonym", "oneroster_sourced_id", "created_at", "updated_at"]
    inlines = [GuardianLinkInline]

    def save_model(self, request: HttpRequest, obj: Student, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change:  # a new home town or school moves the student's KPI rows
            announce_students(sender=Student, student_ids=[obj.pk])


@admin.register(Guardian)
class GuardianAdmin(admin.ModelAdmin):
    list_display = ["family_name", "given_name", "email"]
    search_fields = ["family_name", "given_name", "email"]
    raw_id_fields = ["user"]
