"""The service centre in a real Chromium (issue 10): an operator signs in with password and app code, opens a visit
by the passport and SNILS, unlinks the Mail.ru address with a reason, closes the visit and prints the receipt; the
PDF is produced and readable with pdftotext. axe-core on every console page."""

from __future__ import annotations

import subprocess
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp

from kabinet.flows.centre import operators
from tests.e2e.conftest import axe_violations, new_page, shot

REASON = "Гражданин больше не пользуется ящиком на Mail.ru"


def test_an_operator_unlinks_the_mail_ru_address_and_prints_the_receipt(own_server, browser):
    made = operators.add(own_server.kb.ctx, login="petrova", centre="МФЦ Тверской")
    secret = parse_qs(urlsplit(made.otpauth_uri).query)["secret"][0]
    page = new_page(browser)
    page.goto(own_server.base + "/operator")
    assert axe_violations(page) == []
    page.fill("#f-login", "petrova")
    page.fill("#f-password", made.password)
    page.click("form >> button[type=submit]")
    page.wait_for_url("**/operator/code/**")
    page.fill("#f-code", pyotp.TOTP(secret).now())
    page.click("form >> button:has-text('Подтвердить')")
    page.wait_for_url("**/operator/visits/new")
    assert axe_violations(page) == []

    page.fill("#f-passport", "45 08 123457")  # a wrong digit: nothing opens, nothing is revealed
    page.fill("#f-snils", "112-233-445 95")
    page.click("main form >> button[type=submit]")
    assert "учётная запись не найдена" in page.inner_text("main")
    assert "Иванов" not in page.inner_text("main")
    page.fill("#f-passport", "45 08 123456")
    page.click("main form >> button[type=submit]")
    page.wait_for_url("**/operator/visits/*")
    assert "Иванов Иван Иванович" in page.inner_text("h1")
    assert axe_violations(page) == []
    shot(page, "operator-visit-desktop")

    row = page.locator("tr", has_text="i***@mail.ru")
    row.locator("input[name=reason]").fill(REASON)
    row.locator("button").click()
    page.wait_for_url("**done=removed")
    assert "i***@mail.ru" not in page.locator("table").inner_text()

    page.click("button:has-text('Закрыть визит')")
    page.wait_for_url("**/receipt")
    receipt = page.inner_text("main")
    assert "i***@mail.ru отвязан" in receipt and "МФЦ Тверской" in receipt and "petrova" in receipt
    assert axe_violations(page) == []
    shot(page, "operator-receipt")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    pdf = httpx.get(own_server.base + page.locator("a:has-text('PDF')").get_attribute("href"), cookies=cookies,
                    timeout=30)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True).stdout.decode()
    assert "Расписка о визите" in text and "i***@mail.ru отвязан" in text and "Скачать PDF" not in text

    page.goto(own_server.base + "/operator/requests")
    assert axe_violations(page) == []
    page.goto(own_server.base + "/operator/centre")  # an operator, not a supervisor: refused in words
    assert "руководитель" in page.inner_text("main") and axe_violations(page) == []
