"""Issue 26.7 in Chromium: Back and the sign-in state. Back after signing in shows a signed-in page, never the used
code's form; Back over a refused form is a page, never ERR_CACHE_MISS (a refusal is POST → 303 → GET); a page asked
for while signed out says why and comes back after signing in; signing out says so; the code page says it is step 2
of 2 and leads back to change the login."""

from __future__ import annotations

from kabinet.demo import PHONE
from tests.e2e.conftest import PASSWORD, axe_violations, new_page


def test_back_after_signing_in_stays_signed_in(own_server, browser):
    page = new_page(browser)
    page.goto(own_server.base + "/sign-in")
    after = own_server.last_id("sms")
    page.fill("#f-login", PHONE)
    page.fill("#f-password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/confirm/**")
    assert "Шаг 2 из 2" in page.inner_text("main")
    assert page.locator("main a:has-text('Войти с другим логином')").get_attribute("href").startswith("/sign-in")
    page.fill("#f-code", own_server.code(PHONE, after))
    page.click("form >> button:has-text('Подтвердить')")
    page.wait_for_url("**/settings/contacts")
    page.go_back()
    page.wait_for_load_state()
    assert "уже использован" not in page.inner_text("main")
    assert page.locator("header >> button:has-text('Выйти')").count() == 1, "a signed-out header while signed in"
    page.go_back()  # the sign-in form itself, signed in: on to the cabinet too
    page.wait_for_load_state()
    assert page.locator("header >> button:has-text('Выйти')").count() == 1

    page.click("header >> button:has-text('Выйти')")
    page.wait_for_url("**/sign-in?done=signed_out")
    assert "Вы вышли из личного кабинета" in page.inner_text("main") and axe_violations(page) == []


def test_back_over_a_refused_form_is_a_page_and_a_protected_page_comes_back_after_sign_in(own_server, browser):
    page = new_page(browser)
    page.goto(own_server.base + "/security")  # signed out
    page.wait_for_url("**/sign-in?asked=1&next=%2Fsecurity")
    assert "Войдите, чтобы открыть эту страницу" in page.inner_text("main") and axe_violations(page) == []
    page.fill("#f-login", PHONE)
    page.fill("#f-password", "not the password")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert "Неверный логин или пароль" in page.inner_text("main")
    assert page.input_value("#f-login") == PHONE, "what was typed is kept"
    page.goto(own_server.base + "/recover")
    answer = page.go_back()
    assert answer is not None and answer.status == 200  # the form's page again (GET), not ERR_CACHE_MISS
    assert page.locator("#f-login").count() == 1, "Back over the refused form did not show a page"

    after = own_server.last_id("sms")
    page.fill("#f-login", PHONE)
    page.fill("#f-password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/confirm/**")
    page.fill("#f-code", "000000")  # a wrong code: refused on its own page
    page.click("form >> button:has-text('Подтвердить')")
    page.wait_for_load_state()
    assert "Неверный код" in page.inner_text("main")
    page.fill("#f-code", own_server.code(PHONE, after))
    page.click("form >> button:has-text('Подтвердить')")
    page.wait_for_url("**/security")  # back to the page asked for
    assert page.locator("h1").inner_text() == "Безопасность"
