"""The service centre (issue 10) over HTTP: operators, visits, actions through the cabinet's own rules, the
authorization matrix, the lost-everything path end to end, the receipt."""

from __future__ import annotations

import subprocess
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from sqlalchemy import func, select

from kabinet.audit.events import chain_key, verify_chain
from kabinet.demo import EMAIL, PHONE, SNILS
from kabinet.flows.centre import operators
from kabinet.store.models import Account, Contact, Event, Session, Visit
from tests.driver import Citizen
from tests.integration.helpers import PASSWORD, demo_citizen

PASSPORT = "45 08 123456"
NEW_PHONE = "+79165550199"


class Operator(Citizen):
    """An operator driving the console's API with a bearer token."""

    def sign_in_as(self, login: str, centre: str = "МФЦ Тверской") -> Operator:
        made = operators.add(self.kb.ctx, login=login, centre=centre)
        started = self.post("/api/v1/operator/sign-in", {"login": login, "password": made.password})
        assert started.status_code == 202, started.text
        secret = parse_qs(urlsplit(made.otpauth_uri).query)["secret"][0]
        code = pyotp.TOTP(secret).at(self.kb.clock.now())
        done = self.post(f"/api/v1/operator/sign-in/{started.json()['challenge']['id']}/confirm", {"code": code})
        assert done.status_code == 200, done.text
        assert done.json()["operator"]["must_change_password"] is True  # the one-time password: one's own first
        self.token = done.json()["operator_token"]
        own = self.post("/api/v1/operator/password", {"current": made.password, "new": "Своё-Надёжное-Слово-2026"})
        assert own.status_code == 204, own.text
        return self

    def open_visit(self, snils: str = SNILS, passport: str = PASSPORT):
        return self.post("/api/v1/operator/visits", {"snils": snils, "passport": passport})


def operator(client, kb, sms, mail, login: str = "petrova") -> Operator:
    return Operator(client, kb, sms, mail).sign_in_as(login)


def mail_ru_id(c: Citizen) -> str:
    return next(x["id"] for x in c.get("/api/v1/contacts").json()["contacts"] if x["value"] == EMAIL)


def counts(kb) -> tuple[int, int, int]:
    with kb.store.read() as db:
        return (db.scalar(select(func.count()).select_from(Event)),
                db.scalar(select(func.count()).select_from(Contact).where(Contact.removed_at.is_(None))),
                db.scalar(select(func.count()).select_from(Visit)))


def test_an_operator_signs_in_with_password_and_app_code_only(client, kb, sms, mail):
    made = operators.add(kb.ctx, login="ivanova", centre="МФЦ Арбат")
    wrong = client.post("/api/v1/operator/sign-in", json={"login": "ivanova", "password": "not it"})
    assert wrong.status_code == 401 and wrong.json()["code"] == "auth.failed"
    started = client.post("/api/v1/operator/sign-in", json={"login": "ivanova", "password": made.password})
    assert started.status_code == 202 and started.json()["challenge"]["channel"] == "totp"
    cid = started.json()["challenge"]["id"]
    bad = client.post(f"/api/v1/operator/sign-in/{cid}/confirm", json={"code": "000000"})
    assert bad.status_code == 400 and bad.json()["code"] == "challenge.code_wrong"
    secret = parse_qs(urlsplit(made.otpauth_uri).query)["secret"][0]
    ok = client.post(f"/api/v1/operator/sign-in/{cid}/confirm", json={"code": pyotp.TOTP(secret).at(kb.clock.now())})
    assert ok.status_code == 200 and ok.json()["operator"]["centre"] == "МФЦ Арбат"
    assert not sms.messages  # never an SMS


def test_tokens_never_cross_between_citizens_and_operators(client, kb, sms, mail, ivan):
    olga = operator(client, kb, sms, mail)
    client.cookies.clear()
    as_citizen = client.post("/api/v1/operator/visits", json={"snils": SNILS, "passport": PASSPORT},
                             headers=ivan.auth)
    assert as_citizen.status_code == 401 and as_citizen.json()["code"] == "operator.auth_required"
    as_operator = client.get("/api/v1/contacts", headers=olga.auth)
    assert as_operator.status_code == 401 and as_operator.json()["code"] == "auth.required"


def test_a_document_that_matches_no_account_reveals_nothing_and_opens_nothing(client, kb, sms, mail):
    demo_citizen(client, kb, sms, mail)
    olga = operator(client, kb, sms, mail)
    before = counts(kb)
    for snils, passport in ((SNILS, "45 08 123457"), ("087-654-303 00", PASSPORT)):
        refused = olga.open_visit(snils, passport)
        assert refused.status_code == 404 and refused.json()["code"] == "visit.no_match"
        assert "Иван" not in refused.text
    assert counts(kb) == before


