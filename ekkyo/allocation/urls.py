"""Application and allocation pages, mounted by ``ekkyo.urls`` in the
``programmes`` namespace under ``/programmes/`` (names and paths unchanged)."""

from django.urls import path

from . import views

urlpatterns = [
    path("applications/", views.my_applications, name="my_applications"),
    path("rounds/<int:round_id>/apply/", views.apply, name="apply"),
    path("applications/<int:application_id>/withdraw/", views.withdraw, name="withdraw"),
    path("consents/", views.consents, name="consents"),
    path("approvals/", views.approvals, name="approvals"),
    path("rounds/", views.rounds, name="rounds"),
    path("rounds/<int:round_id>/", views.round_manage, name="round_manage"),
]
