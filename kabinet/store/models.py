"""The tables of DESIGN.md §3, as SQLAlchemy 2 typed models.

Lookups that run on every request are backed by an index: session by token hash, contact by
normalised value, challenge by id or link-token hash, outbox by state and due time, event by account.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kabinet.store.types import UtcDateTime


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JSON(), list[str]: JSON()}  # noqa: RUF012 - SQLAlchemy reads it

    def __init__(self, **values: Any) -> None:
        """Column defaults apply at construction, not only at INSERT, so a new object's counters and ids
        can be used before it is flushed."""
        for column in self.__table__.columns:
            default = column.default
            if column.key in values or default is None:
                continue
            if default.is_scalar:
                values[column.key] = default.arg
            elif default.is_callable:
                values[column.key] = default.arg(None)
        for key, value in values.items():
            if not hasattr(type(self), key):
                raise TypeError(f"{type(self).__name__} has no attribute {key}")
            setattr(self, key, value)


def _uuid() -> uuid.UUID:
    return uuid.uuid4()


class Account(Base):
    __tablename__ = "account"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=_uuid)
    level: Mapped[str] = mapped_column(String(16))
    full_name: Mapped[str] = mapped_column(String(200))
    snils: Mapped[str | None] = mapped_column(String(11), unique=True)
    birth_date: Mapped[date | None] = mapped_column(Date)
    # Only ever compared (a service-centre visit, a lost-everything request): a keyed hash, and two digits to show.
    passport_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    passport_hint: Mapped[str | None] = mapped_column(String(2))
    locale: Mapped[str] = mapped_column(String(5), default="ru")
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret: Mapped[str | None] = mapped_column(String(300))
    totp_last_step: Mapped[int | None] = mapped_column(Integer)  # a TOTP code works once
    totp_enrolled_at: Mapped[datetime | None]  # an app enrolled recently cannot confirm removing older contacts
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime]
    # Head of the hash chain of history events, kept here so appending an event needs no extra read:
    # every writer locks this row first, so the chain cannot fork.
    event_seq: Mapped[int] = mapped_column(Integer, default=0)
    event_head: Mapped[str] = mapped_column(String(64), default="")


class Contact(Base):
    __tablename__ = "contact"
    __table_args__ = (
        # A verified, present address or number belongs to one account only (DESIGN.md §3).
        Index(
            "uq_contact_verified_value",
            "kind",
            "value",
            unique=True,
            sqlite_where=text("verified_at IS NOT NULL AND removed_at IS NULL"),
            postgresql_where=text("verified_at IS NOT NULL AND removed_at IS NULL"),
        ),
        Index("ix_contact_value", "kind", "value"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=_uuid)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    value: Mapped[str] = mapped_column(String(320))
    display: Mapped[str] = mapped_column(String(320))
    verified_at: Mapped[datetime | None]
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    sign_in: Mapped[bool] = mapped_column(Boolean, default=False)
    recovery: Mapped[bool] = mapped_column(Boolean, default=False)
    removed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    # The last time a code sent here was typed back: a contact silent for long may have a new owner by now
    # (reissued numbers, deleted mailboxes), so it alone cannot recover the account (flows/recovery).
    last_confirmed_at: Mapped[datetime | None]
    # Set when an operator saw the citizen's document and the citizen typed back a code sent here at the counter:
    # such a contact is not "new" for the cooling-off rules, and recovers alone for a while.
    vouched_at: Mapped[datetime | None]
    # Letters here come back (a hard bounce, or refused for good at RCPT): an unverified address gets no more, a
    # verified one is skipped for notices while another verified address exists. Cleared when a
    # letter gets through again or the address is confirmed anew.
    bounced_at: Mapped[datetime | None]
    # Set on the new value of a Change: when it is verified it takes the old one's place.
    replaces_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contact.id"))
    # Told of a sign-in from a device the account has not seen: the citizen may switch it off per contact
    sign_in_notices: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))


class Challenge(Base):
    __tablename__ = "challenge"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=_uuid)
    purpose: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("account.id"), index=True)
    session_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("session.id"))
    # A contact's open codes and links are found by it (resend, verify): a row per sign-in and verification keeps
    # the table growing with traffic, so never a scan (found by bench.scale's plans).
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contact.id"), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    destination: Mapped[str | None] = mapped_column(String(320))
    secret_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)  # the hourly purge finds them by it
    attempts_left: Mapped[int] = mapped_column(Integer)
    sends: Mapped[int] = mapped_column(Integer, default=0)
    last_sent_at: Mapped[datetime | None]
    consumed_at: Mapped[datetime | None] = mapped_column(index=True)  # the hourly purge finds them by it
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class Session(Base):
    __tablename__ = "session"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=_uuid)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    second_factor_at: Mapped[datetime | None]
    auth_method: Mapped[str] = mapped_column(String(32))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    revoked_at: Mapped[datetime | None]
    locale: Mapped[str | None] = mapped_column(String(5))  # the language this session's requests last asked for


class Event(Base):
    __tablename__ = "event"
    __table_args__ = (UniqueConstraint("account_id", "seq", name="uq_event_account_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(48))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


WAITING = "attempts = 0"  # an outbox row no worker has claimed yet (ix_outbox_waiting): a claim counts an attempt


class Outbox(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "state", "next_attempt_at"),
        Index("ix_outbox_contact", "contact_id", "id"),
        # The notices still waiting to be claimed, alone: a change looks for them to extend instead of queuing
        # another, and a contact's whole history of messages (every sign-in's SMS, for years) must not be read
        # to find the one or two that wait. Rows leave it when a worker claims them.
        Index("ix_outbox_waiting", "contact_id", "id", sqlite_where=text(WAITING), postgresql_where=text(WAITING)),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("account.id"))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contact.id"))
    channel: Mapped[str] = mapped_column(String(8))
    destination: Mapped[str] = mapped_column(String(320))
    template: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(5))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # queued | sent | failed (retrying) | dead | rejected (refused for good) | bounced | complained | held (a paused
    # event stream's SET, waiting to be released: SSF 1.0)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(String(500))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    provider_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    request_id: Mapped[str | None] = mapped_column(String(32))  # the request that queued it (in the logs of both)


class DevMessage(Base):
    """What the dev mailbox and dev SMS inbox show (only written when KABINET_*=dev)."""

    __tablename__ = "dev_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(8))
    to: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    links: Mapped[list[str]] = mapped_column(default=list)
    at: Mapped[datetime]


class Service(Base):
    """A relying service and what it asks of an account (seed line S17)."""

    __tablename__ = "service"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title_ru: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    needs_level: Mapped[str] = mapped_column(String(16), default="simplified")
    needs_email: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_phone: Mapped[bool] = mapped_column(Boolean, default=False)


class SupportRequest(Base):
    __tablename__ = "support_request"
    __table_args__ = (Index("ix_support_request_state_created", "state", "created_at"),)  # the operators' queue

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=_uuid)
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("account.id"), index=True)
    topic: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="new")  # new | in_work | answered | closed
    created_at: Mapped[datetime]
    number: Mapped[str | None] = mapped_column(String(16), unique=True)  # read out on the phone: 2511-483920
    updated_at: Mapped[datetime | None]


class SupportMessage(Base):
    """One message of a support request's thread: the citizen's words or an operator's answer."""

    __tablename__ = "support_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)  # the thread's order
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("support_request.id"), index=True)
    author: Mapped[str] = mapped_column(String(16))  # citizen | operator
    author_id: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class Recovery(Base):
    """A password recovery under way: which proofs are done, until when (flows/recovery). ``account_id`` is
    empty for a login that matched nothing: the flow looks the same, and can never reach the password step."""

    __tablename__ = "recovery"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=_uuid)
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("account.id"), index=True)
    # first_proof | second_proof | password | held | visit | done | cancelled | refused | dead
    state: Mapped[str] = mapped_column(String(16))
    first_contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contact.id"))
    proofs: Mapped[list[str]] = mapped_column(default=list)
    attempts_left: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(index=True)  # the hourly purge finds them by it
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    # Held: proven by one channel only, it waits until ``ready_at``; with a trusted person it also
    # waits for their approval. Every channel gets a link whose keyed hash is ``cancel_hash``.
    ready_at: Mapped[datetime | None]
    cancel_hash: Mapped[str | None] = mapped_column(String(64), unique=True)


