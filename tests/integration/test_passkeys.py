"""Passkeys over HTTP (issue 24, API.md Passkeys), driven by a software authenticator that answers as a browser's
platform authenticator would (tests/webauthn_soft.py) — the server's checks are py_webauthn's on real bytes. Options
are single use and expire; a challenge of one account does not serve another; a credential registered twice is
refused; the origin and the relying party are checked; a counter that goes backwards is refused and told; a
passkey signs in alone, serves as the second factor after a password, confirms a step-up, and the last way to sign
in stays."""

from __future__ import annotations

import copy
import uuid

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select

from kabinet import bootstrap
from kabinet.demo import EMAIL, PHONE
from kabinet.store.models import Event, Outbox, Passkey
from kabinet.store.models import Session as UserSession
from kabinet.web.app import create_app
from tests.driver import Citizen
from tests.integration.helpers import PASSWORD, connect_caep_client, contacts, demo_citizen
from tests.webauthn_soft import SoftAuthenticator, b64

ORIGIN = "http://testserver"  # the tests' KABINET_BASE_URL: the relying party is "testserver"


def add_passkey(ivan: Citizen, key: SoftAuthenticator, name: str = "Телефон") -> dict:
    options = ivan.post("/api/v1/passkeys/options")
    assert options.status_code == 200, options.text
    made = ivan.post("/api/v1/passkeys", {"name": name, "credential": key.create(options.json()["options"])})
    assert made.status_code == 201, made.text
    return made.json()["passkey"]


def passkey_sign_in(client, key: SoftAuthenticator, **kw):
    options = client.post("/api/v1/sign-in/passkey/options").json()["options"]
    return client.post("/api/v1/sign-in/passkey", json={"credential": key.get(options, **kw)})


def history(ivan: Citizen) -> list[str]:
    return [e["type"] for e in ivan.get("/api/v1/history").json()["events"]]


def test_a_passkey_is_added_and_signs_in_alone_with_no_login_typed(client, kb, sms, mail, ivan):
    key = SoftAuthenticator(ORIGIN)
    options = ivan.post("/api/v1/passkeys/options").json()["options"]
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["rp"]["id"] == "testserver" and options["attestation"] == "none"
    added = ivan.post("/api/v1/passkeys", {"name": "  Мой   телефон ", "credential": key.create(options)})
    assert added.status_code == 201 and added.json()["passkey"]["name"] == "Мой телефон"
    assert [p["name"] for p in ivan.get("/api/v1/passkeys").json()["passkeys"]] == ["Мой телефон"]
    assert "passkey:added" in history(ivan)
    ivan.deliver()
    assert "ключ доступа" in sms.to(PHONE)[-1]["text"] or "passkey" in sms.to(PHONE)[-1]["text"]

    client.cookies.clear()
    request = client.post("/api/v1/sign-in/passkey/options").json()["options"]
    assert request["allowCredentials"] == [] and request["userVerification"] == "required"
    signed = client.post("/api/v1/sign-in/passkey", json={"credential": key.get(request)})
    assert signed.status_code == 200, signed.text
    body = signed.json()
    assert body["session_token"] and client.cookies["kabinet_session"] == body["session_token"]
    with kb.store.read() as db:
        assert "passkey" in db.scalars(select(UserSession.auth_method)).all()
        assert db.scalars(select(Passkey)).one().sign_count == 1


def test_options_are_single_use_and_expire(client, kb, sms, mail, clock, ivan):
    key = SoftAuthenticator(ORIGIN)
    options = ivan.post("/api/v1/passkeys/options").json()["options"]
    ivan.post("/api/v1/passkeys", {"name": "Первый", "credential": key.create(options)})
    again = ivan.post("/api/v1/passkeys", {"name": "Снова", "credential": SoftAuthenticator(ORIGIN).create(options)})
    assert again.status_code == 400 and again.json()["code"] == "passkey.invalid"
    late = ivan.post("/api/v1/passkeys/options").json()["options"]
    clock.advance(minutes=6)
    ivan.get("/api/v1/me")
    stale = ivan.post("/api/v1/passkeys", {"name": "Поздно", "credential": SoftAuthenticator(ORIGIN).create(late)})
    assert stale.status_code == 400

    client.cookies.clear()
    request = client.post("/api/v1/sign-in/passkey/options").json()["options"]
    answer = key.get(request)
    assert client.post("/api/v1/sign-in/passkey", json={"credential": answer}).status_code == 200
    client.cookies.clear()
    replayed = client.post("/api/v1/sign-in/passkey", json={"credential": key.get(request)})
    assert replayed.status_code == 401 and replayed.json()["code"] == "passkey.refused"
    expiring = client.post("/api/v1/sign-in/passkey/options").json()["options"]
    clock.advance(minutes=6)
    assert client.post("/api/v1/sign-in/passkey", json={"credential": key.get(expiring)}).status_code == 401


