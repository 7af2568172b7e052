"""Configuration from ``KABINET_*`` variables (API.md) and the secret key kept in the data dir.

Why the key lives in a file: a fresh machine must work with no setup, yet the key that hashes codes,
tokens and sessions must survive restarts and be shared by every worker on the box. It is made once
with ``secrets`` and written with mode 0600; it is never logged or printed.
"""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KABINET_", extra="ignore")

    database_url: str | None = None
    data_dir: Path = Path("./var")
    base_url: str = "http://127.0.0.1:8000"
    smtp_url: str = "dev"
    mail_from: str = "no-reply@kabinet.localhost"
    sms_gateway: str = "dev"
    redis_url: str | None = None
    dev: bool = False
    secret_key: str | None = None
    # "inline": each web process drains the outbox in a thread (claims are row-locked, so several may);
    # "off": only `kabinet worker` processes do.
    outbox: str = "inline"
    # One log line per HTTP request from the server itself. Off where the load balancer in front keeps the access log
    # (formatting and masking a line per request is ~5 % of a request's CPU); the benches turn it off
    # as the reference (gunicorn, no access log) has it.
    access_log: bool = True
    # PostgreSQL: how long a web step waits for a row or advisory lock (another step of the same citizen) before it
    # answers "this has just changed, try again" — a bound on how long waiting steps hold pooled connections.
    lock_timeout_s: float = 10
    # Told to stop (SIGTERM), a web instance finishes the requests it has and an outbox worker its sends within this
    # many seconds; then what is left is cut (requests) or handed back to the other workers (messages).
    graceful_s: float = 20
    # "text": one readable line per record; "json": one JSON object per line, for a fleet's log shippers.
    log_format: str = "text"
    # Only for benchmarks that replay thousands of sign-ins from one address: "0" lifts every rate limit.
    rate_limits: bool = True
    # Addresses (comma-separated IPs or CIDRs, "*" for any) of the load balancers whose X-Forwarded-For is
    # believed. Empty: none is, so nobody can pick the address that rate limits and history record.
    trusted_proxies: str = ""
    # Cooling-off periods in hours (``kabinet.policy.Cooling`` says what each one holds back).
    cooling_contact_hours: float = 24
    cooling_recovery_hours: float = 24
    cooling_trusted_hours: float = 24
    # Letters: a PEM private key and its selector sign every letter (DKIM, for the domain of mail_from);
    # bounces come back to bounce+<letter>@bounce_domain (VERP; default: the domain of mail_from).
    # Notices wait this long before they are sent, so changes made close together go out as one message.
    notice_delay_s: float = 3
    dkim_key: Path | None = None
    dkim_selector: str = "kabinet"
    bounce_domain: str | None = None

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'kabinet.sqlite3').resolve()}"

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @cached_property
    def key(self) -> bytes:
        """The service's secret key (32 bytes); from KABINET_SECRET_KEY or the data dir's key file."""
        if self.secret_key:
            if not _is_hex(self.secret_key):
                raise ValueError("KABINET_SECRET_KEY must be at least 64 hex digits (32 random bytes)")
            return bytes.fromhex(self.secret_key)
        return _load_or_create_key(self.data_dir / "secret.key")


def _is_hex(text: str) -> bool:
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return len(text) >= 64


def _load_or_create_key(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())
