from django.urls import path

from . import views

app_name = "registry"
urlpatterns = [
    path("members/", views.member_list, name="member_list"),
    path("schools/", views.school_list, name="school_list"),
]
