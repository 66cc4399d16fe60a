from django.urls import path

from . import views

app_name = "scheduling"
urlpatterns = [
    path("", views.index, name="index"),
    path("templates/bell-schedule.csv", views.bell_template, name="bell_template"),
    path("templates/calendar.csv", views.calendar_template, name="calendar_template"),
    path("schools/<str:school_code>/timetable/", views.timetable, name="timetable"),
    path(
        "schools/<str:school_code>/timetable/import/",
        views.timetable_import,
        name="timetable_import",
    ),
    path("schools/<str:school_code>/calendar/", views.school_calendar, name="calendar"),
    path(
        "schools/<str:school_code>/calendar/import/",
        views.calendar_import_view,
        name="calendar_import",
    ),
    path("programmes/<int:programme_id>/", views.programme_slots, name="programme_slots"),
    path("programmes/<int:programme_id>/slot.ics", views.slot_ics, name="slot_ics"),
]
