"""The keys that sign ID tokens and security events: ES256 (P-256), made and used with joserfc — no
hand-written JOSE. Private keys are kept sealed with the service key; the JWKS lists every key a client may still
meet: the current one and retired ones until the last token they signed has expired.

Why rotation keeps the old key: a relying service caches the JWKS and validates tokens issued a moment before the
rotation; dropping the old key at once would log its citizens out."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kabinet.security.crypto import Sealer
from kabinet.store.models import SigningKey

ALG = "ES256"


def _new(db: Session, sealer: Sealer, now: datetime) -> SigningKey:
    key = ECKey.generate_key("P-256")
    kid = key.thumbprint()[:32]
    row = SigningKey(kid=kid, alg=ALG, private_sealed=sealer.seal(key.as_pem(private=True).decode()),
                     public_jwk={**key.as_dict(private=False), "kid": kid, "use": "sig", "alg": ALG}, created_at=now)
    db.add(row)
    return row


def current(db: Session, sealer: Sealer, now: datetime) -> SigningKey:
    """The newest unretired key; the first one is made on first need (in the caller's transaction)."""
    row = db.scalars(select(SigningKey).where(SigningKey.retired_at.is_(None))
                     .order_by(SigningKey.created_at.desc()).limit(1)).first()
    return row or _new(db, sealer, now)


def rotate(db: Session, sealer: Sealer, now: datetime, keep_for: timedelta) -> SigningKey:
    """A new signing key; the old ones stop signing now and leave the JWKS after ``keep_for`` (the longest life
    of anything they signed)."""
    for old in db.scalars(select(SigningKey).where(SigningKey.retired_at.is_(None))):
        old.retired_at, old.expires_at = now, now + keep_for
    return _new(db, sealer, now)


def jwks(db: Session, now: datetime) -> dict[str, Any]:
    rows = db.scalars(select(SigningKey).where(or_(SigningKey.expires_at.is_(None), SigningKey.expires_at > now))
                      .order_by(SigningKey.created_at.desc()))
    return {"keys": [row.public_jwk for row in rows]}


def sign(db: Session, sealer: Sealer, now: datetime, claims: dict[str, Any], *, typ: str = "JWT") -> str:
    row = current(db, sealer, now)
    key = ECKey.import_key(sealer.open(row.private_sealed).encode())
    return jwt.encode({"alg": row.alg, "kid": row.kid, "typ": typ}, claims, key)
