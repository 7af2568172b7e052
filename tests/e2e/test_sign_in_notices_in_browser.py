"""Issue 24 in Chromium: a second browser signing in gets the new-device notice (to the primary phone); the same
browser again does not; "this wasn't me" from the notice, opened in the citizen's own browser, ends that session."""

from __future__ import annotations

import re

from kabinet.demo import PHONE
from tests.e2e.conftest import axe_violations, new_page
from tests.e2e.test_back_and_sign_in_state_in_browser import PASSWORD

NOTICE = re.compile("вход с нового устройства")


def sign_in(page, server) -> None:
    page.goto(server.base + "/sign-in")
    after = server.last_id("sms")
    page.fill("#f-login", PHONE)
    page.fill("#f-password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/confirm/**")
    page.fill("#f-code", server.code(PHONE, after))
    page.click("form >> button:has-text('Подтвердить')")
    page.wait_for_url("**/settings/contacts")


def test_a_second_browser_is_told_of_and_this_was_not_me_ends_it(own_server, browser):
    server = own_server
    mine = new_page(browser)
    sign_in(mine, server)  # the account's first browser: nothing to tell
    before = server.last_id("sms")
    stranger = new_page(browser)  # another browser: its own cookies
    sign_in(stranger, server)
    notice = server.wait_for("sms", PHONE, before, NOTICE)
    assert "Chrome" in notice["text"] and "пароль и код из SMS" in notice["text"]
    again = server.last_id("sms")
    stranger.click("header >> button:has-text('Выйти')")
    sign_in(stranger, server)  # the same browser: known now
    mine.wait_for_timeout(500)
    assert not [m for m in server.messages("sms") if m["id"] > again and NOTICE.search(m["text"])]

    link = re.search(r"http://\S+/not-me\?token=\S+", notice["text"]).group(0)
    mine.goto(link)
    assert axe_violations(mine) == []
    mine.click("main button[type=submit]")
    mine.wait_for_load_state()
    stranger.goto(server.base + "/settings/contacts")
    stranger.wait_for_url("**/sign-in**")  # the stranger's session is over