class BackupCode(Base):
    __tablename__ = "backup_code"
    __table_args__ = (Index("ix_backup_code_account", "account_id", "used_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=_uuid)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class IdentityRequest(Base):
    """Lost every contact: a request only a service-centre operator can complete, in person. ``account_id`` is
    empty when the data matched no account — the citizen is told the same either way."""

    __tablename__ = "identity_request"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=_uuid)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("account.id"), index=True)
    phone: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))  # awaiting_visit | completed | expired
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]


class Operator(Base):
    """A service-centre operator: a separate principal, signed in with password + TOTP, always."""

    __tablename__ = "operator"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=_uuid)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    centre: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), default="operator")  # operator | supervisor
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret: Mapped[str] = mapped_column(String(300))  # sealed
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    password_changed_at: Mapped[datetime | None]  # None: still the one-time password ``operator add`` printed


class OperatorSession(Base):
    """Short-lived (idle 15 min) and in its own table: an operator's token is never a citizen's, nor the reverse."""

    __tablename__ = "operator_session"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=_uuid)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operator.id"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ip: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None]


class OperatorEvent(Base):
    """What happened to an operator's own access to the console: a sign-in (and by what), a refused one, a
    sign-out, a password changed, a security key added or removed, the operator added. What an operator does to a
    citizen's account is in that account's history and the visit's receipt; this is the other half of the
    console's audit — the trail a supervisor reads when a console session is in doubt. Append-only: nothing in
    Kabinet updates or deletes a row. ``centre`` is the operator's, copied, so a supervisor's read is one index
    range."""

    __tablename__ = "operator_event"
    __table_args__ = (Index("ix_operator_event_centre_id", "centre", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operator.id"), index=True)
    centre: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]
    type: Mapped[str] = mapped_column(String(48))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class Visit(Base):
    """A citizen at the counter: opened by the document shown, which matched this account; every operator action
    happens inside one, and it closes with a receipt of what was done."""

    __tablename__ = "visit"
    __table_args__ = (Index("ix_visit_centre_opened", "centre", "opened_at"),)  # a supervisor's recent visits

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=_uuid)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operator.id"), index=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), index=True)
    centre: Mapped[str] = mapped_column(String(200))
    document: Mapped[str] = mapped_column(String(120))  # what was checked, masked
    opened_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    actions: Mapped[list[Any]] = mapped_column(JSON, default=list)  # the receipt's lines: when and what was done


