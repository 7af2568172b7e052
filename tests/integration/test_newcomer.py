"""The cabinet as a newcomer finds it (issue 13): each refusal said in words under its field, waits in minutes and
hours with what the limit is about, a never-confirmed address removed without a code, settings refused in their own
words, history in words in both languages, error pages that say what happened."""

from __future__ import annotations

import re

from kabinet.audit.events import EventType
from kabinet.demo import EMAIL, PHONE
from kabinet.texts import translations
from tests.integration.helpers import PASSWORD, contacts, demo_citizen


def page(client, ivan, path: str, **kw) -> str:
    client.cookies.set("kabinet_session", ivan.token)
    return client.get(path, **kw).text


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_adding_an_address_already_on_the_account_says_so_under_the_field(client, kb, sms, mail, ivan):
    html = page(client, ivan, "/settings/contacts")
    answer = client.post("/settings/contacts/add", data={"kind": "email", "email": EMAIL, "csrf_token": csrf(html)})
    assert answer.status_code == 409
    field = re.search(r'<div class="field field--error">.*?</div>', answer.text, re.S)
    assert field and 'name="email"' in field.group(0) and "уже есть в вашей учётной записи" in field.group(0)


def test_a_setting_that_would_leave_no_way_in_is_refused_in_its_own_words(client, kb, sms, mail, ivan):
    phone, email = contacts(ivan)["+7 900 123-45-67"]["id"], contacts(ivan)[EMAIL]["id"]
    assert ivan.client.patch(f"/api/v1/contacts/{email}", json={"sign_in": False},
                             headers=ivan.auth).status_code == 200
    refused = ivan.client.patch(f"/api/v1/contacts/{phone}", json={"sign_in": False}, headers=ivan.auth)
    assert refused.status_code == 409 and refused.json()["code"] == "contact.setting_refused"
    assert "не останется контакта для входа" in refused.json()["title"] and "удалить" not in refused.json()["title"]
    html = page(client, ivan, "/security")
    answer = client.post(f"/security/contacts/{phone}", data={"sign_in": "", "recovery": "1",
                                                             "csrf_token": csrf(html)})
    assert "не останется контакта для входа" in answer.text


def test_waits_are_said_in_words_with_what_the_limit_is_about(client, kb, sms, mail):
    demo_citizen(client, kb, sms, mail)
    client.cookies.clear()
    for _ in range(5):
        client.post("/api/v1/sign-in", json={"login": PHONE, "password": "not the password 1"})
    wall = client.post("/api/v1/sign-in", json={"login": PHONE, "password": PASSWORD},
                       headers={"Accept-Language": "ru"})
    assert wall.status_code == 429 and int(wall.headers["retry-after"]) > 60
    assert re.fullmatch(r"Слишком много попыток: неверные пароли для этой учётной записи\. "
                        r"Повторите через \d+ минут[аы]?\.", wall.json()["title"]), wall.json()["title"]
    english = client.post("/api/v1/sign-in", json={"login": PHONE, "password": PASSWORD},
                          headers={"Accept-Language": "en"}).json()["title"]
    assert re.fullmatch(r"Too many wrong passwords for this account\. Try again in \d+ minutes?\.", english)


def test_a_never_confirmed_address_goes_without_a_code(client, kb, sms, mail, ivan):
    typo = ivan.post("/api/v1/contacts", {"kind": "email", "value": "ivan.ivanov@yandx.ru"}).json()["contact"]
    ivan.deliver()

    def codes() -> int:
        return sum("Код подтверждения" in m["text"] for m in sms.to(PHONE))

    sent = codes()
    gone = ivan.delete(f"/api/v1/contacts/{typo['id']}")
    assert gone.status_code == 200 and gone.json() == {"removed": typo["id"]}
    ivan.deliver()
    assert codes() == sent  # no code spent from the hourly budget
    assert "ivan.ivanov@yandx.ru" not in contacts(ivan)


def test_every_event_has_a_label_in_both_languages_and_the_history_page_uses_them(client, kb, sms, mail):
    from kabinet.web.history_labels import ACTORS, DETAILS, EVENTS

    russian = translations("ru")
    assert set(EVENTS) == {str(t) for t in EventType}
    for label in [*EVENTS.values(), *ACTORS.values(), *DETAILS.values()]:
        assert not re.fullmatch(r"[a-z_]+:[a-z_:]+|[a-z]+\+[a-z]+", label) and russian.gettext(label) != label, label
    ivan = demo_citizen(client, kb, sms, mail)
    ru = page(client, ivan, "/history")
    en = page(client, ivan, "/history?lang=en")
    for raw in ("sign_in:completed", "session:step_up", "password+sms", ">sms<", ">citizen<", ">demo<"):
        assert raw not in ru and raw not in en, raw
    assert "Вход выполнен" in ru and "Signed in" in en
    assert "пароль и код из СМС" in ru and "password and SMS code" in en


