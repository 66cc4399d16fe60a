from django.urls import path

from . import views

urlpatterns = [
    path("sso/<str:provider_id>/login/", views.login, name="ekkyo_oidc_login"),
    path("sso/<str:provider_id>/login/callback/", views.callback, name="ekkyo_oidc_callback"),
]
