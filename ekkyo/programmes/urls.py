from django.urls import path

from . import application_views as apps_views
from . import views

app_name = "programmes"
urlpatterns = [
    path("", views.catalogue_view, name="catalogue"),
    path("calendar/", views.calendar_view, name="calendar"),
    path("calendar.ics", views.calendar_feed, name="feed"),
    path("<int:programme_id>/", views.programme_detail, name="detail"),
    path("manage/", views.manage_list, name="manage_list"),
    path("manage/new/", views.manage_edit, name="manage_new"),
    path("manage/<int:programme_id>/", views.manage_detail, name="manage_detail"),
    path("manage/<int:programme_id>/edit/", views.manage_edit, name="manage_edit"),
    path("manage/<int:programme_id>/cancel/", views.manage_cancel, name="manage_cancel"),
    path("applications/", apps_views.my_applications, name="my_applications"),
    path("rounds/<int:round_id>/apply/", apps_views.apply, name="apply"),
    path("applications/<int:application_id>/withdraw/", apps_views.withdraw, name="withdraw"),
    path("<int:programme_id>/reflection/", apps_views.reflection, name="reflection"),
    path("consents/", apps_views.consents, name="consents"),
    path("approvals/", apps_views.approvals, name="approvals"),
    path("rounds/", apps_views.rounds, name="rounds"),
    path("rounds/<int:round_id>/", apps_views.round_manage, name="round_manage"),
]

from . import participation_views as part_views  # noqa: E402

urlpatterns += [
    path("sessions/<int:session_id>/attendance/", part_views.attendance, name="attendance"),
    path("manage/<int:programme_id>/stays/", part_views.stays_from_seats, name="stays_from_seats"),
    path("residences/", part_views.residences, name="residences"),
]

from . import funnel_views  # noqa: E402

urlpatterns += [
    path("funnel/", funnel_views.funnel_index, name="funnel"),
    path("funnel/<int:fy>/", funnel_views.funnel_overview_view, name="funnel_overview"),
    path("funnel/<int:fy>/<str:municipality_code>/", funnel_views.funnel_town, name="funnel_town"),
    path(
        "funnel/<int:fy>/<str:municipality_code>/edit/",
        funnel_views.funnel_edit,
        name="funnel_edit",
    ),
    path(
        "funnel/<int:fy>/<str:municipality_code>/import/",
        funnel_views.funnel_upload,
        name="funnel_import",
    ),
    path(
        "funnel/<int:fy>/<str:municipality_code>/funnel.csv",
        funnel_views.funnel_export,
        name="funnel_export",
    ),
]
