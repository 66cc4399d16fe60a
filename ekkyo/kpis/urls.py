from django.urls import path

from . import views

app_name = "kpis"
urlpatterns = [
    path("<int:fy>/", views.kpi_table, name="table"),
    path("<int:fy>/export.xlsx", views.kpi_export, name="export"),
    path("<int:fy>/report/", views.report, name="report"),
]
