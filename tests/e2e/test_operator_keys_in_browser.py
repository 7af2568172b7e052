"""An operator's security key in a real Chromium (issue 24) through the DevTools protocol's virtual authenticator: the
operator signs in with password and app code, adds a key on the console's keys page, signs out, and signs in with
the password and the key in place of the app's code. axe-clean."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pyotp

from kabinet.flows.centre import operators
from tests.e2e.conftest import axe_violations, new_page
from tests.e2e.test_passkeys_in_browser import authenticator

OWN = "Своё-Надёжное-Слово-2026"


def test_an_operator_adds_a_security_key_and_signs_in_with_it(named_server, browser):
    server = named_server
    made = operators.add(server.kb.ctx, login="petrova", centre="МФЦ Тверской")
    secret = parse_qs(urlsplit(made.otpauth_uri).query)["secret"][0]
    page = new_page(browser)
    cdp, aid = authenticator(page)
    page.goto(server.base + "/operator")
    page.fill("#f-login", "petrova")
    page.fill("#f-password", made.password)
    page.click("form >> button[type=submit]")
    page.wait_for_url("**/operator/code/**")
    page.fill("#f-code", pyotp.TOTP(secret).now())
    page.click("form >> button:has-text('Подтвердить')")
    page.wait_for_url("**/operator/password")
    page.fill("#f-current", made.password)
    page.fill("#f-new", OWN)
    page.click("main form >> button[type=submit]")
    page.wait_for_url("**/operator/password?done=password")
    page.click("a:has-text('Ключи безопасности')")
    page.wait_for_url("**/operator/keys")
    assert "Ключей безопасности пока нет" in page.inner_text("main")
    page.fill("#f-key-name", "Ключ на связке")
    page.click("button:has-text('Добавить ключ безопасности')")
    page.wait_for_url("**/operator/keys?done=added")
    assert "Ключ на связке" in page.inner_text("main")
    assert len(cdp.send("WebAuthn.getCredentials", {"authenticatorId": aid})["credentials"]) == 1
    assert axe_violations(page) == []

    page.click("header >> button:has-text('Выйти')")
    page.wait_for_url("**/operator")
    page.fill("#f-login", "petrova")
    page.fill("#f-password", OWN)
    page.click("form >> button[type=submit]")
    page.wait_for_url("**/operator/code/**")
    assert axe_violations(page) == []
    page.click("button:has-text('Войти с ключом безопасности')")  # no app code typed
    page.wait_for_url("**/operator/visits/new")
    assert page.locator("header >> button:has-text('Выйти')").count() == 1
