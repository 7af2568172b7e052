"""Issue 26, the newcomer's second walk, over HTTP: what a page shows and where it leads, each check failing before
its fix. (What needs a browser — Back, CSP, widths — is in tests/e2e.)"""

from __future__ import annotations

import re

from tests.integration.helpers import demo_citizen


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_backup_codes_are_not_replaced_by_a_second_press_or_a_reload(client, kb, sms, mail):
    demo_citizen(client, kb, sms, mail)
    made = client.post("/security/backup-codes", data={"csrf_token": csrf(client.get("/security").text)},
                       follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"] == "/security/backup-codes/new"
    shown = client.get("/security/backup-codes/new")
    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", shown.text)
    assert len(codes) == 10
    assert re.findall(r"<code>([a-z0-9-]{11})</code>", client.get("/security/backup-codes/new").text) == codes
    asked = client.post("/security/backup-codes", data={"csrf_token": csrf(shown.text)})
    assert "Заменить резервные коды?" in asked.text and "<strong>10</strong>" in asked.text
    assert "Осталось неиспользованных кодов: <strong>10</strong>" in client.get("/security").text
    replaced = client.post("/security/backup-codes", data={"csrf_token": csrf(asked.text), "replace": "1"})
    fresh = re.findall(r"<code>([a-z0-9-]{11})</code>", replaced.text)
    assert len(fresh) == 10 and not set(fresh) & set(codes)
    written = client.post("/security/backup-codes/written", data={"csrf_token": csrf(replaced.text)},
                          follow_redirects=False)
    assert written.status_code == 303
    assert client.get("/security/backup-codes/new", follow_redirects=False).status_code == 303  # gone from here


def test_the_trusted_person_page_says_how_to_become_one_and_words_the_wait_right(client, kb, sms, mail):
    from tests.integration.test_trusted import PETROV, make_trusted, person

    ivan = demo_citizen(client, kb, sms, mail)
    client.cookies.clear()
    sidorov = person(client, kb, sms, mail, "+79165556677", "Сидоров Сидор Сидорович", level="standard")
    assert ivan.post("/api/v1/trusted/invitations", {"phone": "+79165556677"}).status_code == 201
    page = client.get("/trusted", headers={"Authorization": f"Bearer {sidorov.token}"})
    assert "Чтобы принять приглашение, ваша учётная запись должна быть подтверждена" in page.text
    assert "МФЦ" in page.text
    link_id = sidorov.get("/api/v1/trusted").json()["invitations"][0]["id"]
    refused = sidorov.post(f"/api/v1/trusted/invitations/{link_id}/accept")
    assert refused.json()["code"] == "trusted.not_confirmed" and "МФЦ" in refused.json()["title"]
    mine = client.get("/trusted?done=invited", headers={"Authorization": f"Bearer {ivan.token}"})
    assert mine.text.count("Приглашение отправлено") == 1, "the done banner shows twice"
    assert "может принять приглашение, только если его учётная запись подтверждена" in mine.text  # the inviter

    assert ivan.delete(f"/api/v1/trusted/invitations/{mine_link(ivan)}").status_code == 204
    petrov = person(client, kb, sms, mail, PETROV, "Петров Пётр Петрович")
    make_trusted(ivan, petrov, PETROV)
    assert ivan.post("/api/v1/password", {"current": "demo-password-1", "new": "a fresh long secret 7"}
                     ).status_code == 202
    waiting = client.get("/trusted", headers={"Authorization": f"Bearer {ivan.token}"}).text
    assert "ожидается ответ вашего доверенного лица (Петров П. П.)" in waiting
    assert "ждёт ответа от Петров" not in waiting


def mine_link(ivan) -> str:
    return next(link["id"] for link in ivan.get("/api/v1/trusted").json()["links"] if link["phase"] == "invited")


def test_a_password_change_is_told_as_a_change_of_protection_not_of_contact_data(client, kb, sms, mail):
    from kabinet.demo import EMAIL

    ivan = demo_citizen(client, kb, sms, mail)
    assert ivan.post("/api/v1/password", {"current": "demo-password-1", "new": "a fresh long secret 7"}
                     ).status_code == 204
    ivan.deliver()
    letter = mail.to(EMAIL)[-1]
    assert letter.subject == "Изменена защита учётной записи" and "пароль" in letter.text


def test_a_held_recovery_says_why_can_be_stopped_and_is_found_again(client, kb, sms, mail, clock):
    """A second recovery contact added an hour ago cannot prove anything yet: the page says so; the recovery can be
    stopped from its page; the notices say how to come back, and coming back with the same contact finds it."""
    from tests.driver import Citizen
    from tests.integration.helpers import add_verified_email

    c = Citizen(client, kb, sms, mail)
    assert c.register("+79165551234", "registered secret 1").status_code == 201
    clock.advance(days=2)  # the phone is no longer new; the address added now is
    c.token = None
    client.cookies.clear()
    assert c.sign_in("+79165551234", "registered secret 1", "+79165551234").status_code == 200
    add_verified_email(c, "new@example.ru")  # a recovery contact, but too new to prove anything
    client.cookies.clear()
    someone = Citizen(client, kb, sms, mail)
    started = someone.post("/api/v1/recovery", {"login": "+79165551234"}).json()
    held = someone.confirm(started["challenge"], someone.code_for("+79165551234")).json()
    assert held["next"] == "wait"
    page = client.get(f"/recover/{held['recovery_id']}")
    assert "добавлен меньше суток назад" in page.text and "Остановить восстановление" in page.text
    assert "Вернуться ко входу" in page.text
    c.deliver()
    letter = mail.to("new@example.ru")[-1]
    assert f"{kb.settings.base_url}/recover" in letter.text and "тот же контакт" in letter.text
    again = someone.post("/api/v1/recovery", {"login": "+79165551234"}).json()
    back = someone.confirm(again["challenge"], someone.code_for("+79165551234")).json()
    assert back["recovery_id"] == held["recovery_id"]  # the same hold, found again
    stop = client.post(f"/recover/{held['recovery_id']}/cancel", data={"csrf_token": csrf(page.text)},
                       follow_redirects=False)
    assert stop.status_code == 303 and stop.headers["location"] == "/sign-in?done=recovery_stopped"
    assert someone.post(f"/api/v1/recovery/{held['recovery_id']}/password",
                        {"password": "a fresh long secret 7"}).status_code == 404


def test_messages_follow_the_language_the_citizen_sees_however_it_was_chosen(client, kb, sms, mail):
    """The browser asks for English (Accept-Language), no language link clicked: the sign-in code, the notices
    and the letter to a removed address are English; a client that says nothing about language changes nothing."""
    from kabinet.demo import EMAIL, PHONE, seed
    from tests.driver import Citizen
    from tests.integration.helpers import PASSWORD, add_verified_email

    seed(kb, PASSWORD)
    english = {"Accept-Language": "en-GB,en;q=0.9"}
    started = client.post("/api/v1/sign-in", json={"login": PHONE, "password": PASSWORD}, headers=english)
    ivan = Citizen(client, kb, sms, mail)
    ivan.deliver()
    assert "confirmation code" in sms.to(PHONE)[-1]["text"], "the sign-in code is in Russian"
    assert ivan.confirm(started.json()["challenge"], ivan.code_for(PHONE)).status_code == 200
    assert ivan.get("/api/v1/me").json()["locale"] == "en"  # no Accept-Language: nothing changes
    client.headers.update(english)
    added = add_verified_email(ivan, "ivan@yandex.ru")
    removal = ivan.delete(f"/api/v1/contacts/{added}").json()["challenge"]
    assert ivan.confirm(removal, ivan.code_for(PHONE)).status_code == 200
    ivan.deliver()
    assert mail.to("ivan@yandex.ru")[-1].subject.isascii(), "the letter to the removed address is in Russian"
    assert mail.to(EMAIL)[-1].subject == "Your contact data changed"
    client.headers["Accept-Language"] = "ru-RU,ru;q=0.9"
    assert ivan.get("/api/v1/me").json()["locale"] == "ru"  # the owner reads Russian again: so do the messages
    types = [e["type"] for e in ivan.get("/api/v1/history").json()["events"]]
    assert types.count("account:language") == 2
    del client.headers["Accept-Language"]


def test_deleting_a_never_confirmed_contact_on_the_page_is_not_a_500(client, kb, sms, mail, ivan):
    """Issue 27.1: a contact never confirmed goes at once (no code); the page used to read the code's id on what
    came back and answer 500 after the change was committed."""
    added = ivan.post("/api/v1/contacts", {"kind": "email", "value": "typo@yandex.ru"}).json()["contact"]
    form = client.get(f"/settings/contacts/{added['id']}/remove")
    gone = client.post(f"/settings/contacts/{added['id']}/remove", data={"csrf_token": csrf(form.text)},
                       follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == "/settings/contacts?done=removed_unconfirmed"
    assert "Неподтверждённый контакт удалён" in client.get(gone.headers["location"]).text
    assert "typo@yandex.ru" not in [c["value"] for c in ivan.get("/api/v1/contacts").json()["contacts"]]


def test_security_shows_words_not_raw_values(client, kb, sms, mail):
    """Issue 26.8: sessions told apart (browser version, when and how signed in), times with their zone, the
    birth date in words."""
    chrome = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.85 "
              "Safari/537.36")
    client.headers["User-Agent"] = chrome
    demo_citizen(client, kb, sms, mail)
    page = client.get("/security").text
    assert "Chrome 131 · Linux" in page
    assert "пароль и код из SMS" in page
    assert re.search(r"\d{2}:\d{2} МСК", page), "times without a zone"
    assert re.search(r"12 апреля 1985\s+г\.", page) and "1985-04-12" not in page
    del client.headers["User-Agent"]


def test_devices_are_told_apart_by_browser_version():
    from kabinet.domain.devices import describe_device

    assert describe_device("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                           "Chrome/120.0.0.0 Safari/537.36") == "Chrome 120 · Windows"
    assert describe_device("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
                           "like Gecko) Version/17.1 Mobile/15E148 Safari/604.1") == "Safari 17 · iOS"
    assert describe_device("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0") == \
        "Firefox 128 · Linux"
    assert describe_device(None) == "?"


def test_the_words_a_newcomer_met_are_right(client, kb, sms, mail):
    """Issue 26.9, one by one."""
    from kabinet.demo import PHONE, seed
    from tests.driver import Citizen
    from tests.integration.helpers import PASSWORD, link_token

    # an empty registration names every field, not only the phone
    empty = client.post("/api/v1/registrations", json={"phone": "", "password": "", "full_name": ""})
    assert {e["field"] for e in empty.json()["errors"]} == {"phone", "full_name", "password"}
    # a name with markup is refused for what it holds, not for its length
    script = client.post("/api/v1/registrations", json={"phone": "+79165550001", "password": "a long good secret 1",
                                                        "full_name": "<script>alert(1)</script>"}).json()
    assert "букв" in script["errors"][0]["message"] and "200" not in script["errors"][0]["message"]
    seed(kb, PASSWORD)
    ivan = Citizen(client, kb, sms, mail)
    assert ivan.sign_in(PHONE, PASSWORD, PHONE).status_code == 200
    # a 250-character address is too long, said so
    long = ivan.post("/api/v1/contacts", {"kind": "email", "value": "a" * 240 + "@yandex.ru"}).json()
    assert long["code"] == "email.too_long" and "254" in long["title"]
    # adding a waiting address again, in other capitals, says it is there already
    ivan.post("/api/v1/contacts", {"kind": "email", "value": "pending@yandex.ru"})
    ivan.deliver()  # the first letter out before the second (whose link alone then works)
    mail.clear()
    again = client.post("/settings/contacts/add", data={"kind": "email", "email": "Pending@Yandex.RU",
                                                        "csrf_token": csrf(client.get("/settings/contacts").text)},
                        follow_redirects=False)
    assert again.headers["location"] == "/settings/contacts?done=email_again"
    assert "уже добавлен и ждёт подтверждения" in client.get(again.headers["location"]).text
    # a used link of a confirmed address says it is confirmed, not "invalid, ask again"
    token = link_token(ivan, "pending@yandex.ru")
    assert ivan.post("/api/v1/contacts/verify", {"token": token}).status_code == 200
    used = client.post("/verify-email", data={"token": token, "csrf_token": csrf(client.get("/sign-in").text)})
    assert "уже подтверждён" in used.text and "Запросить новое письмо" not in used.text
    # and once confirmed, "we sent a letter" is not shown again by Back or a reload
    assert "Мы отправили письмо" not in client.get("/settings/contacts?done=email_added").text
    # the removal's code says which contact goes
    added = next(c for c in ivan.get("/api/v1/contacts").json()["contacts"] if c["value"] == "pending@yandex.ru")
    assert ivan.delete(f"/api/v1/contacts/{added['id']}").status_code == 202
    ivan.deliver()
    codes = [m["text"] for m in sms.to(PHONE) if "Код подтверждения" in m["text"]]
    assert "p***@yandex.ru" in codes[-1], codes[-1]
    # a bogus cancel link does not advise asking for a letter
    bogus = client.post("/api/v1/recovery/cancel", json={"token": "x" * 40}).json()
    assert bogus["code"] == "link.invalid" and "письмо" not in bogus["title"]


def test_an_account_without_email_is_not_told_its_notices_go_to_one(client, kb, sms, mail):
    from tests.driver import Citizen

    c = Citizen(client, kb, sms, mail)
    assert c.register("+79165557788", "registered secret 1").status_code == 201
    page = client.get("/settings/contacts").text
    assert "нет подтверждённой почты" in page and "основную почту" not in page
    assert "Прислать проверочное уведомление" not in page
    assert "Загляните в «Спам»" not in page.split("Добавить почту")[0]  # nothing about Spam under the phone