def test_a_challenge_of_one_account_does_not_serve_another_and_a_credential_is_registered_once(
        client, kb, sms, mail, ivan):
    options = ivan.post("/api/v1/passkeys/options").json()["options"]
    client.cookies.clear()
    petr = Citizen(client, kb, sms, mail)
    assert petr.register("+79161112233", "registered secret 1").status_code == 201
    stolen = petr.post("/api/v1/passkeys", {"name": "Чужой", "credential": SoftAuthenticator(ORIGIN).create(options)})
    assert stolen.status_code == 400, "another account's options were accepted"
    key = SoftAuthenticator(ORIGIN)
    add_passkey(petr, key)
    twice = petr.post("/api/v1/passkeys", {"name": "Дважды", "credential": key.create(
        petr.post("/api/v1/passkeys/options").json()["options"])})
    assert twice.status_code == 409 and twice.json()["code"] == "passkey.exists"


def test_the_origin_and_the_relying_party_are_checked(client, kb, sms, mail, ivan):
    key = SoftAuthenticator(ORIGIN)
    add_passkey(ivan, key)
    client.cookies.clear()
    assert passkey_sign_in(client, key, origin="http://kabinet.evil.example").status_code == 401
    key.rp_id = "evil.example"  # signed for another site
    assert passkey_sign_in(client, key).status_code == 401
    key.rp_id = "testserver"
    assert passkey_sign_in(client, key).status_code == 200


def test_a_counter_that_goes_backwards_is_refused_and_told(client, kb, sms, mail, ivan):
    key = SoftAuthenticator(ORIGIN)
    add_passkey(ivan, key)
    client.cookies.clear()
    for _ in range(3):
        assert passkey_sign_in(client, key).status_code == 200
        client.cookies.clear()
    key.sign_count = 0  # a copy of the key, made before those sign-ins
    copied = passkey_sign_in(client, key)
    assert copied.status_code == 401 and copied.json()["code"] == "passkey.cloned"
    with kb.store.read() as db:
        assert db.scalars(select(Event.type).where(Event.type == "passkey:clone_refused")).all()
    ivan.deliver()
    assert any("копия" in m["text"] for m in sms.to(PHONE)), "the citizen was not told of the copy"


def test_a_passkey_is_the_second_factor_after_a_password_and_confirms_a_step_up(client, kb, sms, mail, clock, ivan):
    key = SoftAuthenticator(ORIGIN)
    add_passkey(ivan, key)
    client.cookies.clear()
    started = client.post("/api/v1/sign-in", json={"login": EMAIL, "password": PASSWORD}).json()["challenge"]
    options = client.post(f"/api/v1/challenges/{started['id']}/passkey/options").json()["options"]
    assert [c["id"] for c in options["allowCredentials"]] == [b64(key.credential_id)]  # the account's own
    signed = client.post(f"/api/v1/challenges/{started['id']}/passkey", json={"credential": key.get(options)})
    assert signed.status_code == 200 and signed.json()["session_token"]
    ivan.token = signed.json()["session_token"]
    with kb.store.read() as db:
        assert "password+passkey" in db.scalars(select(UserSession.auth_method)).all()
    clock.advance(minutes=11)
    ivan.get("/api/v1/me")
    assert ivan.post("/api/v1/passkeys/options").json()["code"] == "auth.step_up_required"
    step = ivan.post("/api/v1/step-up").json()["challenge"]
    options = ivan.post(f"/api/v1/challenges/{step['id']}/passkey/options").json()["options"]
    wrong = SoftAuthenticator(ORIGIN, credential_id=key.credential_id, user_handle=key.user_handle, rp_id="testserver")
    refused = ivan.post(f"/api/v1/challenges/{step['id']}/passkey", {"credential": wrong.get(options)})
    assert refused.status_code == 401  # the right id, another key: a bad signature
    options = ivan.post(f"/api/v1/challenges/{step['id']}/passkey/options").json()["options"]
    stepped = ivan.post(f"/api/v1/challenges/{step['id']}/passkey", {"credential": key.get(options)})
    assert stepped.status_code == 200, stepped.text
    ivan.token = stepped.json().get("session_token", ivan.token)
    assert ivan.post("/api/v1/passkeys/options").status_code == 200  # the step-up counted


