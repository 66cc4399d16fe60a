"""Security headers Django does not set itself (OWASP ASVS V3).

The content security policy allows only this site's own scripts, styles and
images: every asset is served locally, so nothing else is ever needed. Forms
post to this site only, and to the configured Google / Microsoft sign-in
(the button's POST is answered with a redirect there, which ``form-action``
governs too: docs/sso.md).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


@lru_cache(maxsize=8)
def csp_with_form_targets(targets: tuple[str, ...]) -> str:
    """The policy, with ``form-action`` widened to the sign-in providers' origins."""
    origins = sorted(
        {f"{u.scheme}://{u.netloc}" for u in map(urlsplit, targets) if u.scheme and u.netloc}
    )
    if not origins:
        return CSP
    return CSP.replace("form-action 'self'", "form-action 'self' " + " ".join(origins))


def _sso_targets() -> tuple[str, ...]:
    from ekkyo.accounts.sso_services import sso_configured_apps

    return tuple(
        str((app.get("settings") or {}).get("server_url") or "") for app in sso_configured_apps()
    )


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/admin/"):
            response.headers.setdefault(
                "Content-Security-Policy", csp_with_form_targets(_sso_targets())
            )
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            # Pages with personal data must not be kept by shared tablets' caches.
            response.headers.setdefault("Cache-Control", "no-store")
        return response
