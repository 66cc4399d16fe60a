"""The catalogue and programme editing. ``ekkyo.urls`` mounts these with the
allocation, participation and funnel routes under one ``programmes`` namespace
and path, so every URL and URL name stayed as it was when the apps split
(docs/decisions.md, "Four apps out of programmes")."""

from django.urls import path

from . import views

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
]
