from django.urls import path

from . import views

app_name = "rights"
urlpatterns = [
    path("", views.mine, name="mine"),
    path(
        "students/<int:student_id>/export.json",
        views.export,
        {"fmt": "json"},
        name="export_json",
    ),
    path("students/<int:student_id>/export.pdf", views.export, {"fmt": "pdf"}, name="export_pdf"),
    path("students/<int:student_id>/deletion/", views.deletion_request, name="deletion_request"),
    path(
        "students/<int:student_id>/withdraw-deletion/",
        views.deletion_withdraw,
        name="deletion_withdraw",
    ),
    path("requests/", views.requests, name="requests"),
    path("requests/<int:request_id>/decide/", views.request_decide, name="request_decide"),
    path("runs/", views.runs, name="runs"),
    path("retention/", views.retention, name="retention"),
]