def test_an_operator_unlinks_the_mail_ru_address_with_a_reason_and_the_citizen_sees_it(client, kb, sms, mail, ivan):
    olga = operator(client, kb, sms, mail)
    opened = olga.open_visit()
    assert opened.status_code == 201, opened.text
    visit = opened.json()["visit"]
    assert visit["account"]["full_name"] == "Иванов Иван Иванович"
    assert {c["value"] for c in visit["account"]["contacts"]} == {"+7 900 ***-**-67", "i***@mail.ru"}
    target = mail_ru_id(ivan)
    no_reason = olga.post(f"/api/v1/operator/visits/{visit['id']}/contacts/{target}/remove", {"reason": "  "})
    assert no_reason.status_code == 422 and no_reason.json()["code"] == "reason.required"
    done = olga.post(f"/api/v1/operator/visits/{visit['id']}/contacts/{target}/remove",
                     {"reason": "Гражданин больше не пользуется этим ящиком"})
    assert done.status_code == 200, done.text
    assert EMAIL not in {c["value"] for c in ivan.get("/api/v1/contacts").json()["contacts"]}
    removed = next(e for e in ivan.get("/api/v1/history").json()["events"] if e["type"] == "contact:removed")
    assert removed["actor"]["kind"] == "operator" and removed["actor"]["centre"] == "МФЦ Тверской"
    assert removed["details"]["reason"] == "Гражданин больше не пользуется этим ящиком"
    assert removed["details"]["document"].startswith("•• •• ••••56")
    client.cookies.clear()
    page = client.get("/history", headers=ivan.auth).text
    assert "Оператор · МФЦ Тверской" in page and "Гражданин больше не пользуется этим ящиком" in page
    ivan.deliver()
    letter = mail.to(EMAIL)[-1]
    assert "центре обслуживания" in letter.text  # the removed address hears where it happened
    with kb.store.read() as db:
        account = db.scalars(select(Account)).one()
        events = list(db.scalars(select(Event).where(Event.account_id == account.id).order_by(Event.seq)))
        assert verify_chain(events, chain_key(db), head=account.event_head, count=account.event_seq)


def test_the_cabinet_guards_hold_at_the_counter_too(client, kb, sms, mail, ivan):
    olga = operator(client, kb, sms, mail)
    visit = olga.open_visit().json()["visit"]
    base = f"/api/v1/operator/visits/{visit['id']}/contacts"
    assert olga.post(f"{base}/{mail_ru_id(ivan)}/remove", {"reason": "по заявлению"}).status_code == 200
    phone = next(c["id"] for c in ivan.get("/api/v1/contacts").json()["contacts"] if c["kind"] == "phone")
    before = counts(kb)
    last = olga.post(f"{base}/{phone}/remove", {"reason": "по заявлению"})
    assert last.status_code == 409 and last.json()["code"] == "contact.guard"
    assert counts(kb) == before


def test_no_action_without_this_operators_open_visit(client, kb, sms, mail, clock, ivan):
    olga = operator(client, kb, sms, mail, "olga")
    anna = operator(client, kb, sms, mail, "anna")
    target = mail_ru_id(ivan)
    visit = olga.open_visit().json()["visit"]
    reason = {"reason": "по заявлению"}
    before = counts(kb)
    other = anna.post(f"/api/v1/operator/visits/{visit['id']}/contacts/{target}/remove", reason)
    assert other.status_code == 404 and other.json()["code"] == "visit.not_found"
    made_up = olga.post(f"/api/v1/operator/visits/{ivan.token[:8]}/contacts/{target}/remove", reason)
    assert made_up.status_code == 404
    assert counts(kb) == before
    assert olga.post(f"/api/v1/operator/visits/{visit['id']}/close").status_code == 200
    after_close = olga.post(f"/api/v1/operator/visits/{visit['id']}/contacts/{target}/remove", reason)
    assert after_close.status_code == 404 and after_close.json()["code"] == "visit.not_found"
    late = olga.open_visit().json()["visit"]
    clock.advance(minutes=31)
    client.cookies.clear()
    olga = Operator(client, kb, sms, mail).sign_in_as("olga2")  # the first session idled out meanwhile
    expired = olga.post(f"/api/v1/operator/visits/{late['id']}/contacts/{target}/remove", reason)
    assert expired.status_code == 404
    with kb.store.read() as db:
        assert db.scalar(select(Contact).where(Contact.value == "ivan.ivanov@mail.ru")).removed_at is None


