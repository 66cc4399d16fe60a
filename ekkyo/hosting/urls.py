from django.urls import path

from . import views

app_name = "hosting"
urlpatterns = [
    path("families/", views.family_list, name="family_list"),
    path("families/<int:family_id>/", views.family_edit, name="family_edit"),
    path("placements/<int:programme_id>/", views.placements, name="placements"),
    path("host/", views.host_home, name="host_home"),
    path("my-stays/", views.my_stays, name="my_stays"),
    path("stays/<int:stay_id>/health/", views.stay_health, name="stay_health"),
]
