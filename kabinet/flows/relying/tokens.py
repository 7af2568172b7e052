"""The token endpoint and its neighbours (RFC 6749 §4.1.3 and §6, RFC 7009, RFC 7662): a code becomes tokens
once; a refresh token is used once and replaced; reusing either is treated as theft — what was issued from the
code, or the refresh token's whole family, is revoked. Every step locks the account first, then the code or token
row, and reads it afresh: two exchanges of one code racing each other issue tokens once.

Access and refresh tokens are opaque, stored only as keyed hashes; the ID token is signed (ES256, joserfc)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kabinet.domain.oauth import OAuthError, verifier_matches
from kabinet.flows.shared.accounts import write_step
from kabinet.flows.shared.context import FlowContext
from kabinet.flows.shared.relying import live_token, sid, subject
from kabinet.policy import OIDC_ACCESS_TTL, OIDC_ID_TOKEN_TTL, OIDC_REFRESH_TTL
from kabinet.security import keys
from kabinet.security.tokens import new_token
from kabinet.store.models import Account, OidcClient, OidcCode, OidcGrant, OidcToken
from kabinet.store.relying import code_by_hash, revoke_tokens, token_by_hash


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    token_type: str
    expires_in: int
    refresh_token: str
    scope: str
    id_token: str | None = None


def exchange_code(ctx: FlowContext, client: OidcClient, *, code: str, redirect_uri: str, verifier: str) -> TokenSet:
    digest = ctx.hasher.digest("oidc-code", code or "")
    failure: OAuthError | None = None
    with write_step(ctx, lambda db: _code_owner(db, digest)) as (db, account, now):
        row = code_by_hash(db, digest, lock=True)
        if row is None or account is None or row.client_id != client.id:
            raise OAuthError("invalid_grant", "unknown code")
        if row.used_at is not None:  # a second use: someone else holds the code — what it gave dies
            revoke_tokens(db, now, code_id=row.id)
            failure = OAuthError("invalid_grant", "the code was already used; its tokens are revoked")
        elif now >= row.expires_at:
            failure = OAuthError("invalid_grant", "the code has expired")
        elif row.redirect_uri != redirect_uri:
            failure = OAuthError("invalid_grant", "redirect_uri does not match the authorization request")
        elif not verifier_matches(verifier, row.code_challenge):
            failure = OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
        elif (grant := db.get_one(OidcGrant, row.grant_id)).revoked_at is not None:
            failure = OAuthError("invalid_grant", "the citizen has disconnected this service")
        else:
            row.used_at = now
            tokens = _issue(ctx, db, client, account, grant, now, scopes=row.scopes, code_id=row.id)
            claims = {"nonce": row.nonce} if row.nonce else {}
            return _with_id_token(ctx, db, tokens, client, account, now, claims | _session_claims(ctx, row))
        if row.used_at is None:
            row.used_at = now  # a failed exchange spends the code too: no guessing the verifier
    assert failure is not None
    raise failure


def refresh(ctx: FlowContext, client: OidcClient, *, token: str) -> TokenSet:
    digest = ctx.hasher.digest("oidc-token", token or "")
    failure: OAuthError | None = None
    with write_step(ctx, lambda db: _token_owner(db, digest)) as (db, account, now):
        row = token_by_hash(db, digest, lock=True)
        if row is None or account is None or row.kind != "refresh" or row.client_id != client.id:
            raise OAuthError("invalid_grant", "unknown refresh token")
        grant = db.get_one(OidcGrant, row.grant_id)
        if row.rotated_at is not None:  # replayed: the family is compromised
            revoke_tokens(db, now, grant_id=grant.id)
            failure = OAuthError("invalid_grant", "the refresh token was already used; its family is revoked")
        elif row.revoked_at is not None or now >= row.expires_at or grant.revoked_at is not None:
            failure = OAuthError("invalid_grant", "the refresh token is no longer valid")
        else:
            row.rotated_at = now  # the new pair stays bound to the code, so the session it came from still ends it
            tokens = _issue(ctx, db, client, account, grant, now, scopes=row.scopes, code_id=row.code_id)
            code = db.get(OidcCode, row.code_id) if row.code_id else None
            if "openid" not in row.scopes:
                return tokens
            return _with_id_token(ctx, db, tokens, client, account, now, _session_claims(ctx, code) if code else {})
    assert failure is not None
    raise failure


def revoke(ctx: FlowContext, client: OidcClient, *, token: str) -> None:
    """RFC 7009: always "done" to the caller; a refresh token takes its grant's access tokens with it."""
    digest = ctx.hasher.digest("oidc-token", token or "")
    with write_step(ctx, lambda db: _token_owner(db, digest)) as (db, _account, now):
        row = token_by_hash(db, digest, lock=True)
        if row is None or row.client_id != client.id:
            return
        if row.kind == "refresh":
            revoke_tokens(db, now, grant_id=row.grant_id)
        row.revoked_at = row.revoked_at or now