def test_a_new_passkey_does_not_confirm_removing_an_older_contact(client, kb, sms, mail, ivan):
    key = SoftAuthenticator(ORIGIN)
    add_passkey(ivan, key)
    old = contacts(ivan)[EMAIL]
    removal = ivan.delete(f"/api/v1/contacts/{old['id']}").json()["challenge"]
    options = ivan.post(f"/api/v1/challenges/{removal['id']}/passkey/options").json()["options"]
    refused = ivan.post(f"/api/v1/challenges/{removal['id']}/passkey", {"credential": key.get(options)})
    assert refused.status_code == 409 and refused.json()["code"] == "contact.too_new"
    assert EMAIL in contacts(ivan)


def test_rename_remove_and_the_last_way_to_sign_in_stays(client, kb, sms, mail, clock, ivan):
    key = SoftAuthenticator(ORIGIN)
    passkey = add_passkey(ivan, key)
    renamed = ivan.client.patch(f"/api/v1/passkeys/{passkey['id']}", json={"name": "Ноутбук"}, headers=ivan.auth)
    assert renamed.json()["passkey"]["name"] == "Ноутбук" and "passkey:renamed" in history(ivan)
    # with a passkey, the contacts may stop serving sign-in: the passkey is then the only way in
    for c in contacts(ivan).values():
        off = ivan.client.patch(f"/api/v1/contacts/{c['id']}", json={"sign_in": False}, headers=ivan.auth)
        assert off.status_code == 200, off.text
    last = ivan.delete(f"/api/v1/passkeys/{passkey['id']}")
    assert last.status_code == 409 and last.json()["code"] == "passkey.last"
    phone = contacts(ivan)["+7 900 123-45-67"]
    assert ivan.client.patch(f"/api/v1/contacts/{phone['id']}", json={"sign_in": True},
                             headers=ivan.auth).status_code == 200
    clock.advance(minutes=11)
    ivan.get("/api/v1/me")
    assert ivan.delete(f"/api/v1/passkeys/{passkey['id']}").json()["code"] == "auth.step_up_required"
    step = ivan.post("/api/v1/step-up").json()["challenge"]
    assert ivan.confirm(step, ivan.code_for(PHONE)).status_code == 200
    assert ivan.delete(f"/api/v1/passkeys/{passkey['id']}").status_code == 204
    assert ivan.get("/api/v1/passkeys").json()["passkeys"] == [] and "passkey:removed" in history(ivan)
    client.cookies.clear()
    assert passkey_sign_in(client, key).status_code == 401  # a removed passkey signs nobody in


def test_connected_services_hear_a_credential_change(client, kb, sms, mail, ivan):
    account_id = uuid.UUID(ivan.get("/api/v1/me").json()["id"])
    connect_caep_client(kb, account_id)
    add_passkey(ivan, SoftAuthenticator(ORIGIN))
    with kb.store.read() as db:
        pushed = db.scalars(select(Outbox).where(Outbox.channel == "push")).all()
    keys = KeySet.import_key_set(client.get("/oidc/jwks").json())
    claims = [jwt.decode(row.data["set"], keys).claims["events"] for row in pushed]
    change = "https://schemas.openid.net/secevent/caep/event-type/credential-change"
    assert any(change in c and c[change]["change_type"] == "create" for c in claims), claims


IP_BASE = "http://127.0.0.1:8000"  # KABINET_BASE_URL's default: the relying party is an IP address


@pytest.fixture
def on_ip(settings, clock, mail, sms):
    """The app on the default base URL, an IP address: the API serves passkeys there (a software authenticator
    takes an IP relying party), while the pages, for browsers that refuse one, say the site's name is needed."""
    kabinet = bootstrap.build(settings.model_copy(update={"base_url": IP_BASE}), clock=clock)
    with TestClient(create_app(kabinet), base_url=IP_BASE) as test_client:
        yield test_client, kabinet
    kabinet.store.dispose()


