"""OAuth 2.0 / OpenID Connect protocol rules that need no I/O: scopes, PKCE S256, the errors of
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


# --- the authorization request's own parameters (OIDC Core §3.1.2.1) ------------------------------------------

PROMPTS = frozenset({"none", "login", "consent", "select_account"})
LEVELS = ("simplified", "standard", "confirmed")  # the account levels, weakest first: the values of ``acr``
LOOPBACK = ("127.0.0.1", "::1")


def parse_prompt(raw: str) -> frozenset[str]:
    """``none`` asks that no page be shown at all, so it cannot be combined with another value (Core §3.1.2.1);
    unknown values are ignored."""
    values = frozenset(raw.split())
    if "none" in values and len(values) > 1:
        raise OAuthError("invalid_request", "prompt=none cannot be combined with other values")
    return values & PROMPTS


def parse_max_age(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10:
        raise OAuthError("invalid_request", "max_age must be a number of seconds")
    return int(raw)


def parse_acr_values(raw: str) -> str | None:
    """The weakest account level the service asks for among those it names (``acr_values`` is a preference list),
    or None when it names none we know."""
    asked = [v for v in raw.split() if v in LEVELS]
    return min(asked, key=LEVELS.index) if asked else None


def level_meets(level: str, wanted: str | None) -> bool:
    return wanted is None or (level in LEVELS and LEVELS.index(level) >= LEVELS.index(wanted))


def ui_locale(raw: str) -> str | None:
    """The first of the service's ``ui_locales`` that the pages speak (BCP 47 tags, preferred first)."""
    for tag in raw.split():
        base = tag.split("-")[0].lower()
        if base in ("ru", "en"):
            return base
    return None


def redirect_allowed(registered: list[str], uri: str, *, native: bool) -> bool:
    """Exact string match (RFC 6749 §3.1.2.3), and for a native app's loopback redirect any port (RFC 8252 §7.3):
    the port is picked by the app when it starts listening, so only scheme, loopback address, path and query are
    compared. ``localhost`` is not a loopback address here (RFC 8252 §8.3)."""
    if uri in registered:
        return True
    if not native:
        return False
    wanted = _portless_loopback(uri)
    return wanted is not None and any(_portless_loopback(r) == wanted for r in registered)


def _portless_loopback(uri: str) -> tuple[str, str, str, str] | None:
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme != "http" or parts.hostname not in LOOPBACK or parts.fragment or (port is None and ":" in
                                                                                       parts.netloc.split("]")[-1]):
        return None
    return parts.scheme, parts.hostname or "", parts.path, parts.query


def form_action_source(uri: str) -> str | None:
    """What a page's CSP ``form-action`` must name so that a form submitted there may end in a redirect to ``uri``
    (Chromium checks every redirect of a form's navigation against it): its origin, or for a native app's own scheme
    (``ru.gosuslugi.app:/cb``) the scheme. None when it cannot be said as a CSP source (an IPv6 literal)."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme in ("http", "https"):
        if not parts.hostname or ":" in parts.hostname:
            return None
        return f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port else "")
    if parts.scheme and all(c.isalnum() or c in "+.-" for c in parts.scheme):
        return f"{parts.scheme}:"
    return None
