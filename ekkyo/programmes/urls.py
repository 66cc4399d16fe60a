from django.urls import path

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
]
