from django.urls import path

from . import views

app_name = "surveys"
urlpatterns = [
    path("s/<str:token>/", views.answer, name="answer"),
    path("s/<str:token>/submit", views.submit, name="submit"),
]

from . import manage_views  # noqa: E402

urlpatterns += [
    path("surveys/waves/", manage_views.wave_list, name="wave_list"),
    path("surveys/waves/<int:wave_id>/", manage_views.wave_detail, name="wave_detail"),
    path(
        "surveys/waves/<int:wave_id>/sheet/<str:school_code>/",
        manage_views.wave_sheet,
        name="wave_sheet",
    ),
    path("surveys/waves/<int:wave_id>/remind/", manage_views.wave_remind, name="wave_remind"),
    path("surveys/waves/<int:wave_id>/import/", manage_views.wave_import, name="wave_import"),
    path("surveys/effects/<int:fy>/", manage_views.effects, name="effects"),
    path(
        "surveys/reports/<str:school_code>/<int:fy>/",
        manage_views.school_report_view,
        name="school_report",
    ),
]
