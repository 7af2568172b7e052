"""A trusted person and cooling-off periods (issue 15), over HTTP with codes from the real SMS gateway and letters
from the real SMTP server: a thief holding one channel cannot change the password or recover the account before
the citizen or the trusted person can stop it."""

from __future__ import annotations

import re
import uuid
from datetime import date
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from kabinet.demo import EMAIL, PHONE
from kabinet.store.models import Account, Event
from tests.driver import Citizen
from tests.integration.helpers import PASSWORD, add_verified_email, contacts, demo_citizen

NEW_PASSWORD = "a fresh long secret 7"
PETROV = "+79161112233"
SIDOROV = "+79162223344"


def person(client, kb, sms, mail, phone: str, name: str, *, birth: date | None = date(1980, 1, 1),
           level: str = "confirmed") -> Citizen:
    """Another citizen, registered over HTTP; level and birth date set as a service centre would have."""
    c = Citizen(client, kb, sms, mail)
    assert c.register(phone, "registered secret 1", full_name=name).status_code == 201
    client.cookies.clear()
    account_id = c.get("/api/v1/me").json()["id"]
    with kb.store.write() as db:
        account = db.scalars(select(Account).where(Account.id == uuid.UUID(account_id))).one()
        account.level, account.birth_date = level, birth
    return c


def sign_in_again(c: Citizen, login: str, password: str, phone: str) -> None:
    c.token = None
    c.client.cookies.clear()
    assert c.sign_in(login, password, phone).status_code == 200
    c.client.cookies.clear()


