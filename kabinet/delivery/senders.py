"""Where messages go: narrow ports with a real and a dev adapter each, picked in ``bootstrap``.

- ``SmtpMailer`` speaks real SMTP (aiosmtplib); ``DevMailbox`` keeps letters for ``/dev/mail``.
- ``HttpSmsGateway`` POSTs to the gateway of API.md; ``DevSmsInbox`` keeps SMS for ``/dev/sms``.
- ``SetPusher`` POSTs security events to relying services (their own URLs, in dev as in production).
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote, urlencode, urlsplit

import aiosmtplib

from kabinet.delivery.compose import Envelope
from kabinet.delivery.render import Letter
from kabinet.store.db import Store
from kabinet.store.models import DevMessage

if TYPE_CHECKING:
    import aiohttp


class Mailer(Protocol):
    async def send(self, letter: Letter, envelope: Envelope, *, raw: bytes, envelope_from: str) -> str:
        """``raw``: the exact bytes to send (signed); ``envelope_from``: where bounces go (VERP)."""
        ...


class SmsGateway(Protocol):
    async def send(self, to: str, text: str, key: str) -> str: ...

    async def aclose(self) -> None:
        """Close the connections this event loop opened."""
        ...


class DeliveryError(Exception):
    """A send that failed. ``permanent``: the receiver refused it for good (an SMTP 5xx at RCPT or DATA, an SMS
    gateway's 4xx) — trying again would only hurt the sender's reputation; otherwise it may work later.
    ``reason`` is the receiver's own words (kept for the citizen's page; masked in logs)."""

    def __init__(self, message: str, *, permanent: bool = False, reason: str = "") -> None:
        super().__init__(message)
        self.permanent, self.reason = permanent, reason


class SmtpMailer:
    """A few SMTP connections per event loop, kept open between letters: connecting, EHLO and STARTTLS cost more
    than a letter. A dropped connection is opened again once."""

    POOL = 4

    def __init__(self, url: str, timeout: float = 20.0) -> None:
        parts = urlsplit(url)
        self._host = parts.hostname or "127.0.0.1"
        self._tls = parts.scheme == "smtps"
        self._port = parts.port or (465 if self._tls else 25)
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._timeout = timeout
        self._pools: dict[int, tuple[list[aiosmtplib.SMTP], asyncio.Semaphore]] = {}

    def _pool(self) -> tuple[list[aiosmtplib.SMTP], asyncio.Semaphore]:
        loop = id(asyncio.get_running_loop())
        if loop not in self._pools:
            self._pools = {loop: ([], asyncio.Semaphore(self.POOL))}  # an old loop's connections are dead anyway
        return self._pools[loop]

    def _new(self) -> aiosmtplib.SMTP:
        return aiosmtplib.SMTP(hostname=self._host, port=self._port, use_tls=self._tls, timeout=self._timeout,
                               username=self._user, password=self._password)

    async def send(self, letter: Letter, envelope: Envelope, *, raw: bytes, envelope_from: str) -> str:
        idle, slots = self._pool()
        async with slots:
            client = idle.pop() if idle else self._new()
            try:
                await self._send_on(client, envelope_from, envelope.to, raw)
            finally:
                if client.is_connected:
                    idle.append(client)
        return envelope.message_id

    async def _send_on(self, client: aiosmtplib.SMTP, envelope_from: str, to: str, raw: bytes) -> None:
        for attempt in (1, 2):
            try:
                if not client.is_connected:
                    await client.connect()
                await client.sendmail(envelope_from, [to], raw)
                return
            except aiosmtplib.SMTPServerDisconnected as exc:
                client.close()
                if attempt == 2:
                    raise DeliveryError("smtp: SMTPServerDisconnected") from exc
            except aiosmtplib.SMTPRecipientsRefused as exc:
                refused = exc.recipients[0] if exc.recipients else None
                code, text = (refused.code, refused.message) if refused else (0, "")
                await _reset(client)
                raise DeliveryError(f"smtp: RCPT {code}", permanent=code >= 500, reason=text) from exc
            except aiosmtplib.SMTPResponseException as exc:
                await _reset(client)
                raise DeliveryError(f"smtp: {exc.code}", permanent=exc.code >= 500, reason=exc.message) from exc
            except (aiosmtplib.SMTPException, OSError) as exc:
                client.close()  # a broken connection is opened afresh next time
                raise DeliveryError(f"smtp: {type(exc).__name__}") from exc


async def _reset(client: aiosmtplib.SMTP) -> None:
    """After a refused letter the connection stays usable for the next one, once reset."""
    try:
        await client.rset()
    except (aiosmtplib.SMTPException, OSError):
        client.close()


class DevMailbox:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def send(self, letter: Letter, envelope: Envelope, *, raw: bytes, envelope_from: str) -> str:
        with self._store.write() as db:
            db.add(DevMessage(channel="email", to=envelope.to, subject=letter.subject, text=letter.text,
                              html=letter.html, links=letter.links, at=envelope.at))
        return envelope.message_id


class _Poster:
    """POSTs over one kept-alive connection pool per event loop (a new connection per message would redo the TCP
    and TLS set-up). aiohttp, not httpx: a POST costs ~0.06–0.1 ms of CPU against httpx's 0.4–0.8 ms in a
    micro-benchmark. Imported at the first POST: a web worker whose outbox runs as ``kabinet worker`` never
    loads it."""

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._sessions: dict[int, aiohttp.ClientSession] = {}

    def _session(self) -> aiohttp.ClientSession:
        import aiohttp

        loop = id(asyncio.get_running_loop())
        if loop not in self._sessions:  # an old loop's session is dead anyway
            self._sessions = {loop: aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timeout))}
        return self._sessions[loop]

    async def post(self, url: str, body: bytes, headers: dict[str, str], what: str) -> tuple[int, str]:
        """The answer's status and, when it is not a 2xx, the start of its text (for the outbox's last error)."""
        import aiohttp

        try:
            async with self._session().post(url, data=body, headers=headers, allow_redirects=False) as response:
                return response.status, "" if 200 <= response.status < 300 else (await response.text())[:200]
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"{what}: {type(exc).__name__}") from exc

    async def aclose(self) -> None:
        """Close this loop's connections (the worker calls it before its loop ends)."""
        session = self._sessions.pop(id(asyncio.get_running_loop()), None)
        if session is not None:
            await session.close()


