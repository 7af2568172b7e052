"""OAuth 2.0 / OpenID Connect protocol rules that need no I/O (issue 11): scopes, PKCE S256, the errors of
RFC 6749 §4.1.2.1 and §5.2. Protocol errors are not a citizen's errors: they go back to the relying service in
the protocol's own shape (``error``, ``error_description``), by redirect or as a JSON body."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlsplit

SCOPES = ("openid", "profile", "email", "phone")
# What each scope lets a service read, as a citizen reads it (English message ids; the consent page and Security).
SCOPE_TEXTS = {"openid": "That it is you (an identifier of your account)", "profile": "Your full name",
               "email": "Your primary email address and whether it is confirmed",
               "phone": "Your primary mobile phone and whether it is confirmed"}


class OAuthError(Exception):
    """``status`` is for the token, revocation and introspection endpoints (400, or 401 for a client)."""

    def __init__(self, error: str, description: str = "", *, status: int = 400) -> None:
        super().__init__(error)
        self.error, self.description, self.status = error, description, status


class BadClient(Exception):
    """An unknown client or a redirect URI it did not register: the browser must never be sent there (RFC 6749
    §4.1.2.1), so the citizen gets a page instead."""


def parse_scopes(raw: str) -> list[str]:
    scopes = list(dict.fromkeys(raw.split()))
    if "openid" not in scopes:
        raise OAuthError("invalid_scope", "the openid scope is required")
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise OAuthError("invalid_scope", f"unknown scope: {' '.join(unknown)}")
    return scopes


def check_challenge(challenge: str, method: str) -> None:
    """PKCE with S256 only: ``plain`` gives nothing against an intercepted code (RFC 9700 §2.1.1)."""
    if method != "S256":
        raise OAuthError("invalid_request", "code_challenge_method must be S256")
    if not 43 <= len(challenge) <= 128:
        raise OAuthError("invalid_request", "a PKCE code_challenge (S256) is required")


def verifier_matches(verifier: str, challenge: str) -> bool:
    if not 43 <= len(verifier or "") <= 128:
        return False
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii", "replace")).digest()).rstrip(b"=")
    return hmac.compare_digest(digest, challenge.encode())


def sector(redirect_uri: str) -> str:
    """The host whose services share one pairwise subject (OIDC Core §8.1)."""
    return urlsplit(redirect_uri).hostname or ""