def make_trusted(ivan: Citizen, trustee: Citizen, phone: str) -> dict:
    invited = ivan.post("/api/v1/trusted/invitations", {"phone": phone})
    assert invited.status_code == 201, invited.text
    assert invited.json()["link"]["phase"] == "invited"
    seen = trustee.get("/api/v1/trusted").json()
    assert [i["citizen"] for i in seen["invitations"]] == ["Иванов И. И."]
    accepted = trustee.post(f"/api/v1/trusted/invitations/{seen['invitations'][0]['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    return accepted.json()["link"]


def approve(trustee: Citizen, phone: str) -> dict:
    requests = trustee.get("/api/v1/trusted").json()["requests"]
    assert len(requests) == 1, requests
    started = trustee.post(f"/api/v1/trusted/requests/{requests[0]['id']}/approve")
    assert started.status_code == 202, started.text
    done = trustee.confirm(started.json()["challenge"], trustee.code_for(phone))
    assert done.status_code == 200, done.text
    return done.json()


def history_types(c: Citizen) -> list[str]:
    return [e["type"] for e in c.get("/api/v1/history").json()["events"]]


def test_a_password_change_completes_only_after_the_trusted_persons_approval(client, kb, sms, mail, ivan):
    client.cookies.clear()
    petrov = person(client, kb, sms, mail, PETROV, "Петров Пётр Петрович")
    link = make_trusted(ivan, petrov, PETROV)
    ivan.deliver()
    assert any("Иванов И. И." in m["text"] and "доверенным лицом" in m["text"] for m in sms.to(PETROV))
    assert link["phase"] == "in_force"  # the first trusted person counts at once: protection only grows
    asked = ivan.post("/api/v1/password", {"current": PASSWORD, "new": NEW_PASSWORD})
    assert asked.status_code == 202 and asked.json()["approval"]["state"] == "waiting"
    assert asked.json()["approval"]["trustee"] == "Петров П. П."
    probe = Citizen(client, kb, sms, mail)
    assert probe.post("/api/v1/sign-in", {"login": PHONE, "password": NEW_PASSWORD}).status_code == 401
    ivan.deliver()
    assert any("Иванов И. И." in m["text"] and "смену пароля" in m["text"] for m in sms.to(PETROV))
    decided = approve(petrov, PETROV)
    assert decided["state"] == "approved" and decided["action"] == "password"
    assert probe.post("/api/v1/sign-in", {"login": PHONE, "password": PASSWORD}).status_code == 401
    assert probe.post("/api/v1/sign-in", {"login": PHONE, "password": NEW_PASSWORD}).status_code == 202
    assert ivan.get("/api/v1/me").status_code == 200  # the session that asked is kept
    types = history_types(ivan)
    assert {"trusted:accepted", "trusted:approval_asked", "password:changed"} <= set(types)
    assert {"trusted:accepted", "trusted:approved"} <= set(history_types(petrov))


def test_a_refusal_stops_the_password_change_and_the_citizen_hears_of_it(client, kb, sms, mail, ivan):
    client.cookies.clear()
    petrov = person(client, kb, sms, mail, PETROV, "Петров Пётр Петрович")
    make_trusted(ivan, petrov, PETROV)
    assert ivan.post("/api/v1/password", {"current": PASSWORD, "new": NEW_PASSWORD}).status_code == 202
    request = petrov.get("/api/v1/trusted").json()["requests"][0]
    refused = petrov.post(f"/api/v1/trusted/requests/{request['id']}/refuse")
    assert refused.status_code == 200 and refused.json()["approval"]["state"] == "refused"
    again = petrov.post(f"/api/v1/trusted/requests/{request['id']}/approve")
    assert again.status_code == 404 and again.json()["code"] == "approval.not_found"  # decided once
    probe = Citizen(client, kb, sms, mail)
    assert probe.post("/api/v1/sign-in", {"login": PHONE, "password": NEW_PASSWORD}).status_code == 401
    assert probe.post("/api/v1/sign-in", {"login": PHONE, "password": PASSWORD}).status_code == 202
    ivan.deliver()
    assert any("отказалось" in m.text for m in mail.to(EMAIL))  # letters of one drain arrive in any order
    assert "trusted:refused" in history_types(ivan)
    assert ivan.get("/api/v1/trusted").json()["asked"] == []


def test_the_citizen_cancels_a_waiting_request(client, kb, sms, mail, ivan):
    client.cookies.clear()
    petrov = person(client, kb, sms, mail, PETROV, "Петров Пётр Петрович")
    make_trusted(ivan, petrov, PETROV)
    approval = ivan.post("/api/v1/password", {"current": PASSWORD, "new": NEW_PASSWORD}).json()["approval"]
    assert ivan.get("/api/v1/trusted").json()["asked"][0]["id"] == approval["id"]
    assert ivan.post(f"/api/v1/trusted/asked/{approval['id']}/cancel").json()["approval"]["state"] == "cancelled"
    assert petrov.get("/api/v1/trusted").json()["requests"] == []
    assert petrov.post(f"/api/v1/trusted/requests/{approval['id']}/approve").status_code == 404


def one_channel_citizen(client, kb, sms, mail) -> Citizen:
    """A phone that recovers, and a verified address that only hears notices (recovery switched off)."""
    c = Citizen(client, kb, sms, mail)
    assert c.register("+79165551234", "registered secret 1").status_code == 201
    client.cookies.clear()
    email_id = add_verified_email(c, "petr@example.ru")
    assert c.client.patch(f"/api/v1/contacts/{email_id}", json={"recovery": False, "sign_in": True},
                          headers=c.auth).status_code == 200
    return c


def cancel_link(c: Citizen, address: str) -> str:
    c.deliver()
    letter = c.mail.to(address)[-1]
    link = next(u for u in letter.links if "/recover/cancel" in u)
    return parse_qs(urlsplit(link).query)["token"][0]


def test_a_recovery_with_one_stolen_channel_cancelled_from_another_never_completes(client, kb, sms, mail, clock):
    citizen = one_channel_citizen(client, kb, sms, mail)
    thief = Citizen(client, kb, sms, mail)  # holds the phone, nothing else
    started = thief.post("/api/v1/recovery", {"login": "+79165551234"}).json()
    held = thief.confirm(started["challenge"], thief.code_for("+79165551234"))
    assert held.status_code == 200 and held.json()["next"] == "wait" and held.json()["ready_at"]
    early = thief.post(f"/api/v1/recovery/{started['recovery_id']}/password", {"password": NEW_PASSWORD})
    assert early.status_code == 409 and early.json()["code"] == "recovery.waiting"
    token = cancel_link(citizen, "petr@example.ru")  # the mailbox the thief does not hold
    assert any("/recover/cancel" in m["text"] for m in sms.to("+79165551234"))  # the phone is told too
    assert client.post("/api/v1/recovery/cancel", json={"token": token}).status_code == 200
    assert client.post("/api/v1/recovery/cancel", json={"token": token}).json()["code"] == "link.invalid"
    clock.advance(hours=25)
    late = thief.post(f"/api/v1/recovery/{started['recovery_id']}/password", {"password": NEW_PASSWORD})
    assert late.status_code == 404
    sign_in_again(citizen, "+79165551234", "registered secret 1", "+79165551234")  # the old password still works
    assert "recovery:cancelled" in history_types(citizen)


def test_the_wait_cannot_be_skipped_by_retrying_or_by_a_second_recovery(client, kb, sms, mail, clock):
    """Asking again with the same contact goes back to the recovery already waiting (issue 26: one hold per proof,
    its time kept, no new alarm to every channel); nothing makes it finish sooner."""
    one_channel_citizen(client, kb, sms, mail)
    thief = Citizen(client, kb, sms, mail)
    answers = []
    for _ in range(2):
        started = thief.post("/api/v1/recovery", {"login": "+79165551234"}).json()
        answers.append(thief.confirm(started["challenge"], thief.code_for("+79165551234")).json())
        clock.advance(hours=2)
    assert [a["next"] for a in answers] == ["wait", "wait"]
    first = answers[0]["recovery_id"]
    assert answers[1]["recovery_id"] == first and answers[1]["ready_at"] == answers[0]["ready_at"]
    thief.deliver()
    assert sum("/recover/cancel" in m["text"] for m in sms.to("+79165551234")) == 1, "told again for the same hold"
    for _ in range(3):  # asking again and again changes nothing
        answer = thief.post(f"/api/v1/recovery/{first}/password", {"password": NEW_PASSWORD})
        assert answer.status_code == 409 and answer.json()["code"] == "recovery.waiting"
    clock.advance(hours=19)  # 23 h after the first
    assert thief.post(f"/api/v1/recovery/{first}/password", {"password": NEW_PASSWORD}).status_code == 409
    clock.advance(hours=1)
    assert thief.post(f"/api/v1/recovery/{first}/password", {"password": NEW_PASSWORD}).status_code == 204


def test_a_recovery_with_two_proofs_still_needs_the_trusted_person(client, kb, sms, mail, ivan):
    client.cookies.clear()
    petrov = person(client, kb, sms, mail, PETROV, "Петров Пётр Петрович")
    make_trusted(ivan, petrov, PETROV)
    stranger = Citizen(client, kb, sms, mail)
    started = stranger.post("/api/v1/recovery", {"login": PHONE}).json()
    first = stranger.confirm(started["challenge"], stranger.code_for(PHONE)).json()
    stranger.deliver()
    code = next(m.group(1) for letter in reversed(mail.to(EMAIL))
                if (m := re.search(r"Код подтверждения: (\d{6})", letter.text)))
    second = stranger.confirm(first["challenge"], code).json()
    assert second["next"] == "wait" and second["approval"] == "waiting" and second["ready_at"] is None
    rid = started["recovery_id"]
    assert stranger.post(f"/api/v1/recovery/{rid}/password", {"password": NEW_PASSWORD}).status_code == 409
    overview = ivan.get("/api/v1/trusted").json()
    assert [r["id"] for r in overview["held_recoveries"]] == [rid]  # the cabinet shows what waits
    assert approve(petrov, PETROV)["action"] == "recovery"
    assert stranger.get(f"/api/v1/recovery/{rid}").json()["next"] == "password"
    assert stranger.post(f"/api/v1/recovery/{rid}/password", {"password": NEW_PASSWORD}).status_code == 204


def test_a_refused_recovery_never_completes(client, kb, sms, mail, ivan):
    client.cookies.clear()
    petrov = person(client, kb, sms, mail, PETROV, "Петров Пётр Петрович")
    make_trusted(ivan, petrov, PETROV)
    backup = ivan.post("/api/v1/backup-codes").json()["codes"]
    thief = Citizen(client, kb, sms, mail)
    started = thief.post("/api/v1/recovery", {"login": PHONE}).json()
    thief.confirm(started["challenge"], thief.code_for(PHONE))
    proof = thief.post(f"/api/v1/recovery/{started['recovery_id']}/proof", {"kind": "backup_code", "code": backup[0]})
    assert proof.json()["next"] == "wait"
    request = petrov.get("/api/v1/trusted").json()["requests"][0]
    assert request["action"] == "recovery"
    assert petrov.post(f"/api/v1/trusted/requests/{request['id']}/refuse").status_code == 200
    done = thief.post(f"/api/v1/recovery/{started['recovery_id']}/password", {"password": NEW_PASSWORD})
    assert done.status_code == 404


def test_replacing_the_trusted_person_takes_effect_only_after_the_wait(client, kb, sms, mail, clock, ivan):
    client.cookies.clear()
    petrov = person(client, kb, sms, mail, PETROV, "Петров Пётр Петрович")
    sidorov = person(client, kb, sms, mail, SIDOROV, "Сидоров Сидор Сидорович")
    make_trusted(ivan, petrov, PETROV)
    coming = make_trusted(ivan, sidorov, SIDOROV)
    assert coming["phase"] == "coming" and coming["effective_at"]
    phases = {link["trustee"]: link["phase"] for link in ivan.get("/api/v1/trusted").json()["links"]}
    assert phases == {"Петров П. П.": "ending", "Сидоров С. С.": "coming"}
    assert ivan.post("/api/v1/password", {"current": PASSWORD, "new": NEW_PASSWORD}).json()["approval"]["trustee"] \
        == "Петров П. П."  # the old one still decides
    ivan.deliver()
    assert any("станет вашим доверенным лицом" in m.text for m in mail.to(EMAIL))  # every channel told
    clock.advance(hours=24, seconds=1)
    sign_in_again(ivan, PHONE, PASSWORD, PHONE)
    assert ivan.post("/api/v1/password", {"current": PASSWORD, "new": NEW_PASSWORD}).json()["approval"]["trustee"] \
        == "Сидоров С. С."
    sign_in_again(petrov, PETROV, "registered secret 1", PETROV)
    assert petrov.get("/api/v1/trusted").json()["requests"] == []  # the earlier request was replaced


def test_removing_the_trusted_person_takes_effect_only_after_the_wait_and_can_be_undone(client, kb, sms, mail,
                                                                                        clock, ivan):
    client.cookies.clear()
    petrov = person(client, kb, sms, mail, PETROV, "Петров Пётр Петрович")
    link = make_trusted(ivan, petrov, PETROV)
    ending = ivan.delete(f"/api/v1/trusted/links/{link['id']}")
    assert ending.status_code == 200 and ending.json()["link"]["phase"] == "ending"
    ivan.deliver()
    assert any("убирает вас" in m["text"] for m in sms.to(PETROV))
    assert ivan.post("/api/v1/password", {"current": PASSWORD, "new": NEW_PASSWORD}).status_code == 202
    kept = ivan.post(f"/api/v1/trusted/links/{link['id']}/keep")
    assert kept.json()["link"]["phase"] == "in_force"
    ivan.delete(f"/api/v1/trusted/links/{link['id']}")
    clock.advance(hours=24, seconds=1)
    sign_in_again(ivan, PHONE, PASSWORD, PHONE)
    assert ivan.post("/api/v1/password", {"current": PASSWORD, "new": NEW_PASSWORD}).status_code == 204
    sign_in_again(petrov, PETROV, "registered secret 1", PETROV)
    assert petrov.get("/api/v1/trusted").json()["trusted_by"] == []


def test_the_trusted_person_sees_nothing_of_the_citizens_account(client, kb, sms, mail, ivan):
    client.cookies.clear()
    petrov = person(client, kb, sms, mail, PETROV, "Петров Пётр Петрович")
    make_trusted(ivan, petrov, PETROV)
    ivan.post("/api/v1/password", {"current": PASSWORD, "new": NEW_PASSWORD})
    ivan_contacts = contacts(ivan)
    ivan_sessions = [s["id"] for s in ivan.get("/api/v1/sessions").json()["sessions"]]
    seen = " ".join(petrov.get(path).text for path in ("/api/v1/trusted", "/api/v1/contacts", "/api/v1/history",
                                                          "/api/v1/sessions", "/api/v1/me", "/api/v1/export"))
    for secret in [PHONE, "9001234567", "900 123-45-67", "ivan.ivanov", "mail.ru", "Иван Иванович", *ivan_sessions,
                   *(c["id"] for c in ivan_contacts.values())]:
        assert secret not in seen, secret
    assert "Иванов И. И." in seen  # who asks, and nothing else
    for cid in (c["id"] for c in ivan_contacts.values()):
        assert petrov.get(f"/api/v1/contacts/{cid}/checklist").status_code == 404
        assert petrov.delete(f"/api/v1/contacts/{cid}").status_code == 404
    assert petrov.delete(f"/api/v1/sessions/{ivan_sessions[0]}").status_code == 404
    asked = ivan.get("/api/v1/trusted").json()["asked"][0]
    assert petrov.post(f"/api/v1/trusted/asked/{asked['id']}/cancel").status_code == 404  # only the citizen
    link = ivan.get("/api/v1/trusted").json()["links"][0]
    assert petrov.delete(f"/api/v1/trusted/links/{link['id']}").status_code == 404


def test_who_can_be_a_trusted_person(client, kb, sms, mail, ivan):
    client.cookies.clear()
    young = person(client, kb, sms, mail, PETROV, "Петров Пётр Петрович", birth=date(2015, 1, 1))
    simple = person(client, kb, sms, mail, SIDOROV, "Сидоров Сидор Сидорович", level="simplified")
    own = ivan.post("/api/v1/trusted/invitations", {"phone": PHONE})
    assert own.status_code == 422 and own.json()["code"] == "trusted.self"
    for who, phone, code in ((young, PETROV, "trusted.underage"), (simple, SIDOROV, "trusted.not_confirmed")):
        invited = ivan.post("/api/v1/trusted/invitations", {"phone": phone}).json()["link"]
        again = ivan.post("/api/v1/trusted/invitations", {"phone": phone})
        assert again.status_code == 409 and again.json()["code"] == "trusted.pending"
        answer = who.post(f"/api/v1/trusted/invitations/{invited['id']}/accept")
        assert answer.status_code == 409 and answer.json()["code"] == code
        assert ivan.delete(f"/api/v1/trusted/invitations/{invited['id']}").status_code == 204
    assert ivan.get("/api/v1/trusted").json()["links"] == []


def test_a_new_contact_neither_recovers_nor_confirms_removing_an_older_one(client, kb, sms, mail, clock, ivan):
    client.cookies.clear()
    clock.advance(minutes=5)  # a number added to an account that existed before it
    added = ivan.post("/api/v1/contacts", {"kind": "phone", "value": "+79167778899"})
    assert added.status_code == 202, added.text
    assert ivan.confirm(added.json()["challenge"], ivan.code_for("+79167778899")).status_code == 200
    old_phone = contacts(ivan)["+7 900 123-45-67"]["id"]
    assert ivan.post(f"/api/v1/contacts/{contacts(ivan)['+7 916 777-88-99']['id']}/primary").status_code == 200
    refused = ivan.delete(f"/api/v1/contacts/{old_phone}")
    assert refused.status_code == 409 and refused.json()["code"] == "contact.too_new"
    stranger = Citizen(client, kb, sms, mail)
    stranger.deliver()
    sms.clear()
    started = stranger.post("/api/v1/recovery", {"login": "+79167778899"})
    assert started.status_code == 202  # the usual answer …
    stranger.deliver()
    texts = [m["text"] for m in sms.to("+79167778899")]
    assert texts and not any("Код" in t for t in texts)  # … but no code, and the number hears why
    assert any("недавно" in t for t in texts)
    clock.advance(hours=24, seconds=1)
    sign_in_again(ivan, PHONE, PASSWORD, "+79167778899")  # codes now go to the primary phone
    assert ivan.delete(f"/api/v1/contacts/{old_phone}").status_code == 202


def test_a_service_centre_visit_releases_a_held_recovery_and_the_console_shows_it(client, kb, sms, mail):
    from tests.integration.test_centre import operator

    ivan = demo_citizen(client, kb, sms, mail)
    client.cookies.clear()
    petrov = person(client, kb, sms, mail, PETROV, "Петров Пётр Петрович")
    make_trusted(ivan, petrov, PETROV)
    backup = ivan.post("/api/v1/backup-codes").json()["codes"]
    citizen = Citizen(client, kb, sms, mail)  # Ivan at home, who then goes to the centre with his passport
    started = citizen.post("/api/v1/recovery", {"login": PHONE}).json()
    citizen.confirm(started["challenge"], citizen.code_for(PHONE))
    held = citizen.post(f"/api/v1/recovery/{started['recovery_id']}/proof", {"kind": "backup_code", "code": backup[1]})
    assert held.json()["approval"] == "waiting"
    olga = operator(client, kb, sms, mail)
    visit = olga.open_visit().json()["visit"]
    assert [h["id"] for h in visit["account"]["held"]] == [started["recovery_id"]]
    client.cookies.set("kabinet_operator", olga.token)
    console = client.get(f"/operator/visits/{visit['id']}")
    client.cookies.clear()
    assert console.status_code == 200 and "Восстановление доступа приостановлено" in console.text
    no_reason = olga.post(f"/api/v1/operator/visits/{visit['id']}/held-recoveries/{started['recovery_id']}/release",
                          {"reason": ""})
    assert no_reason.status_code == 422
    released = olga.post(f"/api/v1/operator/visits/{visit['id']}/held-recoveries/{started['recovery_id']}/release",
                         {"reason": "паспорт предъявлен"})
    assert released.status_code == 204, released.text
    assert citizen.post(f"/api/v1/recovery/{started['recovery_id']}/password",
                        {"password": NEW_PASSWORD}).status_code == 204
    with kb.store.read() as db:
        types = set(db.scalars(select(Event.type).where(Event.type.like("recovery:%"))))
    assert {"recovery:held", "recovery:released_at_centre"} <= types


def test_a_newly_enrolled_app_does_not_confirm_removing_an_older_phone(client, kb, sms, mail, clock):
    from tests.integration.test_totp_password import enrol

    ivan = demo_citizen(client, kb, sms, mail)
    client.cookies.clear()
    clock.advance(minutes=5)  # an app added to an account that existed before it
    totp = enrol(ivan, clock)
    phone_id = contacts(ivan)["+7 900 123-45-67"]["id"]
    refused = ivan.delete(f"/api/v1/contacts/{phone_id}")
    assert refused.status_code == 409 and refused.json()["code"] == "contact.too_new"
    clock.advance(hours=24, seconds=30)
    ivan.token = None
    started = ivan.post("/api/v1/sign-in", {"login": PHONE, "password": PASSWORD}).json()["challenge"]
    assert ivan.confirm(started, totp.at(clock.now())).status_code == 200
    client.cookies.clear()
    asked = ivan.delete(f"/api/v1/contacts/{phone_id}")
    assert asked.status_code == 202 and asked.json()["challenge"]["channel"] == "totp"
