from django.contrib import admin
from django.urls import include, path

from ekkyo.accounts import views as account_views
from ekkyo.web import views as web_views

urlpatterns = [
    path("", web_views.home, name="home"),
    path("healthz", web_views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("student/sign-in/", account_views.student_sign_in, name="student_sign_in"),
    path(
        "student/sign-in/qr/<str:token>/",
        account_views.student_sign_in_qr,
        name="student_sign_in_qr",
    ),
    path("people/", include("ekkyo.people.urls")),
    path("programmes/", include("ekkyo.programmes.urls")),
    path("hosting/", include("ekkyo.hosting.urls")),
    path("kpis/", include("ekkyo.kpis.urls")),
    path("scheduling/", include("ekkyo.scheduling.urls")),
    path("teams/", include("ekkyo.teams.urls")),
    path("portfolio/", include("ekkyo.portfolio.urls")),
    path("rights/", include("ekkyo.rights.urls")),
    path("", include("ekkyo.surveys.urls")),
    path("registry/", include("ekkyo.registry.urls")),
    path("audit/", include("ekkyo.audit.urls")),
    path("api/v1/", include("ekkyo.api.urls")),
    path("api/tokens/", include("ekkyo.api.page_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
