"""Relying services over OpenID Connect (issue 11), against a running server on loopback HTTP: Authlib's OAuth2
client runs the code flow with PKCE, the ID token is checked against the JWKS with joserfc, userinfo reads the
current contacts; after the citizen unlinks Mail.ru and makes the new address primary, the next userinfo call
shows the new address and a subscribed receiver gets a signed security event. Refusals per the specs."""

from __future__ import annotations

import json
import re
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn
from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jwt
from joserfc.jwk import KeySet

from kabinet import bootstrap
from kabinet.bootstrap import Kabinet
from kabinet.delivery.worker import drain
from kabinet.demo import EMAIL, PHONE, seed
from kabinet.flows.relying import clients
from kabinet.web.app import create_app
from tests.integration.helpers import PASSWORD

NEW = "ivan.ivanov@yandex.ru"
RISC = "https://schemas.openid.net/secevent/risc/event-type/"


class Receiver(ThreadingHTTPServer):
    """A relying service's event endpoint: keeps what is POSTed to it."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []

        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                outer.received.append((self.headers["Content-Type"], body))
                self.send_response(202)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)


@dataclass
class Live:
    base: str
    kb: Kabinet
    receiver: Receiver

    def code(self, sms, phone: str) -> str:
        drain(self.kb.courier)
        return sms.last_code(phone)


@pytest.fixture
def live(settings, clock, sms, mail) -> Iterator[Live]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    kb = bootstrap.build(settings.model_copy(update={"base_url": base}), clock=clock)
    seed(kb, PASSWORD)
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    server = uvicorn.Server(uvicorn.Config(create_app(kb), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield Live(base, kb, receiver)
    server.should_exit = True
    thread.join(10)
    receiver.shutdown()
    kb.store.dispose()


def register(live: Live, *, public: bool = False, requires: list[str] | None = None, events: bool = True,
             pairwise: bool = False) -> clients.NewClient:
    return clients.add(live.kb.ctx, name="Запись к врачу", redirect_uris=["http://127.0.0.1:9/callback"],
                       public=public, requires=requires, pairwise=pairwise,
                       events_uri=f"http://127.0.0.1:{live.receiver.server_address[1]}/events" if events else None)


def signed_in_browser(live: Live, sms) -> httpx.Client:
    """A browser with Ivan's session cookie, signed in the cabinet's own two steps."""
    browser = httpx.Client(base_url=live.base, follow_redirects=False)
    started = browser.post("/api/v1/sign-in", json={"login": PHONE, "password": PASSWORD}).json()["challenge"]
    done = browser.post(f"/api/v1/challenges/{started['id']}/confirm", json={"code": live.code(sms, PHONE)})
    assert done.status_code == 200, done.text
    assert browser.cookies["kabinet_session"] == done.json()["session_token"]  # the cabinet's own session cookie
    return browser


def returned(page: httpx.Response) -> str:
    """Where the answer sends the browser back to the service: an HTTP 303 (RFC 6749 §4.1.2, API.md)."""
    assert page.status_code == 303, page.text
    return page.headers["location"]


def consent(browser: httpx.Client, authorize_url: str, decision: str = "allow") -> httpx.Response:
    page = browser.get(authorize_url)
    if page.status_code == 303:  # agreed before, for these scopes: straight back to the service
        return page
    assert page.status_code == 200, page.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    return browser.post("/oidc/authorize", data={**{k: v.replace("&amp;", "&") for k, v in fields.items()},
                                                 "decision": decision})


def rp_client(live: Live, made: clients.NewClient, scope: str = "openid profile email phone") -> OAuth2Client:
    return OAuth2Client(client_id=made.client_id, client_secret=made.client_secret, scope=scope,
                        redirect_uri="http://127.0.0.1:9/callback", code_challenge_method="S256")


def jwks(live: Live) -> KeySet:
    return KeySet.import_key_set(httpx.get(f"{live.base}/oidc/jwks").json())


def test_a_relying_service_signs_the_citizen_in_and_sees_the_new_email_at_once(live, sms, mail):
    made = register(live)
    discovery = httpx.get(f"{live.base}/.well-known/openid-configuration").json()
    assert discovery["issuer"] == live.base and discovery["code_challenge_methods_supported"] == ["S256"]
    rp = rp_client(live, made)
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    url, state = rp.create_authorization_url(discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce)

    anonymous = httpx.Client(base_url=live.base, follow_redirects=False)
    to_sign_in = anonymous.get(url)
    assert to_sign_in.status_code == 303 and to_sign_in.headers["location"].startswith("/sign-in?next=%2Foidc")

    browser = signed_in_browser(live, sms)
    assert browser.get(url).status_code == 200  # the first time, the consent page
    back = returned(consent(browser, url))
    assert back.startswith("http://127.0.0.1:9/callback?")
    assert parse_qs(urlsplit(back).query)["state"] == [state]
    token = rp.fetch_token(discovery["token_endpoint"], authorization_response=back, code_verifier=verifier)
    id_token = jwt.decode(token["id_token"], jwks(live))
    assert id_token.header["alg"] == "ES256"
    claims = id_token.claims
    assert claims["iss"] == live.base and claims["aud"] == made.client_id and claims["nonce"] == nonce
    assert claims["acr"] == "confirmed" and claims["exp"] > claims["iat"]

    info = rp.get(discovery["userinfo_endpoint"]).json()
    assert info == {"sub": claims["sub"], "acr": "confirmed", "name": "Иванов Иван Иванович", "email": EMAIL,
                    "email_verified": True, "phone_number": PHONE, "phone_number_verified": True}

    # The seed's walk in the cabinet: add the new address, confirm it, make it primary, unlink Mail.ru.
    api = {"Authorization": f"Bearer {browser.cookies['kabinet_session']}"}
    added = browser.post("/api/v1/contacts", json={"kind": "email", "value": NEW}, headers=api).json()["contact"]
    drain(live.kb.courier)
    link = next(u for u in mail.to(NEW)[-1].links if "/verify-email" in u)
    assert browser.post("/api/v1/contacts/verify", json={"token": parse_qs(urlsplit(link).query)["token"][0]},
                        headers=api).status_code == 200
    assert browser.post(f"/api/v1/contacts/{added['id']}/primary", headers=api).status_code == 200
    old = next(c for c in browser.get("/api/v1/contacts", headers=api).json()["contacts"] if c["value"] == EMAIL)
    live.receiver.received.clear()
    removal = browser.delete(f"/api/v1/contacts/{old['id']}", headers=api).json()["challenge"]
    assert browser.post(f"/api/v1/challenges/{removal['id']}/confirm", json={"code": live.code(sms, PHONE)},
                        headers=api).status_code == 200

    info = rp.get(discovery["userinfo_endpoint"]).json()
    assert info["email"] == NEW and info["email_verified"] is True
    assert EMAIL not in json.dumps(info)
    drain(live.kb.courier)
    assert live.receiver.received, "no security event was pushed"
    kind, body = live.receiver.received[-1]
    assert kind == "application/secevent+jwt"
    event = jwt.decode(body, jwks(live))
    assert event.header["typ"] == "secevent+jwt"
    assert event.claims["aud"] == made.client_id and event.claims["iss"] == live.base
    assert event.claims["events"] == {RISC + "identifier-changed": {"subject": {
        "format": "iss_sub", "iss": live.base, "sub": claims["sub"]}}}

    # The Security page lists the service; disconnecting it kills its tokens.
    listed = browser.get("/api/v1/connected-services", headers=api)
    assert listed.status_code == 200, listed.text
    listed = listed.json()["services"]
    assert [s["name"] for s in listed] == ["Запись к врачу"]
    security = browser.get("/security", headers=api).text  # issue 26.8: what it may read, in words
    assert "ваши фамилия, имя и отчество" in security.lower()
    assert "openid, profile" not in security
    assert browser.delete(f"/api/v1/connected-services/{listed[0]['id']}", headers=api).status_code == 204
    assert rp.get(discovery["userinfo_endpoint"]).status_code == 401
    refreshed = httpx.post(discovery["token_endpoint"], data={"grant_type": "refresh_token",
                                                              "refresh_token": token["refresh_token"]},
                           auth=(made.client_id, made.client_secret))
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"


def authorized(live: Live, sms, made: clients.NewClient, *, method: str = "S256",
               scope: str = "openid email") -> tuple[str, str, httpx.Client]:
    """A code (and its verifier) for Ivan, through consent."""
    rp = rp_client(live, made, scope)
    verifier = secrets.token_urlsafe(48)
    url, _state = rp.create_authorization_url(f"{live.base}/oidc/authorize", code_verifier=verifier)
    browser = signed_in_browser(live, sms)
    back = returned(consent(browser, url))
    return parse_qs(urlsplit(back).query)["code"][0], verifier, browser


def exchange(live: Live, made: clients.NewClient, code: str, verifier: str | None, **extra: str) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": "http://127.0.0.1:9/callback",
            **({"code_verifier": verifier} if verifier is not None else {}), **extra}
    auth = (made.client_id, made.client_secret) if made.client_secret else None
    if auth is None:
        data["client_id"] = made.client_id
    return httpx.post(f"{live.base}/oidc/token", data=data, auth=auth)


def test_refusals_issue_nothing(live, sms, clock):
    made = register(live, events=False)
    browser = signed_in_browser(live, sms)
    base = {"response_type": "code", "client_id": made.client_id, "redirect_uri": "http://127.0.0.1:9/callback",
            "scope": "openid", "code_challenge": "x" * 43, "code_challenge_method": "S256", "state": "s1"}

    def ask(**change: str) -> httpx.Response:
        return browser.get("/oidc/authorize", params={**base, **change})

    wrong_uri = ask(redirect_uri="http://127.0.0.1:9/elsewhere")
    assert wrong_uri.status_code == 400 and "location" not in wrong_uri.headers  # never redirected there
    assert ask(client_id="nobody").status_code == 400
    for change, error in (({"code_challenge_method": "plain"}, "invalid_request"),
                          ({"code_challenge": ""}, "invalid_request"),
                          ({"scope": "openid admin"}, "invalid_scope"),
                          ({"response_type": "token"}, "unsupported_response_type")):
        query = parse_qs(urlsplit(returned(ask(**change))).query)
        assert query["error"] == [error] and query["state"] == ["s1"] and "code" not in query

    code, verifier, _ = authorized(live, sms, made)
    assert exchange(live, made, code, None).json()["error"] == "invalid_grant"  # no verifier: the code is spent
    assert exchange(live, made, code, verifier).json()["error"] == "invalid_grant"
    code, verifier, _ = authorized(live, sms, made)
    assert exchange(live, made, code, "w" * 43).json()["error"] == "invalid_grant"
    code, verifier, _ = authorized(live, sms, made)
    wrong_secret = httpx.post(f"{live.base}/oidc/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": "http://127.0.0.1:9/callback",
        "code_verifier": verifier}, auth=(made.client_id, "not-the-secret"))
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"
    first = exchange(live, made, code, verifier)
    assert first.status_code == 200, first.text
    access = first.json()["access_token"]
    headers = {"Authorization": f"Bearer {access}"}
    assert httpx.get(f"{live.base}/oidc/userinfo", headers=headers).status_code == 200
    reused = exchange(live, made, code, verifier)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    assert httpx.get(f"{live.base}/oidc/userinfo", headers=headers).status_code == 401  # what it gave is revoked

    code, verifier, _ = authorized(live, sms, made)
    clock.advance(seconds=61)
    assert exchange(live, made, code, verifier).json()["error"] == "invalid_grant"  # expired


def test_refresh_rotation_revocation_and_introspection(live, sms):
    made = register(live, events=False)
    code, verifier, _ = authorized(live, sms, made)
    tokens = exchange(live, made, code, verifier).json()
    auth = (made.client_id, made.client_secret)

    def post(path: str, **data: str) -> httpx.Response:
        return httpx.post(f"{live.base}/oidc/{path}", data=data, auth=auth)

    assert post("introspect", token=tokens["access_token"]).json()["active"] is True
    rotated = post("token", grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert rotated.status_code == 200 and rotated.json()["refresh_token"] != tokens["refresh_token"]
    replayed = post("token", grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert replayed.json()["error"] == "invalid_grant"  # a replay revokes the family …
    fresh = rotated.json()
    assert post("introspect", token=fresh["access_token"]).json() == {"active": False}  # … the new ones too
    code, verifier, _ = authorized(live, sms, made)
    tokens = exchange(live, made, code, verifier).json()
    assert post("revoke", token=tokens["refresh_token"]).status_code == 200
    assert post("introspect", token=tokens["access_token"]).json() == {"active": False}
    assert post("revoke", token="never-issued").status_code == 200  # RFC 7009: no oracle


def test_a_public_client_uses_pkce_alone_and_cannot_introspect(live, sms):
    made = register(live, public=True, events=False, pairwise=True)
    code, verifier, _ = authorized(live, sms, made)
    tokens = exchange(live, made, code, verifier)
    assert tokens.status_code == 200, tokens.text
    sub = jwt.decode(tokens.json()["id_token"], jwks(live)).claims["sub"]
    confidential = register(live, events=False)
    code, verifier, _ = authorized(live, sms, confidential)
    other = jwt.decode(exchange(live, confidential, code, verifier).json()["id_token"], jwks(live)).claims["sub"]
    assert sub != other and len(sub) == 64  # pairwise: this service's own subject
    denied = httpx.post(f"{live.base}/oidc/introspect", data={"token": tokens.json()["access_token"],
                                                              "client_id": made.client_id})
    assert denied.status_code == 401


def test_a_service_that_needs_more_stops_on_a_page_that_says_what_to_add(live, sms):
    made = register(live, requires=["verified_phone", "level:confirmed"], events=False)
    browser = signed_in_browser(live, sms)
    rp = rp_client(live, made, "openid")
    url, _ = rp.create_authorization_url(f"{live.base}/oidc/authorize", code_verifier=secrets.token_urlsafe(48))
    assert browser.get(url).status_code == 200  # Ivan has both: the consent page
    strict = register(live, requires=["verified_email"], events=False)
    with live.kb.store.write() as db:
        from sqlalchemy import update

        from kabinet.store.models import Contact
        db.execute(update(Contact).where(Contact.kind == "email").values(removed_at=live.kb.clock.now()))
    url, _ = rp_client(live, strict, "openid").create_authorization_url(
        f"{live.base}/oidc/authorize", code_verifier=secrets.token_urlsafe(48))
    page = browser.get(url)
    assert page.status_code == 403 and "/settings/contacts" in page.text
    assert "/oidc/authorize?" in page.text  # and the way back into the flow


def test_the_contact_page_leads_back_into_the_services_sign_in(live, sms):
    strict = register(live, requires=["verified_email"], events=False)
    browser = signed_in_browser(live, sms)
    with live.kb.store.write() as db:
        from sqlalchemy import update

        from kabinet.store.models import Contact
        db.execute(update(Contact).where(Contact.kind == "email").values(removed_at=live.kb.clock.now()))
    url, _ = rp_client(live, strict, "openid").create_authorization_url(
        f"{live.base}/oidc/authorize", code_verifier=secrets.token_urlsafe(48))
    page = browser.get(url)
    contacts_link = re.search(r'href="(/settings/contacts\?next=[^"]+)"', page.text).group(1)
    first = browser.get(contacts_link.replace("&amp;", "&"))
    assert first.status_code == 200 and 'href="/oidc/authorize?' in first.text
    later = browser.get("/settings/contacts")  # after the letter and its link, the way on is still there
    back = re.search(r'href="(/oidc/authorize\?[^"]+)"', later.text).group(1).replace("&amp;", "&")
    assert browser.get(back).status_code == 403  # still no address: the same page says so
    assert browser.get("/settings/contacts?next=https://evil.example/").text.count("/oidc/authorize?") == 1


def test_two_exchanges_of_one_code_at_once_issue_tokens_once(live, sms):
    from tests.integration.test_code_races import race

    made = register(live, events=False)
    for n in range(4):
        code, verifier, _ = authorized(live, sms, made)
        outcomes: list[int] = []
        lock = threading.Lock()

        def swap(code: str = code, verifier: str = verifier) -> None:
            status = exchange(live, made, code, verifier).status_code
            with lock:
                outcomes.append(status)

        race(swap, swap)
        assert sorted(outcomes) == [200, 400], f"round {n}: {outcomes}"


def test_key_rotation_keeps_old_tokens_verifiable(live, sms):
    from kabinet.policy import OIDC_KEY_KEEP
    from kabinet.security import keys

    made = register(live, events=False)
    code, verifier, _ = authorized(live, sms, made)
    before = exchange(live, made, code, verifier).json()["id_token"]
    with live.kb.store.write() as db:
        keys.rotate(db, live.kb.ctx.key_sealer, live.kb.clock.now(), OIDC_KEY_KEEP)
    code, verifier, _ = authorized(live, sms, made)
    after = exchange(live, made, code, verifier).json()["id_token"]
    keyset = jwks(live)
    old, new = jwt.decode(before, keyset), jwt.decode(after, keyset)  # both verify against the published set
    assert old.header["kid"] != new.header["kid"] and len(keyset.keys) == 2
    live.kb.clock.advance(days=32)
    assert [k.kid for k in jwks(live).keys] == [new.header["kid"]]  # the old key leaves once nothing it signed lives


def test_purge_removes_expired_codes_and_tokens(live, sms):
    from sqlalchemy import func, select

    from kabinet.store.models import OidcCode, OidcToken
    from kabinet.store.purge import purge

    made = register(live, events=False)
    code, verifier, _ = authorized(live, sms, made)
    assert exchange(live, made, code, verifier).status_code == 200
    authorized(live, sms, made)  # a code never exchanged
    live.kb.clock.advance(days=2)
    assert purge(live.kb.store, live.kb.clock.now()).oidc == 2  # the unused code, the 10-minute access token
    live.kb.clock.advance(days=30)
    assert purge(live.kb.store, live.kb.clock.now()).oidc == 2  # the refresh token, then the code it came from
    with live.kb.store.read() as db:
        assert db.scalar(select(func.count()).select_from(OidcToken)) == 0
        assert db.scalar(select(func.count()).select_from(OidcCode)) == 0
