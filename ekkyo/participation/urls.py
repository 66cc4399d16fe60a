"""Participation pages, mounted by ``ekkyo.urls`` in the ``programmes``
namespace under ``/programmes/`` (names and paths unchanged)."""

from django.urls import path

from . import views

urlpatterns = [
    path("<int:programme_id>/reflection/", views.reflection, name="reflection"),
    path("sessions/<int:session_id>/attendance/", views.attendance, name="attendance"),
    path("manage/<int:programme_id>/stays/", views.stays_from_seats, name="stays_from_seats"),
    path("residences/", views.residences, name="residences"),
]
