from django.urls import path

from . import views

app_name = "teams"
urlpatterns = [
    path("", views.index, name="index"),
    path("mine/", views.my_teams, name="my_teams"),
    path("programmes/<int:programme_id>/", views.programme_sets, name="programme_sets"),
    path("programmes/<int:programme_id>/compare/", views.compare, name="compare"),
    path("sets/<int:team_set_id>/", views.set_detail, name="set_detail"),
    path("sets/<int:team_set_id>/teams.xlsx", views.set_export, name="set_export"),
    path("<int:team_id>/", views.team_detail, name="team_detail"),
    path("posts/<int:post_id>/hide/", views.post_hide, name="post_hide"),
    path("files/<int:file_id>/", views.file_download, name="file_download"),
]
