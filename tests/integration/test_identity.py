"""Identity data (level simplified → standard) and the lost-everything request (issue 9, points 4 and 5)."""

from __future__ import annotations

from sqlalchemy import select

from kabinet.demo import EMAIL, PHONE, SNILS
from kabinet.store.models import Account, IdentityRequest, SupportRequest
from tests.driver import Citizen
from tests.integration.helpers import demo_citizen

GOOD = {"snils": "087-654-303 00", "passport": "45 10 654321", "birth_date": "1990-02-03"}


def newcomer(client, kb, sms, mail) -> Citizen:
    c = Citizen(client, kb, sms, mail)
    assert c.register("+79165550077", "registered secret 1").status_code == 201
    return c


def test_identity_data_make_a_simplified_account_standard(client, kb, sms, mail):
    c = newcomer(client, kb, sms, mail)
    assert c.get("/api/v1/me").json()["level"] == "simplified"
    saved = c.client.put("/api/v1/identity", json=GOOD, headers=c.auth)
    assert saved.status_code == 200 and saved.json()["account"]["level"] == "standard"
    shown = c.get("/api/v1/identity").json()
    assert shown["passport"] == "•• •• ••••21" and shown["snils"] == "***-***-303 00"
    with kb.store.read() as db:
        account = db.scalars(select(Account).where(Account.snils == "08765430300")).one()
        assert "654321" not in (account.passport_hash or "") and len(account.passport_hash) == 64
    history = c.get("/api/v1/history").json()["events"]
    assert history[0]["type"] == "identity:saved"


def test_every_wrong_field_is_named_at_once(client, kb, sms, mail):
    c = newcomer(client, kb, sms, mail)
    bad = c.client.put("/api/v1/identity", json={"snils": "112-233-445 96", "passport": "45 08 12345",
                                                 "birth_date": "2030-01-01"}, headers=c.auth)
    assert bad.status_code == 422
    assert {(e["field"], e["code"]) for e in bad.json()["errors"]} == {
        ("snils", "snils.checksum"), ("passport", "passport.invalid"), ("birth_date", "birth_date.invalid")}
    en = c.client.put("/api/v1/identity", json={**GOOD, "snils": "112-233-445 96"},
                      headers={**c.auth, "Accept-Language": "en"})
    assert "check number" in en.json()["errors"][0]["message"]


def test_the_registers_refusing_changes_nothing(client, kb, sms, mail):
    c = newcomer(client, kb, sms, mail)
    refused = c.client.put("/api/v1/identity", json={**GOOD, "passport": "45 10 000123"}, headers=c.auth)
    assert refused.status_code == 422 and refused.json()["code"] == "identity.not_confirmed"
    assert c.get("/api/v1/me").json()["level"] == "simplified"


def test_a_snils_already_on_another_account_gets_the_same_answer_and_a_support_request(client, kb, sms, mail):
    demo_citizen(client, kb, sms, mail)
    client.cookies.clear()
    c = newcomer(client, kb, sms, mail)
    claimed = c.client.put("/api/v1/identity", json={**GOOD, "snils": SNILS}, headers=c.auth)
    fresh = c.client.put("/api/v1/identity", json=GOOD, headers=c.auth)
    assert claimed.status_code == fresh.status_code == 200
    assert set(claimed.json()["account"]) == set(fresh.json()["account"])
    with kb.store.read() as db:
        assert db.scalars(select(SupportRequest).where(SupportRequest.topic == "identity")).one()
        assert db.scalars(select(Account).where(Account.snils == SNILS)).one().full_name.startswith("Иванов")


def test_lost_everything_matching_and_not_look_the_same(client, kb, sms, mail):
    demo_citizen(client, kb, sms, mail)
    client.cookies.clear()
    mail.clear()
    sms.clear()
    body = {"snils": SNILS, "passport": "45 08 123456", "birth_date": "12.04.1985", "phone": "+79165550099"}
    matching = client.post("/api/v1/recovery/identity", json=body)
    other = client.post("/api/v1/recovery/identity", json={**body, "passport": "45 08 654321"})
    assert matching.status_code == other.status_code == 202
    a, b = matching.json()["request"], other.json()["request"]
    assert set(a) == set(b) == {"id", "number", "state", "expires_at"}
    assert a["state"] == b["state"] == "awaiting_visit" and a["number"] != b["number"]
    with kb.store.read() as db:
        rows = {r.number: r for r in db.scalars(select(IdentityRequest))}
        assert rows[a["number"]].account_id is not None and rows[b["number"]].account_id is None
    Citizen(client, kb, sms, mail).deliver()
    assert a["number"] in sms.to(PHONE)[-1]["text"] and a["number"] in mail.to(EMAIL)[-1].text  # the owner hears
    assert sms.to("+79165550099") == []
    third = client.post("/api/v1/recovery/identity", json=body)
    fourth = client.post("/api/v1/recovery/identity", json=body)
    assert third.status_code == 202 and fourth.status_code == 429  # three a day per SNILS


def test_lost_everything_names_bad_fields(client):
    bad = client.post("/api/v1/recovery/identity", json={"snils": "1", "passport": "x", "birth_date": "",
                                                         "phone": "+7 495 123-45-67"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"snils", "passport", "birth_date", "phone"}
