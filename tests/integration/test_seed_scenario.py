"""The seed's walk, as one readable test (S1, S7–S9, S12, S16–S19): the demo citizen moves from an old
Mail.ru address to a new one, over HTTP, with letters through a real SMTP server."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from kabinet.demo import EMAIL, PHONE, seed
from tests.driver import Citizen
from tests.integration.helpers import PASSWORD

NEW = "ivan.ivanov@yandex.ru"


def test_unlink_mail_ru_and_move_to_a_new_address(client, kb, sms, mail):
    seed(kb, PASSWORD)
    ivan = Citizen(client, kb, sms, mail)

    # S1, S9: sign in with the phone and an SMS code
    assert ivan.sign_in("8 900 123-45-67", PASSWORD, PHONE).status_code == 200

    # S8: add the new address; a letter with a link arrives over SMTP
    added = ivan.post("/api/v1/contacts", {"kind": "email", "value": NEW})
    assert added.status_code == 201, added.text
    new_id = added.json()["contact"]["id"]
    assert added.json()["contact"]["verified"] is False and added.json()["contact"]["provider"] == "Яндекс"
    ivan.deliver()
    letter = mail.to(NEW)[-1]
    assert letter.subject == "Подтвердите адрес электронной почты"
    assert letter.message["Message-ID"] and letter.message["Auto-Submitted"] == "auto-generated"
    link = next(u for u in letter.links if "/verify-email" in u)
    assert link in letter.html  # the HTML part carries the same link

    # the link works signed out, in another browser
    client.cookies.clear()
    token = parse_qs(urlsplit(link).query)["token"][0]
    verified = client.post("/api/v1/contacts/verify", json={"token": token})
    assert verified.status_code == 200, verified.text
    assert verified.json()["contact"]["verified"] is True and verified.json()["account"] == "Иванов И. И."

    # make it primary: notices go to the new primary at once
    assert ivan.post(f"/api/v1/contacts/{new_id}/primary").status_code == 200
    contacts = {c["value"]: c for c in ivan.get("/api/v1/contacts").json()["contacts"]}
    assert contacts[NEW]["primary"] and not contacts[EMAIL]["primary"]

    # S2, S4: the checklist says the Mail.ru address can go
    old_id = contacts[EMAIL]["id"]
    assert contacts[EMAIL]["provider"] == "Mail.ru"
    checklist = ivan.get(f"/api/v1/contacts/{old_id}/checklist").json()
    assert checklist["can_remove"] is True
    assert [c["id"] for c in checklist["checks"]] == ["other_sign_in", "other_recovery", "not_primary",
                                                      "second_factor", "export"]

    # S7: delete it, confirmed by an SMS code to the phone
    mail.clear()
    started = ivan.delete(f"/api/v1/contacts/{old_id}")
    assert started.status_code == 202
    challenge = started.json()["challenge"]
    assert challenge["channel"] == "sms" and challenge["destination"] == "+7 900 ***-**-67"
    removed = ivan.confirm(challenge, ivan.code_for(PHONE))
    assert removed.status_code == 200 and removed.json() == {"removed": old_id}

    # S18: the next read shows it at once
    values = [c["value"] for c in ivan.get("/api/v1/contacts").json()["contacts"]]
    assert values == ["+7 900 123-45-67", NEW]

    # rule 5: the removed address was told, and so was the new primary and the phone
    ivan.deliver()
    notice = mail.to(EMAIL)[-1]
    assert notice.subject == "Адрес отвязан от учётной записи" and "/not-me?token=" in notice.text
    assert mail.to(NEW)[-1].subject == "Контактные данные изменены"
    assert "удалён i***@mail.ru" in sms.to(PHONE)[-1]["text"]

    # S16: the level did not change
    assert ivan.get("/api/v1/me").json()["level"] == "confirmed"

    # S19: history shows every step
    types = [e["type"] for e in ivan.get("/api/v1/history").json()["events"]]
    for expected in ("sign_in:completed", "contact:email:added", "contact:verified", "contact:primary",
                     "contact:removal_requested", "contact:removed"):
        assert expected in types

    # S12: a test notification reaches the new address
    assert ivan.post("/api/v1/notifications/test").status_code == 202
    ivan.deliver()
    assert mail.to(NEW)[-1].subject == "Проверка уведомлений"

    # the removed address can no longer sign in
    client.cookies.clear()
    again = client.post("/api/v1/sign-in", json={"login": EMAIL, "password": PASSWORD})
    assert again.status_code == 401