def test_the_phone_is_replaced_by_a_code_read_out_at_the_counter(client, kb, sms, mail, ivan):
    olga = operator(client, kb, sms, mail)
    visit = olga.open_visit().json()["visit"]
    started = olga.post(f"/api/v1/operator/visits/{visit['id']}/phone", {"phone": NEW_PHONE, "reason": "новая SIM"})
    assert started.status_code == 202, started.text
    challenge = started.json()["challenge"]
    code = ivan.code_for(NEW_PHONE)
    stolen = client.post(f"/api/v1/challenges/{challenge['id']}/confirm", json={"code": code}, headers=ivan.auth)
    assert stolen.status_code == 404  # the citizen's session cannot answer the console's code
    confirmed = olga.post(f"/api/v1/challenges/{challenge['id']}/confirm", {"code": code})
    assert confirmed.status_code == 200, confirmed.text
    phones = {c["value"]: c for c in ivan.get("/api/v1/contacts").json()["contacts"] if c["kind"] == "phone"}
    assert list(phones) == ["+7 916 555-01-99"]
    new = phones["+7 916 555-01-99"]
    assert new["primary"] and new["sign_in"] and new["recovery"] and new["verified"]


def test_confirm_identity_makes_the_account_confirmed(client, kb, sms, mail):
    c = Citizen(client, kb, sms, mail)
    assert c.register("+79165550077", "registered secret 1").status_code == 201
    saved = client.put("/api/v1/identity", json={"snils": "087-654-303 00", "passport": "45 10 654321",
                                                 "birth_date": "1990-02-03"}, headers=c.auth)
    assert saved.json()["account"]["level"] == "standard"
    olga = operator(client, kb, sms, mail)
    visit = olga.open_visit("087-654-303 00", "45 10 654321").json()["visit"]
    done = olga.post(f"/api/v1/operator/visits/{visit['id']}/confirm-identity", {"reason": "паспорт предъявлен"})
    assert done.status_code == 200 and done.json()["account"]["level"] == "confirmed"
    client.cookies.clear()
    assert c.get("/api/v1/me").json()["level"] == "confirmed"


def test_a_citizen_who_lost_everything_gets_back_in_through_a_service_centre(client, kb, sms, mail, ivan):
    client.cookies.clear()
    filed = client.post("/api/v1/recovery/identity", json={"snils": SNILS, "passport": PASSPORT,
                                                           "birth_date": "1985-04-12", "phone": NEW_PHONE})
    assert filed.status_code == 202
    number = filed.json()["request"]["number"]
    olga = operator(client, kb, sms, mail)
    visit = olga.open_visit().json()["visit"]
    request = next(r for r in visit["account"]["requests"] if r["number"] == number)
    started = olga.post(f"/api/v1/operator/visits/{visit['id']}/recovery/{request['id']}/complete",
                        {"reason": "утеряны телефон и доступ к почте"})
    assert started.status_code == 202, started.text
    done = olga.post(f"/api/v1/challenges/{started.json()['challenge']['id']}/confirm",
                     {"code": olga.code_for(NEW_PHONE)})
    assert done.status_code == 200, done.text
    with kb.store.read() as db:
        present = list(db.scalars(select(Contact).where(Contact.removed_at.is_(None))))
        assert [(c.value, c.is_primary, c.sign_in, c.recovery) for c in present] == [(NEW_PHONE, True, True, True)]
        assert all(s.revoked_at is not None for s in db.scalars(select(Session)))
    assert ivan.get("/api/v1/contacts").status_code == 401  # the old session ended
    client.cookies.clear()
    back = Citizen(client, kb, sms, mail)
    rec = back.post("/api/v1/recovery", {"login": NEW_PHONE}).json()
    proof = back.post(f"/api/v1/challenges/{rec['challenge']['id']}/confirm", {"code": back.code_for(NEW_PHONE)})
    assert proof.status_code == 200 and proof.json()["next"] == "password", proof.text
    assert back.post(f"/api/v1/recovery/{rec['recovery_id']}/password",
                     {"password": "a brand new secret 7"}).status_code == 204
    assert back.sign_in(NEW_PHONE, "a brand new secret 7", NEW_PHONE).status_code == 200
    history = back.get("/api/v1/history?limit=200").json()["events"]
    done_event = next(e for e in history if e["type"] == "recovery:completed_at_centre")
    assert done_event["actor"]["kind"] == "operator" and done_event["details"]["request"] == number