def introspect(ctx: FlowContext, client: OidcClient, *, token: str) -> dict[str, Any]:
    """RFC 7662, for confidential clients: a token of another client is simply not active to this one."""
    if client.secret_hash is None:
        raise OAuthError("invalid_client", "introspection is for confidential clients", status=401)
    now = ctx.clock.now()
    with ctx.store.read() as db:
        row = token_by_hash(db, ctx.hasher.digest("oidc-token", token or ""))
        if row is None or row.client_id != client.id or not live_token(db, row, now):
            return {"active": False}
        return {"active": True, "scope": " ".join(row.scopes), "client_id": row.client_id,
                "token_type": "Bearer" if row.kind == "access" else "refresh_token",
                "sub": subject(ctx, client, row.account_id), "exp": int(row.expires_at.timestamp()),
                "iat": int(row.created_at.timestamp()), "iss": ctx.base_url}


def _issue(ctx: FlowContext, db: Session, client: OidcClient, account: Account, grant: OidcGrant, now: datetime,
           *, scopes: list[str], code_id: uuid.UUID | None) -> TokenSet:
    access, refresh_token = new_token(), new_token()
    for kind, value, ttl in (("access", access, OIDC_ACCESS_TTL), ("refresh", refresh_token, OIDC_REFRESH_TTL)):
        db.add(OidcToken(id=uuid.uuid4(), kind=kind, token_hash=ctx.hasher.digest("oidc-token", value),
                         client_id=client.id, grant_id=grant.id, account_id=account.id, code_id=code_id,
                         scopes=scopes, created_at=now, expires_at=now + ttl))
    return TokenSet(access_token=access, token_type="Bearer",  # noqa: S106 - the token type, not a secret
                    expires_in=int(OIDC_ACCESS_TTL.total_seconds()), refresh_token=refresh_token,
                    scope=" ".join(scopes))


def _with_id_token(ctx: FlowContext, db: Session, tokens: TokenSet, client: OidcClient, account: Account,
                   now: datetime, extra: dict[str, Any]) -> TokenSet:
    claims = {"iss": ctx.base_url, "sub": subject(ctx, client, account.id), "aud": client.id, "azp": client.id,
              "iat": int(now.timestamp()), "exp": int((now + OIDC_ID_TOKEN_TTL).timestamp()), "acr": account.level,
              **extra}
    id_token = keys.sign(db, ctx.key_sealer, now, claims)
    return replace(tokens, id_token=id_token)


def _session_claims(ctx: FlowContext, code: OidcCode) -> dict[str, Any]:
    """What an ID token says of the sign-in behind it, the same on every refresh: when (``auth_time``), how (``amr``)
    and which cabinet session (``sid``, which a logout token names when that session ends)."""
    claims: dict[str, Any] = {"auth_time": int(code.auth_time.timestamp()), "amr": code.amr}
    return claims | ({"sid": sid(ctx, code.session_id, code.client_id)} if code.session_id else {})


def _code_owner(db: Session, digest: str) -> uuid.UUID | None:
    row = code_by_hash(db, digest)
    return row.account_id if row else None


def _token_owner(db: Session, digest: str) -> uuid.UUID | None:
    row = token_by_hash(db, digest)
    return row.account_id if row else None

