from django.urls import path

from . import dashboard_views, views

app_name = "kpis"
urlpatterns = [
    path("<int:fy>/", views.kpi_table, name="table"),
    path("<int:fy>/export.xlsx", views.kpi_export, name="export"),
    path("<int:fy>/report/", views.report, name="report"),
    path("<int:fy>/report/export.csv", views.report_csv, name="report_csv"),
    path("<int:fy>/report/report.pdf", views.report_pdf, name="report_pdf"),
    path("<int:fy>/dashboard/", dashboard_views.dashboard, name="dashboard"),
    path(
        "<int:fy>/dashboard/member/<str:municipality_code>/",
        dashboard_views.dashboard_member,
        name="dashboard_member",
    ),
    path(
        "<int:fy>/dashboard/school/<str:school_code>/",
        dashboard_views.dashboard_school,
        name="dashboard_school",
    ),
    path(
        "<int:fy>/dashboard/programme/<int:programme_id>/",
        dashboard_views.dashboard_programme,
        name="dashboard_programme",
    ),
    path("public/<int:fy>/", dashboard_views.public, name="public"),
    path("<int:fy>/contributions/", views.contributions, name="contributions"),
    path("<int:fy>/targets/", views.targets, name="targets"),
]
