"""Issue 23 in a real Chromium with the site's CSP enforced: a native-style app (public client, PKCE, a loopback
redirect on a port it picked) gets its code by a real 303; RP-initiated logout asks first without a hint and then
sends the browser back to the service's registered post-logout URI (the confirmation page's form-action names it),
and with the ID token as hint signs out at once."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from kabinet.demo import PHONE
from kabinet.flows.relying import clients
from tests.e2e.conftest import PASSWORD, csp_refusals


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def signed_in(browser, server):
    """A browser as a citizen's: JavaScript on, the CSP enforced (not bypassed), signed in the cabinet's way."""
    page = browser.new_context(locale="ru-RU", bypass_csp=False).new_page()
    page.goto(server.base + "/sign-in")
    after = server.last_id("sms")
    page.fill("#f-login", PHONE)
    page.fill("#f-password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/confirm/**")
    page.fill("#f-code", server.code(PHONE, after))
    page.click("form >> button:has-text('Подтвердить')")
    page.wait_for_url("**/settings/contacts")
    return page


def test_a_native_app_on_a_loopback_port_gets_its_code_by_a_real_303(own_server, browser, service):
    server = own_server
    made = clients.add(server.kb.ctx, name="Госуслуги для Linux", redirect_uris=["http://127.0.0.1/callback"],
                       public=True)  # registered without a port: the app listens wherever it can
    page = signed_in(browser, server)
    refused = csp_refusals(page)
    verifier, challenge = pkce()
    redirect = f"{service.base}/callback"
    page.goto(f"{server.base}/oidc/authorize?" + urlencode({
        "response_type": "code", "client_id": made.client_id, "redirect_uri": redirect, "state": "app-1",
        "scope": "openid", "code_challenge": challenge, "code_challenge_method": "S256"}))
    page.click("button:has-text('Разрешить')")
    page.wait_for_url(f"{redirect}**")
    assert refused == [], refused
    query = parse_qs(urlsplit(service.arrived[-1]).query)
    assert query["state"] == ["app-1"] and query["iss"] == [server.base]
    token = httpx.post(f"{server.base}/oidc/token", data={
        "grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": redirect,
        "code_verifier": verifier, "client_id": made.client_id}).json()
    assert token["token_type"] == "Bearer" and token["id_token"]


def test_rp_initiated_logout_asks_then_returns_to_the_service_and_a_hint_signs_out_at_once(own_server, browser,
                                                                                          service):
    server = own_server
    made = clients.add(server.kb.ctx, name="Запись к врачу", redirect_uris=[f"{service.base}/callback"],
                       post_logout_redirect_uris=[f"{service.base}/signed-out"])
    page = signed_in(browser, server)
    refused = csp_refusals(page)
    page.goto(f"{server.base}/oidc/logout?" + urlencode({
        "client_id": made.client_id, "post_logout_redirect_uri": f"{service.base}/signed-out", "state": "bye"}))
    assert "Выйти из личного кабинета?" in page.inner_text("main")
    assert "«Запись к врачу» просит вас выйти" in page.inner_text("main")
    page.click("main button:has-text('Выйти')")
    page.wait_for_url(f"{service.base}/signed-out**")
    assert refused == [], refused
    assert service.arrived[-1] == f"{service.base}/signed-out?state=bye"
    page.goto(server.base + "/settings/contacts")
    page.wait_for_url("**/sign-in**")  # signed out of the cabinet indeed

    page = signed_in(browser, server)  # again, now through the service, to get an ID token as the hint
    verifier, challenge = pkce()
    page.goto(f"{server.base}/oidc/authorize?" + urlencode({
        "response_type": "code", "client_id": made.client_id, "redirect_uri": f"{service.base}/callback",
        "scope": "openid", "code_challenge": challenge, "code_challenge_method": "S256"}))
    page.click("button:has-text('Разрешить')")
    page.wait_for_url(f"{service.base}/callback**")
    code = parse_qs(urlsplit(service.arrived[-1]).query)["code"][0]
    tokens = httpx.post(f"{server.base}/oidc/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": f"{service.base}/callback",
        "code_verifier": verifier, "client_id": made.client_id, "client_secret": made.client_secret}).json()
    page.goto(f"{server.base}/oidc/logout?" + urlencode({
        "id_token_hint": tokens["id_token"], "post_logout_redirect_uri": f"{service.base}/signed-out",
        "state": "bye-2"}))
    page.wait_for_url(f"{service.base}/signed-out?state=bye-2")  # no page in between: the hint named this session
    page.goto(server.base + "/settings/contacts")
    page.wait_for_url("**/sign-in**")