class TrustedLink(Base):
    """A citizen's trusted person: invited by phone, accepted from the invitee's own cabinet.

    It counts ("in force") while ``state`` is ``active``, ``effective_at`` has come and ``ends_at`` has not.
    Both times exist for the cooling-off: a replacement starts to count only ``Cooling.trusted`` after it was
    accepted, and a removal stops it counting only that long after it was asked — a thief who holds a session
    cannot swap the trusted person and then recover at once. Nothing runs on a timer: the clock decides."""

    __tablename__ = "trusted_link"
    __table_args__ = (Index("ix_trusted_link_phone_state", "phone", "state"),)  # an invitee's invitations

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=_uuid)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), index=True)  # who trusts
    trustee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("account.id"), index=True)  # set on accepting
    phone: Mapped[str] = mapped_column(String(16))  # the invited number (E.164)
    state: Mapped[str] = mapped_column(String(16))  # invited | active | declined | cancelled
    created_at: Mapped[datetime]
    invite_expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    effective_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]


class Approval(Base):
    """A password change or recovery waiting for the trusted person. The trustee sees who asks and
    for what, nothing else; a password change keeps its new hash here until approved (then it is applied and
    the hash cleared) or refused or cancelled (cleared)."""

    __tablename__ = "approval"
    __table_args__ = (Index("ix_approval_trustee_state", "trustee_id", "state"),)  # a trustee's queue

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=_uuid)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), index=True)
    trustee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"))
    link_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("trusted_link.id"))
    action: Mapped[str] = mapped_column(String(16))  # password | recovery
    state: Mapped[str] = mapped_column(String(16))  # waiting | approved | refused | cancelled
    recovery_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("recovery.id"), index=True)
    session_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("session.id"))  # the citizen's, kept open
    new_password_hash: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class SigningKey(Base):
    """A key that signs ID tokens and security events. The newest unretired one signs; a retired one
    stays in the JWKS until every token it signed has expired (``expires_at``), so rotation breaks no client."""

    __tablename__ = "signing_key"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(8))
    private_sealed: Mapped[str] = mapped_column(Text)  # PEM, sealed with the service key
    public_jwk: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]  # leaves the JWKS then