class HttpSmsGateway:
    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self._url = url
        self._poster = _Poster(timeout)

    async def send(self, to: str, text: str, key: str) -> str:
        body = json.dumps({"to": to, "text": text, "id": key}, ensure_ascii=False).encode()
        status, reason = await self._poster.post(self._url, body, {"Content-Type": "application/json"}, "sms")
        if not 200 <= status < 300:  # a 4xx will not change by retrying (but a 429 will)
            permanent = 400 <= status < 500 and status != 429
            raise DeliveryError(f"sms: HTTP {status}", permanent=permanent, reason=reason)
        return key

    async def aclose(self) -> None:
        await self._poster.aclose()


class SetPusher:
    """Security Event Tokens to relying services (RFC 8935 push delivery); a 2xx (202 Accepted) is delivered,
    anything else is retried by the worker like a letter."""

    def __init__(self, timeout: float = 10.0) -> None:
        self._poster = _Poster(timeout)

    async def send(self, url: str, token: str, key: str) -> str:
        status, _ = await self._poster.post(url, token.encode(), {
            "Content-Type": "application/secevent+jwt", "Accept": "application/json"}, "push")
        if not 200 <= status < 300:
            raise DeliveryError(f"push: HTTP {status}")
        return key

    async def logout(self, url: str, token: str, key: str) -> str:
        """Back-Channel Logout 1.0 §2.5: the logout token as a form field; 200 (or 204) is done. A 4xx means the
        service refused this token (it will refuse it again): not retried."""
        status, reason = await self._poster.post(url, urlencode({"logout_token": token}).encode(), {
            "Content-Type": "application/x-www-form-urlencoded"}, "logout")
        if not 200 <= status < 300:
            raise DeliveryError(f"logout: HTTP {status}", permanent=400 <= status < 500 and status != 429,
                                reason=reason)
        return key

    async def aclose(self) -> None:
        await self._poster.aclose()


class DevSmsInbox:
    def __init__(self, store: Store, clock: object) -> None:
        self._store = store
        self._clock = clock

    async def send(self, to: str, text: str, key: str) -> str:
        with self._store.write() as db:
            db.add(DevMessage(channel="sms", to=to, text=text, links=[], at=self._clock.now()))  # type: ignore[attr-defined]
        return key

    async def aclose(self) -> None:
        return None
