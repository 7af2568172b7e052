"""Passkeys in a real Chromium (issue 24) through the DevTools protocol's virtual authenticator (ctap2, resident keys,
user verification): a citizen adds a passkey on Security, signs out, signs in with it and no login typed; a dialog
closed without verifying is said so; a copy whose counter went backwards is refused and said so; and removing the
passkey is refused while it is the only way to sign in, then done. axe-clean."""

from __future__ import annotations

import re

from kabinet.demo import PHONE
from tests.e2e.conftest import PASSWORD, axe_violations, new_page, shot


def authenticator(page):
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    made = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})
    return cdp, made["authenticatorId"]


def sign_in_with_code(page, server) -> None:
    page.goto(server.base + "/sign-in")
    after = server.last_id("sms")
    page.fill("#f-login", PHONE)
    page.fill("#f-password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/confirm/**")
    page.fill("#f-code", server.code(PHONE, after))
    page.click("form >> button:has-text('Подтвердить')")
    page.wait_for_url("**/settings/contacts")


def test_a_citizen_adds_a_passkey_signs_in_with_it_alone_and_removes_it_under_the_guards(named_server, browser):
    server = named_server
    page = new_page(browser)
    cdp, aid = authenticator(page)
    sign_in_with_code(page, server)

    page.goto(server.base + "/security#passkeys")
    assert "Ключей доступа пока нет" in page.locator("#passkeys").inner_text()
    page.fill("#f-passkey-name", "Ноутбук")
    page.click("#passkeys button:has-text('Добавить ключ доступа')")
    page.wait_for_url("**/security?done=passkey_added**")
    assert "Ноутбук" in page.locator("#passkeys").inner_text()
    assert "Chromium virtual authenticator" in page.locator("#passkeys").inner_text()
    assert len(cdp.send("WebAuthn.getCredentials", {"authenticatorId": aid})["credentials"]) == 1
    assert axe_violations(page) == []
    shot(page, "passkeys-desktop")

    page.click("header >> button:has-text('Выйти')")
    page.wait_for_url("**/sign-in**")
    page.click("button:has-text('Войти с ключом доступа')")  # no login typed
    page.wait_for_url("**/settings/contacts")
    assert page.locator("header >> button:has-text('Выйти')").count() == 1

    page.click("header >> button:has-text('Выйти')")
    page.wait_for_url("**/sign-in**")
    cdp.send("WebAuthn.setUserVerified", {"authenticatorId": aid, "isUserVerified": False})  # the citizen cancels
    page.click("button:has-text('Войти с ключом доступа')")
    page.wait_for_selector("#passkey-status:not([hidden])")
    assert "закрыто" in page.inner_text("#passkey-status") and "/sign-in" in page.url
    cdp.send("WebAuthn.setUserVerified", {"authenticatorId": aid, "isUserVerified": True})

    credential = cdp.send("WebAuthn.getCredentials", {"authenticatorId": aid})["credentials"][0]
    cdp.send("WebAuthn.removeCredential", {"authenticatorId": aid, "credentialId": credential["credentialId"]})
    cdp.send("WebAuthn.addCredential", {"authenticatorId": aid, "credential": {**credential, "signCount": 0}})
    page.reload()
    told_after = server.last_id("sms")
    page.click("button:has-text('Войти с ключом доступа')")  # a copy made before the last sign-in
    page.wait_for_selector("#passkey-status:not([hidden])")
    assert "копия" in page.inner_text("#passkey-status")
    assert server.wait_for("sms", PHONE, told_after, re.compile("копия ключа доступа"))  # and told

    sign_in_with_code(page, server)
    page.goto(server.base + "/security")
    for form in page.locator("form.settings-row").all():  # sign-in by contacts off: the passkey is the only way
        form.locator("input[name=sign_in]").uncheck()
        form.locator("button").click()
        page.wait_for_load_state()
    page.locator("#passkeys button:has-text('Убрать')").click()
    page.wait_for_load_state()
    assert "единственный способ входа" in page.inner_text("main")
    assert "Ноутбук" in page.locator("#passkeys").inner_text()
    page.locator("form.settings-row").first.locator("input[name=sign_in]").check()
    page.locator("form.settings-row").first.locator("button").click()
    page.wait_for_load_state()
    page.locator("#passkeys button:has-text('Убрать')").click()
    page.wait_for_url("**/security?done=passkey_removed")
    assert "Ключей доступа пока нет" in page.locator("#passkeys").inner_text()
    assert axe_violations(page) == []


def test_the_login_fields_autofill_offers_the_passkey_conditional_ui(named_server, browser):
    """Conditional UI (issue 24, audit 8): the login field says ``username webauthn``, and once the citizen reaches for
    it the browser's autofill offers the site's passkeys (``mediation: "conditional"``); picking one signs in with no
    login typed and no button pressed. Chromium's virtual authenticator picks the first passkey at once."""
    server = named_server
    page = new_page(browser)
    authenticator(page)
    sign_in_with_code(page, server)
    page.goto(server.base + "/security#passkeys")
    page.fill("#f-passkey-name", "Телефон")
    page.click("#passkeys button:has-text('Добавить ключ доступа')")
    page.wait_for_url("**/security?done=passkey_added**")
    page.click("header >> button:has-text('Выйти')")
    page.wait_for_url("**/sign-in**")
    assert page.get_attribute("#f-login", "autocomplete") == "username webauthn"
    assert page.evaluate("PublicKeyCredential.isConditionalMediationAvailable()") is True
    page.wait_for_timeout(500)
    assert "/sign-in" in page.url  # nothing is asked of the authenticator before the citizen reaches for the field
    page.click("#f-login")  # the autofill list: the virtual authenticator picks the passkey
    page.wait_for_url("**/settings/contacts")
    assert page.locator("header >> button:has-text('Выйти')").count() == 1
    assert axe_violations(page) == []
