"""Signing in to a relying service in a real Chromium (issue 11): the service sends the citizen to Kabinet, the
cabinet's own sign-in (password, then the SMS code) comes back to the consent page, which works without
JavaScript, and "Allow" returns to the service with a code. English and Russian; axe on the consent page."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

from kabinet.demo import PHONE
from kabinet.flows.relying import clients
from tests.e2e.conftest import PASSWORD, axe_violations, new_page, shot


def test_a_citizen_signs_in_to_a_service_and_agrees(own_server, browser, service):
    server = own_server
    CALLBACK = f"{service.base}/callback"
    made = clients.add(server.kb.ctx, name="Запись к врачу", redirect_uris=[CALLBACK])
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    url = f"{server.base}/oidc/authorize?" + urlencode({
        "response_type": "code", "client_id": made.client_id, "redirect_uri": CALLBACK, "state": "st-1",
        "scope": "openid email", "code_challenge": challenge, "code_challenge_method": "S256"})
    # The whole way works without JavaScript — and under the site's own CSP, not bypassed: its form-action 'self'
    # refused a 303 back to the service after a form, which only a browser that enforces it shows.
    page = browser.new_context(locale="ru-RU", java_script_enabled=False, bypass_csp=False).new_page()
    arrived = service.arrived
    page.goto(url)
    page.wait_for_url("**/sign-in?next=**")
    assert "чтобы продолжить в сервисе «Запись к врачу»" in page.inner_text("main")  # issue 26.9: who asks
    page.fill("#f-login", PHONE)
    page.fill("#f-password", PASSWORD)
    after = server.last_id("sms")
    page.click("button[type=submit]")
    page.wait_for_url("**/confirm/**")
    page.fill("#f-code", server.code(PHONE, after))
    page.click("form >> button:has-text('Подтвердить')")
    page.wait_for_url("**/oidc/authorize?**")
    assert "Запись к врачу" in page.locator("main").inner_text()
    assert "основной адрес электронной почты" in page.locator("main").inner_text()
    shot(page, "oidc-consent-desktop")
    page.click("button:has-text('Разрешить')")
    page.wait_for_url(f"{CALLBACK}**")  # back at the service, by a 303 the CSP lets through (issue 23)
    query = parse_qs(urlsplit(arrived[-1]).query)
    assert query["state"] == ["st-1"] and len(query["code"][0]) > 20

    again = page.context.new_page()  # signed in and agreed: the next sign-in goes straight back
    again.goto(url.replace("state=st-1", "state=st-3"))
    again.wait_for_url(f"{CALLBACK}**")
    assert "state=st-3" in arrived[-1]

    # Signed out, consent given before: the code page's form itself ends at the service — a 303 after a form, so
    # only the code page's own form-action naming the service lets the browser follow it (issue 23: the sign-in path)
    fresh = browser.new_context(locale="ru-RU", java_script_enabled=False, bypass_csp=False).new_page()
    refused: list[str] = []
    fresh.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    fresh.goto(url.replace("state=st-1", "state=st-4"))
    fresh.wait_for_url("**/sign-in?next=**")
    fresh.fill("#f-login", PHONE)
    fresh.fill("#f-password", PASSWORD)
    after = server.last_id("sms")
    fresh.click("button[type=submit]")
    fresh.wait_for_url("**/confirm/**")
    form_action = fresh.context.request.get(fresh.url).headers["content-security-policy"]
    assert CALLBACK.rsplit("/", 1)[0] in form_action.split("form-action", 1)[1].split(";")[0], form_action
    fresh.fill("#f-code", server.code(PHONE, after))
    fresh.click("form >> button:has-text('Подтвердить')")
    fresh.wait_for_url(f"{CALLBACK}**")
    assert "state=st-4" in arrived[-1] and "code=" in arrived[-1] and refused == [], refused
    fresh.context.close()

    english = new_page(browser, locale="en-US")
    english.goto(url.replace("state=st-1", "state=st-2") + "&lang=en")
    english.wait_for_url("**/sign-in?next=**")
    assert english.locator("h1").inner_text() == "Sign in"


def test_the_consent_page_passes_axe(own_server, browser):
    server = own_server
    CALLBACK = "http://127.0.0.1:9/callback"
    made = clients.add(server.kb.ctx, name="Портал услуг", redirect_uris=[CALLBACK])
    page = new_page(browser)
    from tests.e2e.test_seed_walk_in_browser import sign_in

    sign_in(page, server)
    page.goto(f"{server.base}/oidc/authorize?" + urlencode({
        "response_type": "code", "client_id": made.client_id, "redirect_uri": CALLBACK, "scope": "openid profile",
        "code_challenge": "a" * 43, "code_challenge_method": "S256"}))
    assert page.locator("h1").inner_text() == "Вход в сервис"
    assert axe_violations(page) == []
    page.goto(server.base + "/security")
    assert "Ни один сервис не входит" in page.locator("#connected + *").inner_text()