def test_an_error_page_says_what_happened(client, kb, sms, mail):
    missing = client.get("/no/such/page")
    assert missing.status_code == 404
    assert "не сохранились" not in missing.text and "Страница не найдена" in missing.text
    h1 = re.search(r"<h1>(.*?)</h1>", missing.text, re.S).group(1)
    assert len(h1.split()) <= 4  # a heading, not a sentence
    assert client.get("/favicon.ico").status_code == 200


def test_letters_name_the_holder_without_a_double_stop_and_a_removed_address_learns_only_initials(client, kb, sms,
                                                                                                    mail):
    from tests.integration.helpers import add_verified_email

    ivan = demo_citizen(client, kb, sms, mail)
    add_verified_email(ivan, "ivan.ivanov@yandex.ru")
    letter = mail.to("ivan.ivanov@yandex.ru")[0].text
    assert "(владелец: Иванов И. И.)" in letter and ".." not in letter
    mail_ru = contacts(ivan)[EMAIL]["id"]
    ivan.post(f"/api/v1/contacts/{contacts(ivan)['ivan.ivanov@yandex.ru']['id']}/primary")
    asked = ivan.delete(f"/api/v1/contacts/{mail_ru}").json()["challenge"]
    assert ivan.confirm(asked, ivan.code_for(PHONE)).status_code == 200
    ivan.deliver()
    removed = next(m for m in mail.to(EMAIL) if "отвязали" in m.text).text
    assert "И*** И. И." in removed and "Иванов" not in removed and ".." not in removed


def test_the_seeds_path_settings_then_contact_data(client, kb, sms, mail, ivan):
    html = page(client, ivan, "/settings/contacts")
    nav = re.search(r'<nav aria-label="Разделы" class="nav">(.*?)</nav>', html, re.S).group(1)
    assert ">Настройки<" in nav and "Контактные данные" not in nav
    sub = re.search(r'<nav aria-label="Настройки" class="subnav">(.*?)</nav>', html, re.S).group(1)
    assert "Настройки →" in sub and 'aria-current="page">Контактные данные<' in sub.replace("\n", "")
    assert 'aria-current="page">Безопасность<' in page(client, ivan, "/security").replace("\n", "")


def test_the_dev_mailbox_shows_a_letter_with_its_own_styles(settings, clock, sms, mail):
    from fastapi.testclient import TestClient

    from kabinet import bootstrap
    from kabinet.web.app import create_app

    kb = bootstrap.build(settings.model_copy(update={"dev": True, "smtp_url": "dev"}), clock=clock)
    with TestClient(create_app(kb), base_url="http://testserver") as client:
        ivan = demo_citizen(client, kb, sms, mail)
        assert ivan.post("/api/v1/notifications/test").status_code == 202
        ivan.deliver()
        box = client.get("/dev/mail").text
        src = re.search(r'<iframe class="letter-html" sandbox src="(/dev/mail/\d+\.html)"', box).group(1)
        letter = client.get(src)
        assert letter.status_code == 200 and 'style="' in letter.text
        policy = letter.headers["content-security-policy"]
        assert "style-src 'unsafe-inline'" in policy and "frame-ancestors 'self'" in policy and "sandbox" in policy
        assert "script-src" not in policy and letter.headers["x-frame-options"] == "SAMEORIGIN"
        assert client.get("/dev/mail/999999.html").status_code == 404
    kb.store.dispose()


