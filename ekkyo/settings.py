"""Django settings for ekkyo.

Every setting that differs between machines comes from the environment (read
here and nowhere else; see ``.env.example``). Development defaults are safe:
SQLite under ``var/``, console email, DEBUG on only when EKKYO_ENV=development.
With ``EKKYO_ENV=production`` the deployment checks pass
(``ekkyo check --deploy --fail-level WARNING``) and a missing SECRET_KEY is an
error, never a silent default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = PROJECT_DIR / "var"

env = environ.Env()
_env_file = PROJECT_DIR / ".env"
if _env_file.exists():
    env.read_env(str(_env_file))

EKKYO_ENV = env.str("EKKYO_ENV", default="development")
if EKKYO_ENV not in {"development", "test", "production"}:
    raise ValueError(f"EKKYO_ENV must be development, test or production, not {EKKYO_ENV!r}")
PRODUCTION = EKKYO_ENV == "production"

DEBUG = env.bool("DEBUG", default=EKKYO_ENV == "development")
if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if not SECRET_KEY:  # required: never a default in production
        raise ImproperlyConfigured("SECRET_KEY must be set when EKKYO_ENV=production")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-not-secret-" + "x" * 40)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "ekkyo.web.admin_apps.EkkyoAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "ekkyo.accounts.oidc",
    "django_tasks",
    "django_tasks_db",
    "ekkyo.tenancy",
    "ekkyo.accounts",
    "ekkyo.audit",
    "ekkyo.registry",
    "ekkyo.people",
    "ekkyo.partners",
    "ekkyo.hosting",
    "ekkyo.programmes",
    "ekkyo.allocation",
    "ekkyo.participation",
    "ekkyo.funnel",
    "ekkyo.surveys",
    "ekkyo.kpis",
    "ekkyo.scheduling",
    "ekkyo.teams",
    "ekkyo.portfolio",
    "ekkyo.rights",
    "ekkyo.jobs",
    "ekkyo.api",
    "ekkyo.web",
    "ekkyo.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "ekkyo.accounts.middleware.RequireSecondFactorMiddleware",
    "ekkyo.accounts.middleware.ActorMiddleware",
    "ekkyo.web.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "ekkyo.urls"
WSGI_APPLICATION = "ekkyo.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "ekkyo.web.context_processors.navigation",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'ekkyo.sqlite3'}"),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The demo serves a class at once (docs/decisions.md, "SQLite for the demo"):
    # WAL lets pages read while one request writes; a writer waits up to
    # ``timeout`` seconds for the lock (SQLite's busy timeout) instead of failing;
    # BEGIN IMMEDIATE takes that lock when a transaction starts, because a
    # transaction that read first and then asks for it gets "database is locked"
    # at once, whatever the timeout.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # Tests use a file too: an in-memory database has no WAL, and the live
    # server would share the test's one connection instead of opening its own.
    DATABASES["default"].setdefault("TEST", {}).setdefault(
        "NAME", str(VAR_DIR / "test-ekkyo.sqlite3")
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://ekkyo")}

# --- Authentication ---------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "ekkyo.accounts.backends.StudentCodeBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "ekkyo.accounts.adapter.AccountAdapter"
ACCOUNT_USER_DISPLAY = "ekkyo.accounts.adapter.user_display"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
# Lock-out: after 5 failed sign-ins for one address within 15 minutes, further
# attempts for it are refused until the window passes (per IP as well).
ACCOUNT_RATE_LIMITS = {
    "login_failed": "5/15m/key,30/15m/ip",
    "login": "60/m/ip",
}
MFA_ADAPTER = "ekkyo.accounts.mfa_adapter.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
FIELD_ENCRYPTION_KEY = env.str("FIELD_ENCRYPTION_KEY", default="")
MFA_TOTP_ISSUER = "ekkyo"
MFA_TOTP_TOLERANCE = 1
# Sign-in with a school's Google Workspace or Microsoft Entra ID account
# (docs/sso.md): one OpenID Connect app per provider, on when its client id is
# set. Accounts are matched by verified e-mail only, never created, and no
# social account or token is stored (ekkyo.accounts.sso_adapter).
SSO_PROVIDER_DEFAULTS = {
    "google": ("Google", "https://accounts.google.com"),
    "microsoft": ("Microsoft", "https://login.microsoftonline.com/common/v2.0"),
}


def sso_apps(environ: Any = env) -> list[dict[str, Any]]:
    """The configured OpenID Connect apps (``SSO_GOOGLE_CLIENT_ID`` etc.)."""
    apps = []
    for provider_id, (name, server_url) in SSO_PROVIDER_DEFAULTS.items():
        prefix = f"SSO_{provider_id.upper()}_"
        client_id = environ.str(prefix + "CLIENT_ID", default="")
        if not client_id:
            continue
        apps.append(
            {
                "provider_id": provider_id,
                "name": name,
                "client_id": client_id,
                "secret": environ.str(prefix + "CLIENT_SECRET", default=""),
                "settings": {
                    "server_url": environ.str(prefix + "SERVER_URL", default=server_url),
                    "fetch_userinfo": False,  # only the signed ID token's claims count
                    "oauth_pkce_enabled": True,
                    "token_auth_method": "client_secret_post",
                },
            }
        )
    return apps


SOCIALACCOUNT_PROVIDERS = {"ekkyo_oidc": {"APPS": sso_apps()}}
SOCIALACCOUNT_ADAPTER = "ekkyo.accounts.sso_adapter.SocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = 10

STUDENT_CODE_TTL_HOURS = env.int("STUDENT_CODE_TTL_HOURS", default=24 * 14)
STUDENT_LOCKOUT_FAILURES = env.int("STUDENT_LOCKOUT_FAILURES", default=5)
STUDENT_LOCKOUT_MINUTES = env.int("STUDENT_LOCKOUT_MINUTES", default=15)

# --- Sessions and cookies (OWASP ASVS V3/V7) ----------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION or env.bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Email -------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ekkyo <noreply@example.jp>")

# --- Internationalisation ----------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# --- Static files (served locally, never from a CDN) --------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Outside production, serve app static files straight from their folders (no collectstatic).
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- ekkyo policy ------------------------------------------------------------
# Default k for disclosure control; each consortium stores its own value.
EKKYO_DISCLOSURE_K = env.int("EKKYO_DISCLOSURE_K", default=10)
EKKYO_ROSTER_MAX_ROWS = env.int("EKKYO_ROSTER_MAX_ROWS", default=50_000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Background work (docs/decisions.md, "Background work"): django-tasks with its
# database backend; `ekkyo worker` runs the queue. Tests run tasks at once
# (immediate backend, tests/conftest.py) unless a test swaps in the database
# backend; TASKS_BACKEND names another (e.g. a Redis-backed one, see the decision).
TASKS_BACKEND = env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")
TASKS = {"default": {"BACKEND": TASKS_BACKEND, "QUEUES": ["default"]}}
