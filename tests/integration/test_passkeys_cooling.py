"""Passkeys and the cooling-off (issue 24, audit 4): a passkey added in the last ``Cooling.contact`` hours is new like a
new contact. "This wasn't me" and a completed recovery (by oneself, or at a service centre) remove such passkeys —
an intruder who knew the password may have added one, and a passkey signs in without it — each in the history and
told on every channel, while older passkeys stay. And a session whose second factor was a new passkey cannot
remove an older one, as a new contact cannot confirm removing an older contact."""

from __future__ import annotations

from sqlalchemy import select

from kabinet.demo import EMAIL, PHONE, SNILS
from kabinet.store.models import Contact, Event, Passkey
from tests.driver import Citizen
from tests.integration.helpers import PASSWORD, demo_citizen
from tests.integration.test_centre import NEW_PHONE, PASSPORT, operator
from tests.integration.test_passkeys import ORIGIN, add_passkey, passkey_sign_in
from tests.integration.test_recovery import NEW_PASSWORD, code_by_mail, recover
from tests.secrets import secret_for_contact
from tests.webauthn_soft import SoftAuthenticator

DAY_AND_AN_HOUR = 25  # hours: past the default cooling-off of 24


def with_an_old_and_a_new_passkey(client, kb, sms, mail, clock) -> tuple[Citizen, SoftAuthenticator,
                                                                           SoftAuthenticator]:
    """The citizen's own passkey, added two days ago, and one added just now (by an intruder, say)."""
    ivan = demo_citizen(client, kb, sms, mail)
    own = SoftAuthenticator(ORIGIN)
    add_passkey(ivan, own, "Мой телефон")
    clock.advance(hours=DAY_AND_AN_HOUR)
    client.cookies.clear()
    assert ivan.sign_in(PHONE, PASSWORD, PHONE).status_code == 200
    intruder = SoftAuthenticator(ORIGIN)
    add_passkey(ivan, intruder, "Чужой")
    return ivan, own, intruder


def names(kb) -> list[str]:
    with kb.store.read() as db:
        return sorted(db.scalars(select(Passkey.name)).all())


def removals(kb) -> list[dict]:
    with kb.store.read() as db:
        return [e.details for e in db.scalars(select(Event).where(Event.type == "passkey:removed"))]


def told_everywhere(ivan: Citizen, sms, mail) -> None:
    ivan.deliver()
    assert any("удалены ключи доступа" in m["text"] and "Чужой" in m["text"] for m in sms.to(PHONE))
    assert any("удалены ключи доступа" in m.text and "Чужой" in m.text for m in mail.to(EMAIL))


def test_this_was_not_me_removes_the_passkeys_of_the_cooling_off_only(client, kb, sms, mail, clock):
    ivan, _own, intruder = with_an_old_and_a_new_passkey(client, kb, sms, mail, clock)
    with kb.store.read() as db:
        phone = db.scalars(select(Contact).where(Contact.value == PHONE)).one()
    url = secret_for_contact(kb, phone.id, "security_notice", "not_me_url")  # the notice of the added passkey
    assert url, "the passkey's notice has no 'this wasn't me' link"
    assert client.post("/api/v1/not-me", json={"token": url.split("token=")[1]}).status_code == 200
    assert names(kb) == ["Мой телефон"]
    assert [(d["name"], d["because"]) for d in removals(kb)] == [("Чужой", "not_me")]
    told_everywhere(ivan, sms, mail)
    client.cookies.clear()
    assert passkey_sign_in(client, intruder).status_code == 401  # gone, whatever the account's state


def test_a_completed_recovery_removes_a_passkey_of_the_cooling_off(client, kb, sms, mail, clock):
    ivan, own, intruder = with_an_old_and_a_new_passkey(client, kb, sms, mail, clock)
    client.cookies.clear()
    started = recover(ivan, PHONE)
    first = client.post(f"/api/v1/challenges/{started['challenge']['id']}/confirm",
                        json={"code": ivan.code_for(PHONE)}).json()
    second = client.post(f"/api/v1/challenges/{first['challenge']['id']}/confirm",
                         json={"code": code_by_mail(ivan, EMAIL)})
    assert second.json()["next"] == "password", second.text
    assert names(kb) == ["Мой телефон", "Чужой"]  # nothing goes before the recovery is done
    done = client.post(f"/api/v1/recovery/{started['recovery_id']}/password", json={"password": NEW_PASSWORD})
    assert done.status_code == 204
    assert names(kb) == ["Мой телефон"]
    assert [d["because"] for d in removals(kb)] == ["recovery"]
    told_everywhere(ivan, sms, mail)
    assert passkey_sign_in(client, intruder).status_code == 401
    client.cookies.clear()
    assert passkey_sign_in(client, own).status_code == 200  # the citizen's own stays


