"""Residence funnel pages, mounted by ``ekkyo.urls`` in the ``programmes``
namespace under ``/programmes/funnel/`` (names and paths unchanged)."""

from django.urls import path

from . import views

urlpatterns = [
    path("funnel/", views.funnel_index, name="funnel"),
    path("funnel/<int:fy>/", views.funnel_overview_view, name="funnel_overview"),
    path("funnel/<int:fy>/<str:municipality_code>/", views.funnel_town, name="funnel_town"),
    path(
        "funnel/<int:fy>/<str:municipality_code>/edit/",
        views.funnel_edit,
        name="funnel_edit",
    ),
    path(
        "funnel/<int:fy>/<str:municipality_code>/import/",
        views.funnel_upload,
        name="funnel_import",
    ),
    path(
        "funnel/<int:fy>/<str:municipality_code>/funnel.csv",
        views.funnel_export,
        name="funnel_export",
    ),
]
