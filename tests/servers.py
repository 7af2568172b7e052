"""Real local peers for tests: an SMTP server (aiosmtpd) and an SMS HTTP gateway, on free loopback ports."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

_URL = re.compile(r"https?://[^\s<>\"]+")
CODE = re.compile(r"(?:Код подтверждения|confirmation code): (\d{6})")


@dataclass
class Received:
    to: list[str]
    message: EmailMessage
    mail_from: str = ""  # the envelope sender (VERP)
    raw: bytes = b""  # the bytes as received (DKIM is checked on these)

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None
        return part.get_content()

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        assert part is not None
        return part.get_content()

    @property
    def links(self) -> list[str]:
        return _URL.findall(self.text)


@dataclass
class SmtpSink:
    """What the SMTP server received, in order."""

    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    refuse: bool = False  # answer 451 to every letter, to test retries
    unknown: set[str] = field(default_factory=set)  # answer 550 at RCPT: "no such mailbox"
    defer_once: set[str] = field(default_factory=set)  # answer 451 at DATA once, then take it
    deferred: list[str] = field(default_factory=list)
    stall_s: float = 0  # hold every letter this long before answering DATA (a slow receiving server)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.unknown:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown in virtual mailbox table"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.stall_s:
            await asyncio.sleep(self.stall_s)
        if self.refuse:
            return "451 4.3.0 try again later"
        if once := self.defer_once & set(envelope.rcpt_tos):
            self.defer_once -= once
            self.deferred.extend(once)
            return "451 4.7.1 greylisted, try again later"
        msg = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(Received(list(envelope.rcpt_tos), msg, envelope.mail_from,  # type: ignore[arg-type]
                                          envelope.original_content or envelope.content))
        return "250 OK"

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [m for m in self.messages if address in m.to]

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
        self.refuse, self.stall_s = False, 0
        self.unknown, self.defer_once, self.deferred = set(), set(), []


def start_smtp() -> tuple[Controller, SmtpSink]:
    sink = SmtpSink()
    with socket.socket() as probe:  # aiosmtpd needs a concrete port to check itself with
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, sink


@dataclass
class SmsSink:
    """The SMS gateway of API.md: records each POSTed {"to", "text", "id"}."""

    messages: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    fail_next: int = 0

    def to(self, number: str) -> list[dict[str, str]]:
        with self.lock:
            return [m for m in self.messages if m["to"] == number]

    def last_code(self, number: str) -> str:
        """The newest code sent to ``number`` (notices may arrive after it: codes are sent first)."""
        codes = [m.group(1) for sms in self.to(number) if (m := CODE.search(sms["text"]))]
        assert codes, f"no code sent to {number}"
        return codes[-1]

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
        self.fail_next = 0


def start_sms_gateway() -> tuple[ThreadingHTTPServer, SmsSink, str]:
    sink = SmsSink()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if sink.fail_next > 0:
                sink.fail_next -= 1
                self.send_response(503)
            else:
                with sink.lock:
                    sink.messages.append(body)
                self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, sink, f"http://127.0.0.1:{server.server_port}/sms"