def test_the_language_is_a_setting_of_the_account_used_for_every_message(client, kb, sms, mail, ivan):
    html = page(client, ivan, "/settings/contacts?lang=en")  # the switch, signed in
    assert ivan.get("/api/v1/me").json()["locale"] == "en"
    added = client.post("/settings/contacts/add", data={"kind": "email", "email": "ivan.ivanov@yandex.ru",
                                                        "csrf_token": csrf(html)}, headers={"Accept-Language": "ru"},
                        follow_redirects=False)
    assert added.status_code == 303
    ivan.deliver()
    assert mail.to("ivan.ivanov@yandex.ru")[-1].subject == "Confirm your email address"  # a letter, in English
    asked = ivan.client.post("/api/v1/step-up", headers={**ivan.auth, "Accept-Language": "ru"})
    assert asked.status_code == 202, asked.text
    ivan.deliver()
    assert "confirmation code" in sms.to(PHONE)[-1]["text"]  # a code, in English too, from a Russian browser
    assert ">Yandex<" in page(client, ivan, "/settings/contacts").replace("</span>", "<")
    back = ivan.client.patch("/api/v1/me", json={"locale": "ru"}, headers=ivan.auth)
    assert back.status_code == 200 and back.json()["locale"] == "ru"
    types = [e["type"] for e in ivan.get("/api/v1/history").json()["events"]]
    assert types.count("account:language") == 2


def test_unicode_domains_are_shown_in_unicode_and_a_non_latin_name_is_refused_in_words(client, kb, sms, mail, ivan):
    added = ivan.post("/api/v1/contacts", {"kind": "email", "value": "ivan@почта.рф"})
    assert added.status_code == 201 and added.json()["contact"]["provider"] == "почта.рф"
    refused = ivan.post("/api/v1/contacts", {"kind": "email", "value": "иван@почта.рф"})
    assert refused.status_code == 422 and refused.json()["code"] == "email.local_not_ascii"
    assert "латиницей" in refused.json()["errors"][0]["message"]


def test_the_checklist_says_what_fits_and_leads_to_the_right_place(client, kb, sms, mail, ivan):
    phone, email = contacts(ivan)["+7 900 123-45-67"]["id"], contacts(ivan)[EMAIL]["id"]
    checks = {c["id"]: c for c in ivan.get(f"/api/v1/contacts/{phone}/checklist").json()["checks"]}
    assert checks["not_primary"]["message"] == "Это основной контакт, но другого такого, чтобы его заменить, нет"
    ivan.client.patch(f"/api/v1/contacts/{email}", json={"sign_in": False}, headers=ivan.auth)
    checks = {c["id"]: c for c in ivan.get(f"/api/v1/contacts/{phone}/checklist").json()["checks"]}
    assert checks["other_sign_in"]["ok"] is False and checks["other_sign_in"]["fix"] == "sign_in_settings"
    assert "включите вход для другого подтверждённого контакта" in checks["other_sign_in"]["message"]
    html = page(client, ivan, f"/settings/contacts/{phone}/remove")
    assert 'href="/security#recovery">Настройки входа<' in html


def test_resend_waits_are_shown_beside_the_address(client, kb, sms, mail, clock, ivan):
    ivan.post("/api/v1/contacts", {"kind": "email", "value": "ivan.new@example.org"})
    html = page(client, ivan, "/settings/contacts")
    item = re.search(r'<li class="card contact" data-value="ivan.new@example.org">.*?</li>', html, re.S).group(0)
    assert re.search(r"<button[^>]*disabled>Отправить ещё раз</button>", item)
    assert "Отправить ещё раз можно в" in item and "data-resend-at=" in item
    clock.advance(seconds=61)
    item = re.search(r'<li class="card contact" data-value="ivan.new@example.org">.*?</li>',
                     page(client, ivan, "/settings/contacts"), re.S).group(0)
    assert re.search(r"<button[^>]*>Отправить ещё раз</button>", item) and "disabled" not in item


def test_sessions_show_a_place_from_an_offline_geoip_database(client, kb, sms, mail):
    from sqlalchemy import update

    from kabinet.store.models import Session as UserSession

    ivan = demo_citizen(client, kb, sms, mail)
    with kb.store.write() as db:
        db.execute(update(UserSession).values(ip="77.88.55.88"))  # as if signed in from a Russian address
    listed = ivan.get("/api/v1/sessions").json()["sessions"]
    assert listed[0]["country"] == "RU"
    assert "Россия" in page(client, ivan, "/security") and "Russia" in page(client, ivan, "/security?lang=en")
    with kb.store.write() as db:
        db.execute(update(UserSession).values(ip="10.1.2.3"))
    assert ivan.get("/api/v1/sessions").json()["sessions"][0]["country"] is None  # private: unknown
    assert "место неизвестно" in page(client, ivan, "/security?lang=ru")


def test_an_invalid_link_page_offers_a_new_letter(client):
    client.cookies.set("kabinet_csrf", "x")
    answer = client.post("/verify-email", data={"token": "not-a-token", "csrf_token": "x"})
    assert answer.status_code == 400
    assert 'href="/settings/contacts">Запросить новое письмо<' in answer.text
