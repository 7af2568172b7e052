"""The service centre in a real Chromium (issue 10): an operator signs in with password and app code, opens a visit
by the passport and SNILS, unlinks the Mail.ru address with a reason, closes the visit and prints the receipt; the
PDF is produced and readable with pdftotext. axe-core on every console page.

Issue 26: the one-time password is changed at the first sign-in; "Centre" is shown to supervisors only; the visit
page fits a 360 px phone; the receipt is styled under the site's CSP, and its PDF names each action's reason, a
visit number a person can read out, and the SNILS on one line."""

from __future__ import annotations

import re
import subprocess
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp

from kabinet.flows.centre import operators
from tests.e2e.conftest import axe_violations, csp_refusals, new_page, overflows, shot

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
    page.wait_for_url("**/operator/password")  # the one-time password: one's own first
    assert "одноразовым паролем" in page.inner_text("main") and axe_violations(page) == []
    page.goto(own_server.base + "/operator/visits/new")
    page.wait_for_url("**/operator/password")  # nothing else opens before it
    page.fill("#f-current", made.password)
    page.fill("#f-new", "Своё-Надёжное-Слово-2026")
    page.click("main form >> button[type=submit]")
    page.wait_for_url("**/operator/password?done=password")
    page.goto(own_server.base + "/operator/visits/new")
    assert axe_violations(page) == []
    assert page.locator("nav >> text=Центр").count() == 0, "an ordinary operator is not shown the supervisor's page"

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
    page.set_viewport_size({"width": 360, "height": 800})
    assert overflows(page) == 0, "the visit page scrolls sideways on a phone"
    shot(page, "operator-visit-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    row = page.locator("tr", has_text="i***@mail.ru")
    row.locator("input[name=reason]").fill(REASON)
    row.locator("button").click()
    page.wait_for_url("**done=removed")
    assert "i***@mail.ru" not in page.locator("table").inner_text()

    page.click("button:has-text('Закрыть визит')")
    page.wait_for_url("**/receipt")
    receipt = page.inner_text("main")
    assert "i***@mail.ru отвязан" in receipt and "МФЦ Тверской" in receipt and "petrova" in receipt
    assert REASON in receipt
    assert axe_violations(page) == []
    shot(page, "operator-receipt")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    receipt_url = page.url

    strict = new_page(browser, csp=True)  # as the operator's browser sees it: the CSP enforced
    strict.context.add_cookies(page.context.cookies())
    refused = csp_refusals(strict)
    strict.goto(receipt_url)
    assert refused == [], refused
    assert "DejaVu" in strict.evaluate("getComputedStyle(document.body).fontFamily"), "the receipt is unstyled"
    strict.context.close()

    pdf = httpx.get(own_server.base + page.locator("a:has-text('PDF')").get_attribute("href"), cookies=cookies,
                    timeout=30)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True,
                                   check=True).stdout.decode().split())  # the words, however the columns wrap
    lines = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf.content, capture_output=True,
                           check=True).stdout.decode().splitlines()  # as printed, line by line
    assert "Расписка о визите" in text and "i***@mail.ru отвязан" in text and "Скачать PDF" not in text
    assert REASON in text, "the PDF leaves out the action's reason"
    assert re.search(r"Номер визита\s+[0-9A-F]{4}-[0-9A-F]{4}\b", text), text
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", text), "a raw UUID on the receipt"
    assert any(re.search(r"\*\*\*-\*\*\*-445 95", line) for line in lines), "the SNILS breaks across lines"

    page.goto(own_server.base + "/operator/requests")
    assert axe_violations(page) == []
    page.goto(own_server.base + "/operator/centre")  # an operator, not a supervisor: refused in words
    assert "руководитель" in page.inner_text("main") and axe_violations(page) == []