def test_the_visit_closes_with_a_receipt_in_html_and_pdf(client, kb, sms, mail, ivan):
    olga = operator(client, kb, sms, mail)
    visit = olga.open_visit().json()["visit"]
    olga.post(f"/api/v1/operator/visits/{visit['id']}/contacts/{mail_ru_id(ivan)}/remove", {"reason": "по заявлению"})
    closed = olga.post(f"/api/v1/operator/visits/{visit['id']}/close")
    assert closed.status_code == 200
    url = closed.json()["receipt_url"]
    page = olga.get(url)
    assert page.status_code == 200 and "i***@mail.ru отвязан" in page.text and "МФЦ Тверской" in page.text
    pdf = olga.get(url + ".pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True).stdout.decode()
    assert "i***@mail.ru отвязан" in text and "Расписка о визите" in text
    client.cookies.clear()
    assert client.get(url, headers=ivan.auth).status_code == 401  # a citizen cannot read it


@pytest.mark.parametrize("path", ["/api/v1/operator/visits", "/api/v1/operator/visits/x/close"])
def test_operator_routes_refuse_the_signed_out(client, path):
    refused = client.post(path, json={"snils": SNILS, "passport": PASSPORT})
    assert refused.status_code == 401 and refused.json()["code"] == "operator.auth_required"


def test_the_console_locks_nothing_out_the_citizen_still_signs_in(client, kb, sms, mail, ivan):
    """After an operator's unlink the citizen signs in as before, with the phone (S18: at once)."""
    olga = operator(client, kb, sms, mail)
    visit = olga.open_visit().json()["visit"]
    olga.post(f"/api/v1/operator/visits/{visit['id']}/contacts/{mail_ru_id(ivan)}/remove", {"reason": "по заявлению"})
    client.cookies.clear()
    again = Citizen(client, kb, sms, mail)
    assert again.sign_in(PHONE, PASSWORD, PHONE).status_code == 200
    refused = again.post("/api/v1/sign-in", {"login": EMAIL, "password": PASSWORD})
    assert refused.status_code == 401


def test_a_supervisor_sees_the_centres_operators_and_what_each_visit_did(client, kb, sms, mail, ivan):
    olga = operator(client, kb, sms, mail)
    visit = olga.open_visit().json()["visit"]
    olga.post(f"/api/v1/operator/visits/{visit['id']}/contacts/{mail_ru_id(ivan)}/remove", {"reason": "по заявлению"})
    refused = olga.get("/api/v1/operator/centre")
    assert refused.status_code == 403 and refused.json()["code"] == "operator.supervisor_only"
    made = operators.add(kb.ctx, login="boss", centre="МФЦ Тверской", role="supervisor")
    boss = Operator(client, kb, sms, mail)
    started = boss.post("/api/v1/operator/sign-in", {"login": "boss", "password": made.password}).json()
    secret = parse_qs(urlsplit(made.otpauth_uri).query)["secret"][0]
    boss.token = boss.post(f"/api/v1/operator/sign-in/{started['challenge']['id']}/confirm",
                           {"code": pyotp.TOTP(secret).at(kb.clock.now())}).json()["operator_token"]
    seen = boss.get("/api/v1/operator/centre").json()
    assert {o["login"] for o in seen["operators"]} == {"petrova", "boss"}
    assert seen["visits"][0]["operator"] == "petrova" and seen["visits"][0]["actions"] == ["i***@mail.ru отвязан"]
    elsewhere = operators.add(kb.ctx, login="other", centre="МФЦ Арбат", role="supervisor")
    assert elsewhere.login == "other"
    assert "other" not in {o["login"] for o in boss.get("/api/v1/operator/centre").json()["operators"]}


def test_an_operator_changes_the_given_password_and_other_console_sessions_end(client, kb, sms, mail):
    made = operators.add(kb.ctx, login="lena", centre="МФЦ Тверской")
    secret = parse_qs(urlsplit(made.otpauth_uri).query)["secret"][0]

    def session(password: str):
        started = client.post("/api/v1/operator/sign-in", json={"login": "lena", "password": password})
        if started.status_code != 202:
            return started
        kb.clock.advance(seconds=30)  # a new app code: each one works once
        return client.post(f"/api/v1/operator/sign-in/{started.json()['challenge']['id']}/confirm",
                           json={"code": pyotp.TOTP(secret).at(kb.clock.now())})

    first, second = session(made.password).json()["operator_token"], session(made.password).json()["operator_token"]
    bearer = {"Authorization": f"Bearer {first}"}
    wrong = client.post("/api/v1/operator/password", json={"current": "nope", "new": "a long new secret 1"},
                        headers=bearer)
    assert wrong.status_code == 401
    weak = client.post("/api/v1/operator/password", json={"current": made.password, "new": "lena"}, headers=bearer)
    assert weak.status_code == 422
    done = client.post("/api/v1/operator/password", json={"current": made.password, "new": "a long new secret 1"},
                       headers=bearer)
    assert done.status_code == 204
    assert client.get("/api/v1/operator/requests", headers=bearer).status_code == 200
    assert client.get("/api/v1/operator/requests", headers={"Authorization": f"Bearer {second}"}).status_code == 401
    assert session(made.password).status_code == 401
    assert session("a long new secret 1").status_code == 200


@pytest.mark.parametrize("path", ["/operator/visits/new", "/operator/requests", "/operator/centre",
                                  "/operator/password"])
def test_console_pages_send_the_signed_out_to_the_console_sign_in(client, path):
    page = client.get(path, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/operator"
