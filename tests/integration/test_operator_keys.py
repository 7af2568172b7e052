"""Operators sign in to the console with a security key in place of the app's code (issue 24), over HTTP with a
software authenticator: a key is added right after a sign-in only, then answers the second step of a later sign-in;
the app's code still works; a wrong key, another operator's key, a citizen's passkey, a replayed answer or a copy
whose counter went backwards are refused and spend the step's attempts; a removed key signs nobody in."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pyotp

from kabinet.flows.centre import operators
from tests.integration.helpers import demo_citizen
from tests.integration.test_centre import Operator
from tests.integration.test_passkeys import ORIGIN, add_passkey
from tests.webauthn_soft import SoftAuthenticator, b64

OWN_PASSWORD = "Своё-Надёжное-Слово-2026"  # what Operator.sign_in_as sets


def add_key(olga: Operator, key: SoftAuthenticator, name: str = "Ключ на связке") -> dict:
    options = olga.post("/api/v1/operator/keys/options")
    assert options.status_code == 200, options.text
    made = olga.post("/api/v1/operator/keys", {"name": name, "credential": key.create(options.json()["options"])})
    assert made.status_code == 201, made.text
    return made.json()["key"]


def password_step(olga: Operator, login: str = "petrova") -> dict:
    started = olga.client.post("/api/v1/operator/sign-in", json={"login": login, "password": OWN_PASSWORD})
    assert started.status_code == 202, started.text
    return started.json()["challenge"]


def with_key(client, challenge: dict, key: SoftAuthenticator):
    options = client.post(f"/api/v1/operator/sign-in/{challenge['id']}/key/options")
    assert options.status_code == 200, options.text
    return client.post(f"/api/v1/operator/sign-in/{challenge['id']}/key",
                       json={"credential": key.get(options.json()["options"])})


def test_an_operator_signs_in_with_a_security_key_in_place_of_the_app_code(client, kb, sms, mail):
    olga = Operator(client, kb, sms, mail).sign_in_as("petrova")
    key = SoftAuthenticator(ORIGIN)
    made = add_key(olga, key)
    options_seen = olga.post("/api/v1/operator/keys/options").json()["options"]
    assert [c["id"] for c in options_seen["excludeCredentials"]] == [b64(key.credential_id)]
    assert [k["name"] for k in olga.get("/api/v1/operator/keys").json()["keys"]] == ["Ключ на связке"]
    challenge = password_step(olga)
    options = client.post(f"/api/v1/operator/sign-in/{challenge['id']}/key/options").json()["options"]
    assert [c["id"] for c in options["allowCredentials"]] == [b64(key.credential_id)]
    signed = client.post(f"/api/v1/operator/sign-in/{challenge['id']}/key", json={"credential": key.get(options)})
    assert signed.status_code == 200, signed.text
    token = signed.json()["operator_token"]
    assert client.get("/api/v1/operator/keys", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    replayed = client.post(f"/api/v1/operator/sign-in/{challenge['id']}/key", json={"credential": key.get(options)})
    assert replayed.status_code == 404  # the step is done: once
    olga.token = token
    assert olga.delete(f"/api/v1/operator/keys/{made['id']}").status_code == 204
    gone = password_step(olga)
    assert client.post(f"/api/v1/operator/sign-in/{gone['id']}/key/options").json()["code"] == "passkey.not_found"


def test_keys_are_added_right_after_a_sign_in_only(client, kb, sms, mail, clock):
    olga = Operator(client, kb, sms, mail).sign_in_as("petrova")
    clock.advance(minutes=11)
    assert olga.get("/api/v1/operator/keys").status_code == 200  # the session lives on
    stale = olga.post("/api/v1/operator/keys/options")
    assert stale.status_code == 403 and stale.json()["code"] == "operator.sign_in_again"


def test_wrong_keys_copies_and_citizens_passkeys_are_refused(client, kb, sms, mail):
    olga = Operator(client, kb, sms, mail).sign_in_as("petrova")
    key = SoftAuthenticator(ORIGIN)
    add_key(olga, key)
    anna = Operator(client, kb, sms, mail).sign_in_as("ivanova")
    annas = SoftAuthenticator(ORIGIN)
    add_key(anna, annas)
    ivan = demo_citizen(client, kb, sms, mail)
    citizens = SoftAuthenticator(ORIGIN)
    add_passkey(ivan, citizens)
    client.cookies.clear()
    challenge = password_step(olga)
    assert with_key(client, challenge, annas).json()["code"] == "passkey.refused"  # another operator's
    assert with_key(client, challenge, citizens).status_code == 401  # a citizen's passkey is no operator key
    forged = SoftAuthenticator(ORIGIN, credential_id=key.credential_id, user_handle=key.user_handle, rp_id="testserver")
    assert with_key(client, challenge, forged).status_code == 401  # the right id, another key
    assert client.post(f"/api/v1/operator/sign-in/{challenge['id']}/key/options").status_code == 404  # 3 spent
    for _ in range(2):
        assert with_key(client, password_step(olga), key).status_code == 200
    key.sign_count = 0  # a copy made before those sign-ins
    assert with_key(client, password_step(olga), key).status_code == 401


def test_the_app_code_still_signs_in_an_operator_with_a_key(client, kb, sms, mail):
    made = operators.add(kb.ctx, login="sidorova", centre="МФЦ Тверской")
    secret = parse_qs(urlsplit(made.otpauth_uri).query)["secret"][0]

    def by_app() -> dict:
        started = client.post("/api/v1/operator/sign-in", json={"login": "sidorova", "password": made.password})
        assert started.status_code == 202 and started.json()["challenge"]["channel"] == "totp"
        return started.json()["challenge"]

    first = by_app()
    refused = client.post(f"/api/v1/operator/sign-in/{first['id']}/key/options")
    assert refused.status_code == 404 and refused.json()["code"] == "passkey.not_found"  # no key yet: the app
    done = client.post(f"/api/v1/operator/sign-in/{first['id']}/confirm",
                       json={"code": pyotp.TOTP(secret).at(kb.clock.now())})
    sidorova = Operator(client, kb, sms, mail, token=done.json()["operator_token"])
    add_key(sidorova, SoftAuthenticator(ORIGIN))
    kb.clock.advance(seconds=30)  # the next app code (each works once)
    again = by_app()
    done = client.post(f"/api/v1/operator/sign-in/{again['id']}/confirm",
                       json={"code": pyotp.TOTP(secret).at(kb.clock.now())})
    assert done.status_code == 200 and done.json()["operator_token"], done.text


def test_the_console_pages_offer_the_key_and_the_key_sign_in_sets_the_consoles_cookie(client, kb, sms, mail):
    olga = Operator(client, kb, sms, mail).sign_in_as("petrova")
    key = SoftAuthenticator(ORIGIN)
    client.cookies.set("kabinet_operator", olga.token, path="/operator")
    page = client.get("/operator/keys")
    assert page.status_code == 200 and 'data-passkey="add"' in page.text and 'data-api="/operator/keys"' in page.text
    options = client.post("/operator/keys/options")  # the console page's script: JSON under /operator
    assert options.status_code == 200, options.text
    made = client.post("/operator/keys", json={"name": "Ключ", "credential": key.create(options.json()["options"])})
    assert made.status_code == 201, made.text
    assert "Ключ" in client.get("/operator/keys").text
    client.cookies.clear()
    challenge = password_step(olga)
    code_page = client.get(f"/operator/code/{challenge['id']}")
    assert 'data-passkey="operator-key"' in code_page.text and f'data-challenge="{challenge["id"]}"' in code_page.text
    signed = with_key(client, challenge, key)
    assert signed.status_code == 200 and client.cookies.get("kabinet_operator") == signed.json()["operator_token"]
    assert client.get("/operator/visits/new").status_code == 200  # the console opens with that cookie
