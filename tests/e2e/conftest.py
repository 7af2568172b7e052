"""A real Kabinet (uvicorn, in-process outbox worker, dev mailbox and SMS inbox, the demo citizen) on a free
loopback port, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from kabinet import bootstrap
from kabinet.bootstrap import Kabinet
from kabinet.config import Settings
from kabinet.demo import seed
from kabinet.store.migrate import upgrade
from kabinet.web.app import create_app

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "demo-password-1"
AXE = Path(__file__).resolve().parents[2] / ".cache" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path(os.environ.get("KABINET_SCREENSHOTS", Path(__file__).resolve().parents[2] / "test-results"))
CODE = re.compile(r"(?:Код подтверждения|confirmation code): (\d{6})")


@dataclass
class Server:
    base: str
    kb: Kabinet

    def messages(self, kind: str) -> list[dict]:
        return httpx.get(f"{self.base}/dev/{kind}.json", timeout=10).json()

    def wait_for(self, kind: str, to: str, after: int, pattern: re.Pattern[str] | None = None) -> dict:
        """The newest message to ``to`` with an id above ``after`` (the worker sends within a moment)."""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            for message in self.messages(kind):
                fits = pattern is None or pattern.search(message["text"])
                if message["to"] == to and message["id"] > after and fits:
                    return message
            time.sleep(0.1)
        raise AssertionError(f"no {kind} to {to}")

    def last_id(self, kind: str) -> int:
        found = self.messages(kind)
        return found[0]["id"] if found else 0

    def code(self, to: str, after: int) -> str:
        match = CODE.search(self.wait_for("sms", to, after, CODE)["text"])
        assert match
        return match.group(1)


def _serve(data: Path, host: str = "127.0.0.1") -> Iterator[Server]:
    """``host``: the name the browser reaches it by (``localhost`` for passkeys: browsers refuse them on an IP)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://{host}:{port}"
    settings = Settings(database_url=f"sqlite:///{data / 'kabinet.sqlite3'}", data_dir=data, smtp_url="dev",
                        sms_gateway="dev", dev=True, outbox="inline", base_url=base, secret_key="33" * 32,
                        rate_limits=False)
    kb = bootstrap.build(settings)
    upgrade(kb.store.engine)
    seed(kb, PASSWORD)
    uv = uvicorn.Server(uvicorn.Config(create_app(kb), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    while not uv.started:
        time.sleep(0.05)
    yield Server(base, kb)
    uv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, migrated: str) -> Iterator[Server]:
    yield from _serve(tmp_path_factory.mktemp("e2e"))


@pytest.fixture
def own_server(tmp_path_factory: pytest.TempPathFactory, migrated: str) -> Iterator[Server]:
    """A server of its own, with its own demo citizen, for a test that changes the demo's contacts."""
    yield from _serve(tmp_path_factory.mktemp("e2e-own"))


@pytest.fixture
def named_server(tmp_path_factory: pytest.TempPathFactory, migrated: str) -> Iterator[Server]:
    """A server of its own reached as http://localhost:PORT: the relying party of passkeys is a name."""
    yield from _serve(tmp_path_factory.mktemp("e2e-named"), host="localhost")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Module-scoped: Playwright's sync API holds an event loop on the main thread while it runs, and the
    other suites call ``asyncio.run`` there."""
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"])
        yield chromium
        chromium.close()


def new_page(browser: Browser, *, locale: str = "ru-RU", width: int = 1280, js: bool = True,
             csp: bool = False) -> Page:
    """``csp``: enforce the site's Content-Security-Policy as a citizen's browser does (axe cannot be injected then);
    otherwise it is bypassed only so the test can inject axe-core."""
    context = browser.new_context(locale=locale, viewport={"width": width, "height": 900}, java_script_enabled=js,
                                  bypass_csp=not csp)
    return context.new_page()


def csp_refusals(page: Page) -> list[str]:
    """Start collecting what the browser refused under the page's CSP (console errors), from now on."""
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if m.type == "error" and "Content Security Policy"
            in m.text else None)
    return refused


def overflows(page: Page) -> int:
    """How many pixels the page is wider than the window (0: nothing scrolls sideways)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def axe_violations(page: Page) -> list[dict]:
    """Serious and critical accessibility violations on the current page, by axe-core."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


class Service:
    """A relying service's own web endpoints on a loopback port of their own: what the browser is sent back to
    (the redirect URI, the post-logout URI) and what Kabinet POSTs to (logout tokens), all recorded."""

    def __init__(self) -> None:
        import http.server

        self.arrived: list[str] = []  # the URLs the browser came back to
        self.posted: list[tuple[str, str]] = []  # (path, body) POSTed by Kabinet
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != "/favicon.ico":  # the browser's own request, not a redirect of ours
                    outer.arrived.append(f"{outer.base}{self.path}")
                body = b"<!doctype html><title>the service</title><p>the service"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                outer.posted.append((self.path, self.rfile.read(int(self.headers["Content-Length"])).decode()))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def service() -> Iterator[Service]:
    made = Service()
    yield made
    made.close()
