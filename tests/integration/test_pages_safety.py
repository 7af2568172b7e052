"""Page safety over HTTP: CSRF on every form, security headers, cookies, the Russian catalogue complete."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from kabinet.web.i18n import translations

TEMPLATES = Path(__file__).resolve().parents[2] / "kabinet" / "web" / "templates"


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "a form without a CSRF token"
    return match.group(1)


def test_a_form_post_without_the_token_is_refused_and_changes_nothing(client, kb, sms, mail):
    page = client.get("/sign-in")
    assert page.status_code == 200 and page.cookies.get("kabinet_csrf")
    refused = client.post("/sign-in", data={"login": "+79001234567", "password": "x"})
    assert refused.status_code == 403 and "Форма устарела" in refused.text
    forged = client.post("/sign-in", data={"login": "+79001234567", "password": "x", "csrf_token": "forged"})
    assert forged.status_code == 403
    good = client.post("/sign-in", data={"login": "+79001234567", "password": "wrong password",
                                         "csrf_token": csrf_of(page.text)})
    assert good.status_code == 401 and "Неверный логин или пароль" in good.text


def test_signed_in_forms_need_the_token_too(client, kb, sms, mail, ivan):
    client.cookies.set("kabinet_session", ivan.token)
    page = client.get("/settings/contacts")
    assert page.status_code == 200 and 'name="csrf_token"' in page.text
    refused = client.post("/settings/contacts/add", data={"kind": "email", "email": "x@example.org"})
    assert refused.status_code == 403
    assert "x@example.org" not in client.get("/settings/contacts").text
    done = client.post("/settings/contacts/add", data={"kind": "email", "email": "x@example.org",
                                                       "csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert done.status_code == 303 and "x@example.org" in client.get("/settings/contacts").text


def test_security_headers_and_cookies(client):
    page = client.get("/sign-in")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert page.headers["referrer-policy"] == "same-origin" and page.headers["x-content-type-options"] == "nosniff"
    assert "strict-transport-security" not in page.headers  # only on https
    cookie = page.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie


def test_pages_without_a_session_go_to_sign_in(client):
    for path in ("/settings/contacts", "/security", "/history", "/services", "/export"):
        response = client.get(path, follow_redirects=False)
        # issue 26.7: the sign-in page says why, and leads back to the page asked for
        assert response.status_code == 303
        assert response.headers["location"] == f"/sign-in?asked=1&next={quote(path, safe='')}"


def test_an_unknown_page_is_a_page_with_a_reference(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "text/html" in response.headers["content-type"]
    assert re.search(r"<code>[0-9a-f]{12}</code>", response.text) and 'action="/support"' in response.text
    api = client.get("/api/v1/no-such-thing")
    assert api.headers["content-type"] == "application/problem+json"


def test_every_template_text_has_a_russian_translation():
    ids = set()
    for template in TEMPLATES.glob("*.html"):
        ids |= set(re.findall(r'_\("((?:[^"\\]|\\.)*)"\)', template.read_text()))
    russian = translations("ru")
    missing = [text for text in ids if russian.gettext(text) == text]
    assert missing == []
    assert len(ids) > 100


def test_a_stale_second_factor_goes_through_step_up_and_back(client, kb, sms, mail, clock, ivan):
    client.cookies.set("kabinet_session", ivan.token)
    clock.advance(minutes=11)
    token = csrf_of(client.get("/settings/contacts").text)
    asked = client.post("/settings/contacts/add", data={"kind": "email", "email": "late@example.org",
                                                        "csrf_token": token}, follow_redirects=False)
    assert asked.status_code == 303 and asked.headers["location"] == "/step-up?next=/settings/contacts"
    started = client.post("/step-up", data={"next": "/settings/contacts", "csrf_token": token},
                          follow_redirects=False)
    code_page = started.headers["location"]
    assert code_page.startswith("/confirm/") and code_page.endswith("next=/settings/contacts")
    confirmed = client.post(code_page, data={"code": ivan.code_for("+79001234567"), "csrf_token": token},
                            follow_redirects=False)
    assert confirmed.status_code == 303 and confirmed.headers["location"] == "/settings/contacts"
    client.cookies.set("kabinet_session", confirmed.cookies["kabinet_session"])  # rotated at step-up
    again = client.post("/settings/contacts/add", data={"kind": "email", "email": "late@example.org",
                                                        "csrf_token": token}, follow_redirects=False)
    assert again.headers["location"] == "/settings/contacts?done=email_added"


def test_next_after_a_code_stays_on_this_site(client, kb, sms, mail):
    from kabinet.web.pages.common import safe_next

    assert safe_next("https://evil.example/", "/x") == "/x"
    assert safe_next("//evil.example/", "/x") == "/x"
    assert safe_next("/\\evil.example", "/x") == "/x"
    assert safe_next("/security", "/x") == "/security"


def test_cookie_authenticated_api_writes_from_another_site_are_refused(client, kb, sms, mail, ivan):
    client.cookies.set("kabinet_session", ivan.token)
    body = {"kind": "email", "value": "ivan.cross@yandex.ru"}
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        refused = client.post("/api/v1/contacts", json=body, headers=headers)
        assert refused.status_code == 403 and refused.json()["code"] == "request.cross_site"
        assert refused.headers["x-content-type-options"] == "nosniff"
    assert "ivan.cross@yandex.ru" not in client.get("/api/v1/contacts").text
    same = client.post("/api/v1/contacts", json=body, headers={"Origin": "http://testserver",
                                                               "Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 201
    bearer = client.post("/api/v1/contacts", json={"kind": "email", "value": "ivan.b@yandex.ru"},
                         headers={"Origin": "https://evil.example", "Authorization": f"Bearer {ivan.token}"})
    assert bearer.status_code == 201  # no ambient credential: a token the page elsewhere could not have


def test_the_413_answer_carries_the_security_headers_and_the_callers_language(client):
    response = client.post("/api/v1/sign-in", content=b"{" + b" " * 70_000 + b"}",
                           headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.headers["x-frame-options"] == "DENY"
    assert response.json()["title"] == "Слишком большой запрос"


def test_a_wrong_method_is_405_with_allow(client):
    api = client.put("/api/v1/sign-in", json={})
    assert api.status_code == 405 and api.headers["allow"] == "POST"
    assert api.headers["content-type"] == "application/problem+json"
    page = client.put("/sign-in")
    assert page.status_code == 405 and "GET" in page.headers["allow"]