class OidcClient(Base):
    """A relying service (``kabinet client add``). ``secret_hash`` is empty for a public client (PKCE only)."""

    __tablename__ = "oidc_client"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    redirect_uris: Mapped[list[str]] = mapped_column()
    requires: Mapped[list[str]] = mapped_column(default=list)  # "verified_email", "level:standard" …
    subject_type: Mapped[str] = mapped_column(String(16), default="public")  # public | pairwise
    events_uri: Mapped[str | None] = mapped_column(String(500))  # where security events are pushed
    created_at: Mapped[datetime]
    # RP-Initiated Logout: where the browser may be sent after signing out (exact match, as redirect URIs)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(default=list, server_default="[]")
    backchannel_logout_uri: Mapped[str | None] = mapped_column(String(500))  # Back-Channel Logout: tokens go here
    # RFC 9126: its authorization requests only by a pushed request (a request_uri), never plain in the URL
    require_par: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # SSF 1.0: its push stream (events_uri) is enabled, paused (events held in the outbox) or disabled (dropped)
    stream_status: Mapped[str] = mapped_column(String(16), default="enabled", server_default="enabled")


class OidcGrant(Base):
    """A citizen's consent to one service: the scopes it may read. Revoking it kills its tokens."""

    __tablename__ = "oidc_grant"
    __table_args__ = (UniqueConstraint("account_id", "client_id", name="uq_oidc_grant_account_client"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=_uuid)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), index=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oidc_client.id"), index=True)
    scopes: Mapped[list[str]] = mapped_column()
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class OidcPushedRequest(Base):
    """A pushed authorization request (RFC 9126): the parameters a client sent to ``/oidc/par``, found by the keyed
    hash of its ``request_uri``; one use, a minute to live, for its own client only."""

    __tablename__ = "oidc_pushed_request"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=_uuid)
    uri_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oidc_client.id"))
    params: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)  # the hourly purge finds them by it
    used_at: Mapped[datetime | None]


class OidcCode(Base):
    """An authorization code: one use, a minute to live, bound to its client, redirect URI and PKCE challenge."""

    __tablename__ = "oidc_code"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=_uuid)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oidc_client.id"))
    grant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("oidc_grant.id"), index=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), index=True)
    redirect_uri: Mapped[str] = mapped_column(String(500))
    scopes: Mapped[list[str]] = mapped_column()
    nonce: Mapped[str | None] = mapped_column(String(200))
    code_challenge: Mapped[str] = mapped_column(String(128))
    auth_time: Mapped[datetime]
    amr: Mapped[list[str]] = mapped_column(default=list)
    expires_at: Mapped[datetime] = mapped_column(index=True)  # the hourly purge finds them by it
    used_at: Mapped[datetime | None]
    # The cabinet session the citizen was signed in with: its end is the service's session's end (``sid``)
    session_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("session.id"), index=True)


