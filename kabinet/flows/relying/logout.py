"""RP-Initiated Logout 1.0: a relying service sends the citizen's browser to the end-session endpoint, the cabinet
session ends (and with it, by Back-Channel Logout, the citizen's sessions at every other service begun in it), and
the browser goes back to the service's registered post-logout URI with its ``state``.

Why a confirmation page at times: a link that signs a citizen out is a nuisance anyone can plant (a logout CSRF).
Without an ID token hint for the very session signed in, the citizen is asked first (§2: "the OP SHOULD ask the
End-User whether to log out"). A hint for a session that has already ended is no error: the citizen is out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from kabinet.domain.oauth import OAuthError, redirect_allowed
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.relying import audiences, id_token_hint, sid, subject
from kabinet.security import keys
from kabinet.store.models import OidcClient
from kabinet.store.models import Session as UserSession


@dataclass(frozen=True)
class LogoutRequest:
    client_id: str | None
    client_name: str | None
    after: str | None  # the registered post-logout redirect URI asked for, checked
    state: str | None
    hint_sid: str | None
    hint_sub: str | None

    def params(self) -> dict[str, str]:
        """What the confirmation form carries back (never the hint: the confirmation replaces it)."""
        return {k: v for k, v in (("client_id", self.client_id), ("post_logout_redirect_uri", self.after),
                                  ("state", self.state)) if v}


def check(ctx: FlowContext, params: Mapping[str, str]) -> LogoutRequest:
    """The request's parts, checked; ``OAuthError`` for what the citizen must be shown instead of a redirect (an
    unregistered post-logout URI is never followed, like an unregistered redirect URI)."""
    hint = params.get("id_token_hint") or ""
    with ctx.store.read() as db:
        claims = id_token_hint(ctx, hint, keys.jwks(db, ctx.clock.now())) if hint else None
        client_id = params.get("client_id") or (audiences(claims)[0] if claims else None)
        if claims is not None and client_id not in audiences(claims):
            raise OAuthError("invalid_request", "client_id and id_token_hint name different services")
        client = db.get(OidcClient, client_id) if client_id else None
    if client_id and client is None:
        raise OAuthError("invalid_request", "unknown client")
    after = params.get("post_logout_redirect_uri") or None
    if after is not None and (client is None or not redirect_allowed(client.post_logout_redirect_uris, after,
                                                                       native=client.secret_hash is None)):
        raise OAuthError("invalid_request", "post_logout_redirect_uri is not registered for this client")
    state = (params.get("state") or "")[:500] or None
    return LogoutRequest(client_id=client.id if client else None, client_name=client.name if client else None,
                         after=after, state=state, hint_sid=(claims or {}).get("sid"),
                         hint_sub=(claims or {}).get("sub"))


def names(ctx: FlowContext, req: LogoutRequest, session: UserSession) -> bool:
    """The hint is for the very session signed in here (its ``sid``, else its citizen): no need to ask."""
    if req.client_id is None or req.hint_sub is None:
        return False
    with ctx.store.read() as db:
        client = db.get_one(OidcClient, req.client_id)
        if subject(ctx, client, session.account_id) != req.hint_sub:
            return False
    return req.hint_sid is None or req.hint_sid == sid(ctx, session.id, req.client_id)


def back_to(req: LogoutRequest) -> str | None:
    """Where the browser goes after signing out: the service's registered URI with its ``state``."""
    if req.after is None:
        return None
    return req.after + (("&" if "?" in req.after else "?") + urlencode({"state": req.state}) if req.state else "")
