"""A trusted person in two browsers (issue 15), pages only: the citizen invites, the trusted person accepts in
their own cabinet; the citizen changes the password and it waits; the trusted person approves with a code from
their own SMS; the new password works. axe-core on the new page for both sides."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select

from kabinet.demo import PHONE
from kabinet.store.models import Account, Contact
from tests.e2e.conftest import PASSWORD, axe_violations, new_page, shot
from tests.e2e.test_seed_walk_in_browser import sign_in

PETROV = "+79161112233"
PETROV_PASSWORD = "petrov long passphrase"
NEW = "a brand new long passphrase"


def register_petrov(page, server) -> None:
    page.goto(server.base + "/register")
    page.fill("#f-full_name", "Петров Пётр Петрович")
    page.fill("#f-phone", PETROV)
    page.fill("#f-password", PETROV_PASSWORD)
    after = server.last_id("sms")
    page.click("form >> button[type=submit]")
    page.wait_for_url("**/confirm/**")
    page.fill("#f-code", server.code(PETROV, after))
    page.click("form >> button:has-text('Подтвердить')")
    page.wait_for_url("**/settings/contacts")
    with server.kb.store.write() as db:  # confirmed at a service centre, born 1980: may be a trusted person
        contact = db.scalars(select(Contact).where(Contact.value == PETROV)).one()
        account = db.get_one(Account, uuid.UUID(str(contact.account_id)))
        account.level, account.birth_date = "confirmed", date(1980, 1, 1)


def test_the_citizen_asks_and_the_trusted_person_approves(own_server, browser):
    server = own_server
    petrov = new_page(browser)
    register_petrov(petrov, server)

    ivan = new_page(browser)
    sign_in(ivan, server)
    ivan.goto(server.base + "/security")
    ivan.click("a:has-text('Доверенное лицо →')")
    ivan.wait_for_url("**/trusted")
    assert axe_violations(ivan) == []
    ivan.fill("#f-phone", "8 916 111-22-33")
    ivan.click("form >> button:has-text('Пригласить')")
    ivan.wait_for_url("**/trusted?done=invited")
    assert "приглашение отправлено" in ivan.locator("main").inner_text()

    petrov.goto(server.base + "/trusted")
    invitation = petrov.locator("[id^=invitation-]")
    assert "Иванов И. И." in invitation.inner_text()
    assert axe_violations(petrov) == []
    invitation.locator("button:has-text('Принять')").click()
    petrov.wait_for_url("**/trusted?done=accepted")
    assert "Иванов И. И." in petrov.locator("main").inner_text()

    ivan.goto(server.base + "/security")
    ivan.fill("#f-current", PASSWORD)
    ivan.fill("#f-new", NEW)
    ivan.click("form[action='/security/password'] >> button[type=submit]")
    ivan.wait_for_url("**/trusted?done=password_asked")
    assert "ожидается ответ вашего доверенного лица (Петров П. П.)" in ivan.locator("main").inner_text()
    shot(ivan, "trusted-citizen-desktop")

    petrov.goto(server.base + "/trusted")
    request = petrov.locator("[id^=request-]")
    assert "Иванов И. И." in request.inner_text() and "смену пароля" in request.inner_text()
    assert "+7 900" not in petrov.locator("main").inner_text()  # nothing of Ivan's account but his name
    shot(petrov, "trusted-person-desktop")
    after = server.last_id("sms")
    request.locator("button:has-text('Одобрить кодом')").click()
    petrov.wait_for_url("**/confirm/**")
    petrov.fill("#f-code", server.code(PETROV, after))
    petrov.click("form >> button:has-text('Подтвердить')")
    petrov.wait_for_url("**/trusted?done=approved")

    ivan.click("header >> button:has-text('Выйти')")
    ivan.goto(server.base + "/sign-in")
    ivan.fill("#f-login", PHONE)
    ivan.fill("#f-password", NEW)
    ivan.click("button[type=submit]")
    ivan.wait_for_url("**/confirm/**")  # the new password is the one that works now