def test_a_recovery_at_a_service_centre_removes_a_passkey_of_the_cooling_off(client, kb, sms, mail, clock):
    ivan, _own, intruder = with_an_old_and_a_new_passkey(client, kb, sms, mail, clock)
    client.cookies.clear()
    filed = client.post("/api/v1/recovery/identity", json={"snils": SNILS, "passport": PASSPORT,
                                                           "birth_date": "1985-04-12", "phone": NEW_PHONE})
    number = filed.json()["request"]["number"]
    olga = operator(client, kb, sms, mail)
    visit = olga.open_visit().json()["visit"]
    request = next(r for r in visit["account"]["requests"] if r["number"] == number)
    started = olga.post(f"/api/v1/operator/visits/{visit['id']}/recovery/{request['id']}/complete",
                        {"reason": "утеряны телефон и доступ к почте"})
    done = olga.post(f"/api/v1/challenges/{started.json()['challenge']['id']}/confirm",
                     {"code": olga.code_for(NEW_PHONE)})
    assert done.status_code == 200, done.text
    assert names(kb) == ["Мой телефон"]
    removed = removals(kb)
    assert [d["because"] for d in removed] == ["centre_recovery"] and removed[0]["centre"] == "МФЦ Тверской"
    ivan.deliver()
    assert any("удалены ключи доступа" in m["text"] for m in sms.to(NEW_PHONE))
    client.cookies.clear()
    assert passkey_sign_in(client, intruder).status_code == 401


def test_a_session_a_new_passkey_signed_in_cannot_remove_an_older_one(client, kb, sms, mail, clock):
    ivan, own, intruder = with_an_old_and_a_new_passkey(client, kb, sms, mail, clock)
    mine = {p["name"]: p["id"] for p in ivan.get("/api/v1/passkeys").json()["passkeys"]}
    client.cookies.clear()
    thief = Citizen(client, kb, sms, mail, token=passkey_sign_in(client, intruder).json()["session_token"])
    refused = thief.delete(f"/api/v1/passkeys/{mine['Мой телефон']}")
    assert refused.status_code == 409 and refused.json()["code"] == "contact.too_new"
    # after a password, the new passkey as the second factor: the same
    client.cookies.clear()
    started = client.post("/api/v1/sign-in", json={"login": EMAIL, "password": PASSWORD}).json()["challenge"]
    options = client.post(f"/api/v1/challenges/{started['id']}/passkey/options").json()["options"]
    signed = client.post(f"/api/v1/challenges/{started['id']}/passkey", json={"credential": intruder.get(options)})
    thief.token = signed.json()["session_token"]
    assert thief.delete(f"/api/v1/passkeys/{mine['Мой телефон']}").json()["code"] == "contact.too_new"
    # a step-up by the new passkey in a session opened by a code: the same again
    clock.advance(minutes=11)
    assert ivan.get("/api/v1/me").status_code == 200
    step = ivan.post("/api/v1/step-up").json()["challenge"]
    options = ivan.post(f"/api/v1/challenges/{step['id']}/passkey/options").json()["options"]
    stepped = ivan.post(f"/api/v1/challenges/{step['id']}/passkey", {"credential": intruder.get(options)})
    ivan.token = stepped.json().get("session_token", ivan.token)
    assert ivan.delete(f"/api/v1/passkeys/{mine['Мой телефон']}").json()["code"] == "contact.too_new"
    assert names(kb) == ["Мой телефон", "Чужой"]
    # the citizen's own passkey removes the new one
    client.cookies.clear()
    owner = Citizen(client, kb, sms, mail, token=passkey_sign_in(client, own).json()["session_token"])
    assert owner.delete(f"/api/v1/passkeys/{mine['Чужой']}").status_code == 204
    assert names(kb) == ["Мой телефон"]