def test_on_an_ip_base_url_the_api_serves_passkeys_and_the_pages_say_a_name_is_needed(on_ip, sms, mail):
    client, kabinet = on_ip
    ivan = demo_citizen(client, kabinet, sms, mail)
    key = SoftAuthenticator(IP_BASE)
    options = ivan.post("/api/v1/passkeys/options")
    assert options.status_code == 200, options.text
    assert options.json()["options"]["rp"]["id"] == "127.0.0.1"
    added = ivan.post("/api/v1/passkeys", {"name": "Ключ", "credential": key.create(options.json()["options"])})
    assert added.status_code == 201, added.text
    page = client.get("/security")
    assert page.status_code == 200 and "data-passkey=" not in page.text
    assert "а не по IP-адресу" in page.text
    client.cookies.clear()
    assert 'data-passkey="sign-in"' not in client.get("/sign-in").text
    request = client.post("/api/v1/sign-in/passkey/options")
    assert request.status_code == 200, request.text
    signed = client.post("/api/v1/sign-in/passkey", json={"credential": key.get(request.json()["options"])})
    assert signed.status_code == 200, signed.text


def _spoilt(credential: dict, where: tuple[str, ...], value: object) -> dict:
    """The credential with one field replaced (``DROP``: taken out), as a broken or hostile client sends it."""
    spoilt = copy.deepcopy(credential)
    inner = spoilt
    for k in where[:-1]:
        inner = inner[k]
    if value is DROP:
        del inner[where[-1]]
    else:
        inner[where[-1]] = value
    return spoilt


DROP = object()
# Bodies a browser never sends, each reaching py_webauthn's parser with a live challenge: a field missing, the wrong
# type, bad base64, bytes that are no CBOR or too short for authenticator data
MALFORMED_BOTH = [(("id",), DROP), (("rawId",), 5), (("type",), "password"), (("authenticatorAttachment",), "side")]
MALFORMED_REGISTRATION = [*MALFORMED_BOTH, (("response", "attestationObject"), DROP),
                          (("response", "attestationObject"), "@@@"), (("response", "attestationObject"), "AAAA"),
                          (("response", "attestationObject"), ["a"])]
MALFORMED_ASSERTION = [*MALFORMED_BOTH, (("response", "authenticatorData"), DROP),
                       (("response", "signature"), "@@@"), (("response", "authenticatorData"), "AAAA"),
                       (("response", "signature"), {"a": 1})]


def test_a_malformed_registration_is_400_passkey_invalid_never_500(client, kb, sms, mail, ivan):
    for where, value in MALFORMED_REGISTRATION:
        options = ivan.post("/api/v1/passkeys/options").json()["options"]
        body = _spoilt(SoftAuthenticator(ORIGIN).create(options), where, value)
        answer = ivan.post("/api/v1/passkeys", {"name": "Сломанный", "credential": body})
        assert answer.status_code == 400 and answer.json()["code"] == "passkey.invalid", (where, answer.text)
    options = ivan.post("/api/v1/passkeys/options").json()["options"]
    flagged = SoftAuthenticator(ORIGIN, extra_flags=0x10)  # "backed up" but not backup-eligible: InvalidBackupFlags
    answer = ivan.post("/api/v1/passkeys", {"name": "Сломанный", "credential": flagged.create(options)})
    assert answer.status_code == 400 and answer.json()["code"] == "passkey.invalid", answer.text
    assert ivan.get("/api/v1/passkeys").json()["passkeys"] == []
    add_passkey(ivan, SoftAuthenticator(ORIGIN))  # and nothing was left broken


def test_a_malformed_assertion_is_401_never_500(client, kb, sms, mail, ivan):
    key = SoftAuthenticator(ORIGIN)
    add_passkey(ivan, key)
    step = ivan.post("/api/v1/step-up").json()["challenge"]
    client.cookies.clear()
    for where, value in MALFORMED_ASSERTION:
        options = client.post("/api/v1/sign-in/passkey/options").json()["options"]
        answer = client.post("/api/v1/sign-in/passkey", json={"credential": _spoilt(key.get(options), where, value)})
        assert answer.status_code == 401 and answer.json()["code"] == "passkey.refused", (where, answer.text)
    key.extra_flags = 0x10
    options = client.post("/api/v1/sign-in/passkey/options").json()["options"]
    assert client.post("/api/v1/sign-in/passkey", json={"credential": key.get(options)}).status_code == 401
    key.extra_flags = 0
    for where, value in MALFORMED_ASSERTION[:3]:  # a passkey answering a code: the same refusal
        options = ivan.post(f"/api/v1/challenges/{step['id']}/passkey/options").json()["options"]
        answer = ivan.post(f"/api/v1/challenges/{step['id']}/passkey", {"credential": _spoilt(key.get(options),
                                                                                             where, value)})
        assert answer.status_code == 401 and answer.json()["code"] == "passkey.refused", (where, answer.text)
    client.cookies.clear()
    assert passkey_sign_in(client, key).status_code == 200