class OidcToken(Base):
    """An access or refresh token, stored only as a keyed hash. A refresh token is used once: the next one is
    ``rotated_to``; using a rotated one again revokes the whole family (``grant_id``)."""

    __tablename__ = "oidc_token"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=_uuid)
    kind: Mapped[str] = mapped_column(String(8))  # access | refresh
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oidc_client.id"))
    grant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("oidc_grant.id"), index=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"))
    code_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("oidc_code.id"), index=True)
    scopes: Mapped[list[str]] = mapped_column()
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)  # the hourly purge finds them by it
    revoked_at: Mapped[datetime | None]
    rotated_at: Mapped[datetime | None]


class WorkerBeat(Base):
    """The last sign of life of each outbox worker (``kabinet worker``, or a web process's in-process one): written
    every few seconds, shown by ``/metrics``, so an operator's alerting sees a worker that stopped beating. A worker
    that stops cleanly deletes its row; a killed one leaves it ageing (purged after a day)."""

    __tablename__ = "worker_beat"

    worker: Mapped[str] = mapped_column(String(100), primary_key=True)  # host:pid
    started_at: Mapped[datetime]
    beat_at: Mapped[datetime]
    in_flight: Mapped[int] = mapped_column(Integer, default=0)


class FleetTask(Base):
    """A periodic job that must run once per fleet, not once per worker process (the hourly purge, the daily walk of
    the history chains): whoever moves ``due_at`` forward first — one conditional UPDATE — runs it."""

    __tablename__ = "fleet_task"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    due_at: Mapped[datetime]
    holder: Mapped[str | None] = mapped_column(String(100))  # the worker that last took it
    taken_at: Mapped[datetime | None]


class RateWindow(Base):
    """A rate limit's fixed window, counted here only while Redis is away (security/ratelimit.py): the instances of
    a fleet keep sharing one count through the database instead of each counting alone. Expired windows go with
    the hourly purge."""

    __tablename__ = "rate_window"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    hits: Mapped[int]
    expires_at: Mapped[float] = mapped_column(Float, index=True)  # Unix time: the limits library's own clock


class Passkey(Base):
    """A passkey or security key (WebAuthn): a public key the citizen's authenticator holds the private half of.
    ``sign_count`` only grows on a genuine authenticator; one that goes backwards is a copy (refused, and told)."""

    __tablename__ = "passkey"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=_uuid)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), index=True)
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)  # base64url, as the browser sends it
    public_key: Mapped[str] = mapped_column(Text)  # COSE, base64url
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    transports: Mapped[list[str]] = mapped_column(default=list)
    backup_eligible: Mapped[bool] = mapped_column(Boolean, default=False)
    backup_state: Mapped[bool] = mapped_column(Boolean, default=False)
    aaguid: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]


class OperatorKey(Base):
    """A security key (WebAuthn) an operator signs in to the console with, in place of the app's code: a public key
    whose private half never leaves the key, bound to this site, so a phishing page cannot relay it as it can a code.
    ``sign_count`` only grows on a genuine key; one that goes backwards is a copy (refused)."""

    __tablename__ = "operator_key"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=_uuid)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operator.id"), index=True)
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)  # base64url, as the browser sends it
    public_key: Mapped[str] = mapped_column(Text)  # COSE, base64url
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    transports: Mapped[list[str]] = mapped_column(default=list)
    aaguid: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]


class KnownDevice(Base):
    """A browser this account has been signed in from: its long-lived device cookie, as a keyed hash (the cookie is
    a bearer of nothing — it only spares the citizen a notice for a device they use)."""

    __tablename__ = "known_device"
    __table_args__ = (UniqueConstraint("account_id", "device_hash", name="uq_known_device_account_device"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=_uuid)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"))
    device_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
