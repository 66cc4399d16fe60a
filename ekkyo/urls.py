from allauth import urls as allauth_urls
from django.contrib import admin
from django.urls import URLPattern, include, path

from ekkyo.accounts import views as account_views
from ekkyo.allocation import urls as allocation_urls
from ekkyo.funnel import urls as funnel_urls
from ekkyo.participation import urls as participation_urls
from ekkyo.programmes import urls as programmes_urls
from ekkyo.web import views as web_views

# The catalogue, allocation, participation and funnel apps share one URL
# namespace and path (``programmes:…`` under /programmes/), as before they were
# split out of ``programmes`` (docs/decisions.md, "Four apps out of programmes").
PROGRAMMES_ROUTES = (
    programmes_urls.urlpatterns
    + allocation_urls.urlpatterns
    + participation_urls.urlpatterns
    + funnel_urls.urlpatterns
)

# allauth's pages, without its unnamed redirects from the old /social/ paths
# (ekkyo never had them; every route of ours has a name and a declaration).
ALLAUTH_ROUTES = [
    p
    for p in allauth_urls.urlpatterns
    if not (isinstance(p, URLPattern) and p.name is None and str(p.pattern).startswith("social/"))
]

urlpatterns = [
    path("", web_views.home, name="home"),
    path("healthz", web_views.healthz, name="healthz"),
    path("accounts/", include(ALLAUTH_ROUTES)),
    path("student/sign-in/", account_views.student_sign_in, name="student_sign_in"),
    path(
        "student/sign-in/qr/<str:token>/",
        account_views.student_sign_in_qr,
        name="student_sign_in_qr",
    ),
    path("sign-in-identities/", account_views.sign_in_identities, name="sign_in_identities"),
    path("people/", include("ekkyo.people.urls")),
    path("programmes/", include((PROGRAMMES_ROUTES, "programmes"))),
    path("hosting/", include("ekkyo.hosting.urls")),
    path("kpis/", include("ekkyo.kpis.urls")),
    path("scheduling/", include("ekkyo.scheduling.urls")),
    path("teams/", include("ekkyo.teams.urls")),
    path("portfolio/", include("ekkyo.portfolio.urls")),
    path("rights/", include("ekkyo.rights.urls")),
    path("", include("ekkyo.surveys.urls")),
    path("registry/", include("ekkyo.registry.urls")),
    path("audit/", include("ekkyo.audit.urls")),
    path("jobs/", include("ekkyo.jobs.urls")),
    path("api/v1/", include("ekkyo.api.urls")),
    path("api/tokens/", include("ekkyo.api.page_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
