from django.urls import path

from . import token_views

app_name = "api-tokens"
urlpatterns = [path("", token_views.tokens, name="tokens")]
