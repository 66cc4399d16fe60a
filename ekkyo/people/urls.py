from django.urls import path

from . import views

app_name = "people"
urlpatterns = [
    path("students/", views.student_list_view, name="student_list"),
    path("students/export.csv", views.student_export, {"fmt": "csv"}, name="student_export_csv"),
    path("students/export.xlsx", views.student_export, {"fmt": "xlsx"}, name="student_export_xlsx"),
    path("students/<int:student_id>/", views.student_detail, name="student_detail"),
    path(
        "students/<int:student_id>/sign-in-code/",
        views.student_issue_code,
        name="student_issue_code",
    ),
    path("students/sign-in-codes/", views.student_issue_codes_bulk, name="student_issue_codes"),
    path("me/", views.me, name="me"),
    path("my-children/", views.my_children, name="my_children"),
    path("roster/import/", views.roster_import, name="roster_import"),
    path("roster/import/<int:import_id>/", views.roster_preview, name="roster_preview"),
    path("roster/template.csv", views.roster_template, name="roster_template"),
    path("oneroster/import/", views.oneroster_import, name="oneroster_import"),
    path("oneroster/import/<int:import_id>/", views.oneroster_preview, name="oneroster_preview"),
]
