"""A local OpenID Connect provider for the sign-in tests (no network).

It plays Google (issuer ``<base>/google``) and Microsoft's multi-tenant
endpoint (discovery at ``<base>/ms/common/v2.0``, issuer
``<base>/ms/{tenantid}/v2.0``) the way the real ones behave for the parts
ekkyo relies on: authorization code flow with PKCE (S256), client secret
checked at the token endpoint, RS256-signed ID tokens whose keys are
published at ``jwks_uri``. The test says whose account "signs in" next by
setting :attr:`OIDCProvider.next_claims` before following the redirect.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CLIENT_IDS = {"google": "ekkyo-google-client", "microsoft": "ekkyo-microsoft-client"}
CLIENT_SECRET = "ekkyo-test-secret"
KID = "test-key-1"


@dataclass
class OIDCProvider:
    base: str = ""
    next_claims: dict[str, Any] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: int = 0
    key: Any = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    # A second key the provider never publishes: tokens signed with it are forged.
    forger: Any = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    forge_next: bool = False

    def server_url(self, provider: str) -> str:
        return f"{self.base}/google" if provider == "google" else f"{self.base}/ms/common/v2.0"

    def issuer(self, provider: str, tid: str = "") -> str:
        return f"{self.base}/google" if provider == "google" else f"{self.base}/ms/{tid}/v2.0"

    def apps(self) -> list[dict[str, Any]]:
        """``SOCIALACCOUNT_PROVIDERS["ekkyo_oidc"]["APPS"]`` pointing here."""
        return [
            {
                "provider_id": provider,
                "name": name,
                "client_id": CLIENT_IDS[provider],
                "secret": CLIENT_SECRET,
                "settings": {
                    "server_url": self.server_url(provider),
                    "fetch_userinfo": False,
                    "oauth_pkce_enabled": True,
                    "token_auth_method": "client_secret_post",
                },
            }
            for provider, name in (("google", "Google"), ("microsoft", "Microsoft"))
        ]

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": KID, "alg": "RS256", "use": "sig"})
        return {"keys": [jwk]}

    def discovery(self, provider: str) -> dict[str, Any]:
        root = self.server_url(provider)
        return {
            "issuer": self.issuer(provider, "{tenantid}"),
            "authorization_endpoint": f"{root}/authorize",
            "token_endpoint": f"{root}/token",
            "userinfo_endpoint": f"{root}/userinfo",
            "jwks_uri": f"{root}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
        }

    def id_token(self, provider: str, claims: dict[str, Any], nonce: str | None) -> str:
        now = int(time.time())
        body = {
            "iss": self.issuer(provider, str(claims.get("tid", ""))),
            "aud": CLIENT_IDS[provider],
            "sub": claims.get("sub") or hashlib.sha256(str(claims).encode()).hexdigest()[:20],
            "iat": now,
            "exp": now + 300,
            "jti": secrets.token_hex(8),
            **claims,
        }
        if nonce:
            body["nonce"] = nonce
        key = self.forger if self.forge_next else self.key
        return jwt.encode(body, key, algorithm="RS256", headers={"kid": KID})


def _provider_of(path: str) -> tuple[str, str]:
    if path.startswith("/google"):
        return "google", path[len("/google") :]
    if path.startswith("/ms/common/v2.0"):
        return "microsoft", path[len("/ms/common/v2.0") :]
    return "", path


def _handler(state: OIDCProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            provider, rest = _provider_of(url.path)
            if not provider:
                return self._json(404, {"error": "not_found"})
            if rest == "/.well-known/openid-configuration":
                return self._json(200, state.discovery(provider))
            if rest == "/jwks":
                return self._json(200, state.jwks())
            if rest == "/authorize":
                q = {k: v[0] for k, v in parse_qs(url.query).items()}
                if (
                    q.get("client_id") != CLIENT_IDS[provider]
                    or q.get("code_challenge_method") != "S256"
                ):
                    return self._json(400, {"error": "invalid_request"})
                code = secrets.token_urlsafe(16)
                state.codes[code] = {
                    "provider": provider,
                    "claims": dict(state.next_claims),
                    "challenge": q.get("code_challenge", ""),
                    "redirect_uri": q.get("redirect_uri", ""),
                    "nonce": q.get("nonce"),
                }
                location = q["redirect_uri"] + "?" + urlencode({"code": code, "state": q["state"]})
                self.send_response(302)
                self.send_header("Location", location)
                self.end_headers()
                return None
            return self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            provider, rest = _provider_of(url.path)
            if rest != "/token":
                return self._json(404, {"error": "not_found"})
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            state.token_requests += 1
            grant = state.codes.pop(form.get("code", ""), None)
            if (
                grant is None
                or grant["provider"] != provider
                or form.get("client_id") != CLIENT_IDS[provider]
                or form.get("client_secret") != CLIENT_SECRET
                or form.get("redirect_uri") != grant["redirect_uri"]
            ):
                return self._json(400, {"error": "invalid_grant"})
            verifier = form.get("code_verifier", "")
            digest = hashlib.sha256(verifier.encode()).digest()
            challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if challenge != grant["challenge"]:
                return self._json(400, {"error": "invalid_grant", "detail": "PKCE"})
            return self._json(
                200,
                {
                    "access_token": secrets.token_urlsafe(16),
                    "token_type": "Bearer",
                    "expires_in": 3600,
                    "id_token": state.id_token(provider, grant["claims"], grant["nonce"]),
                },
            )

    return Handler


@contextmanager
def running_provider() -> Iterator[OIDCProvider]:
    state = OIDCProvider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
