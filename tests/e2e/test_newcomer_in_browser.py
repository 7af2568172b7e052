"""What a newcomer sees in Chromium (issue 13): the resend countdown beside an unconfirmed address ticks and the
button comes back; the history page fits a 360 px phone with every column; axe finds nothing serious."""

from __future__ import annotations

from tests.e2e.conftest import axe_violations, new_page, shot
from tests.e2e.test_seed_walk_in_browser import sign_in


def test_the_resend_countdown_ticks_beside_the_address(own_server, browser):
    page = new_page(browser)
    sign_in(page, own_server)
    page.fill("#f-email", "countdown@example.org")
    page.click("form:has(#f-email) button")
    page.wait_for_url("**done=email_added")
    item = page.locator("[data-value='countdown@example.org']")
    assert item.locator("form.resend button").is_disabled()
    first = item.locator("[data-resend-at]").inner_text()
    assert first.startswith("Отправить ещё раз можно через ")
    page.wait_for_timeout(1100)
    assert item.locator("[data-resend-at]").inner_text() != first  # it counts down
    assert axe_violations(page) == []
    # issue 26.9: the unconfirmed row's buttons line up — same top, same height
    again = item.locator("form.resend button").bounding_box()
    delete = item.locator("a:has-text('Удалить')").bounding_box()
    assert abs(again["y"] - delete["y"]) <= 1 and abs(again["height"] - delete["height"]) <= 1, (again, delete)


def test_the_history_fits_a_phone_with_every_column(own_server, browser):
    page = new_page(browser, width=360)
    sign_in(page, own_server)
    page.goto(own_server.base + "/history")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, width
    first = page.locator("table.history tbody tr").first
    assert first.locator("td").nth(3).is_visible()  # the Who column is kept
    assert "Вы" in page.locator("table.history").inner_text()
    shot(page, "history-phone")
    assert axe_violations(page) == []
