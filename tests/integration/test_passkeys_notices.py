"""Who hears of a passkey change (issue 24, audit 6): every add, rename, remove and refused copy is told on every
channel of the account — not the primary contacts only, since whoever added a passkey may hold one of those — and a
refused copy is also sent to connected services as a CAEP credential change. A sign-in by a passkey alone does not
claim a password in the ID token's ``amr`` (RFC 8176). The "this wasn't me" page leads to recovery, where the new
password is set (password sign-in is suspended)."""

from __future__ import annotations

import re
import secrets
import uuid
from urllib.parse import parse_qs, urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select

from kabinet.demo import PHONE
from kabinet.store.models import Contact, Outbox
from tests.integration.helpers import add_verified_email, connect_caep_client, demo_citizen
from tests.integration.test_oidc import (
    consent,
    exchange,
    jwks,
    register,
    returned,
    rp_client,
    signed_in_browser,
)
from tests.integration.test_passkeys import ORIGIN, add_passkey, passkey_sign_in
from tests.secrets import secret_for_contact
from tests.webauthn_soft import SoftAuthenticator

SPARE = "spare.box@example.org"  # a verified address that is not primary


def letters_to(mail, address: str) -> list[str]:
    return [m.text for m in mail.to(address)]


def test_every_passkey_change_reaches_every_channel(client, kb, sms, mail):
    ivan = demo_citizen(client, kb, sms, mail)
    add_verified_email(ivan, SPARE)
    ivan.deliver()
    mail.clear()
    key = SoftAuthenticator(ORIGIN)
    made = add_passkey(ivan, key, "Ноутбук")
    ivan.deliver()
    assert any("Ноутбук" in t for t in letters_to(mail, SPARE)), "the added passkey was not told to every channel"
    renamed = ivan.client.patch(f"/api/v1/passkeys/{made['id']}", json={"name": "Рабочий"}, headers=ivan.auth)
    assert renamed.status_code == 200
    ivan.deliver()
    assert any("Рабочий" in t for t in letters_to(mail, SPARE))
    client.cookies.clear()
    for _ in range(2):
        assert passkey_sign_in(client, key).status_code == 200
        client.cookies.clear()
    key.sign_count = 0
    assert passkey_sign_in(client, key).json()["code"] == "passkey.cloned"
    ivan.deliver()
    assert any("копия" in t for t in letters_to(mail, SPARE)), "the refused copy was not told to every channel"
    assert ivan.delete(f"/api/v1/passkeys/{made['id']}").status_code == 204
    ivan.deliver()
    assert any("удалён ключ доступа «Рабочий»" in t for t in letters_to(mail, SPARE))


def test_a_refused_copy_is_a_credential_change_for_connected_services(client, kb, sms, mail):
    ivan = demo_citizen(client, kb, sms, mail)
    account_id = uuid.UUID(ivan.get("/api/v1/me").json()["id"])
    connect_caep_client(kb, account_id)
    key = SoftAuthenticator(ORIGIN)
    add_passkey(ivan, key)
    client.cookies.clear()
    assert passkey_sign_in(client, key).status_code == 200
    client.cookies.clear()
    key.sign_count = 0
    assert passkey_sign_in(client, key).json()["code"] == "passkey.cloned"
    with kb.store.read() as db:
        pushed = db.scalars(select(Outbox).where(Outbox.channel == "push")).all()
    keys = KeySet.import_key_set(client.get("/oidc/jwks").json())
    change = "https://schemas.openid.net/secevent/caep/event-type/credential-change"
    kinds = [jwt.decode(row.data["set"], keys).claims["events"].get(change, {}).get("change_type") for row in pushed]
    assert kinds == ["create", "update"], kinds


def test_a_passkey_alone_is_not_a_password_in_the_id_token(live, sms):
    made = register(live)
    browser = signed_in_browser(live, sms)
    token = browser.cookies["kabinet_session"]
    bearer = {"Authorization": f"Bearer {token}"}
    key = SoftAuthenticator(live.base)  # the live server's base URL is an IP address: its RP id too
    options = browser.post("/api/v1/passkeys/options", headers=bearer).json()["options"]
    assert browser.post("/api/v1/passkeys", headers=bearer,
                        json={"name": "Ключ", "credential": key.create(options)}).status_code == 201

    def amr_after(signed: httpx.Client) -> list[str]:
        rp = rp_client(live, made, "openid")
        verifier = secrets.token_urlsafe(48)
        url, _state = rp.create_authorization_url(f"{live.base}/oidc/authorize", code_verifier=verifier)
        code = parse_qs(urlsplit(returned(consent(signed, url))).query)["code"][0]
        tokens = exchange(live, made, code, verifier).json()
        return jwt.decode(tokens["id_token"], jwks(live)).claims["amr"]

    assert amr_after(browser) == ["pwd", "otp"]  # a password and an SMS code, as before
    alone = httpx.Client(base_url=live.base, follow_redirects=False)
    request = alone.post("/api/v1/sign-in/passkey/options").json()["options"]
    assert alone.post("/api/v1/sign-in/passkey", json={"credential": key.get(request)}).status_code == 200
    assert amr_after(alone) == ["hwk", "user", "mfa"]
    after_password = httpx.Client(base_url=live.base, follow_redirects=False)
    started = after_password.post("/api/v1/sign-in", json={"login": PHONE, "password": "demo-password-1"}).json()
    path = f"/api/v1/challenges/{started['challenge']['id']}/passkey"
    options = after_password.post(path + "/options").json()["options"]
    assert after_password.post(path, json={"credential": key.get(options)}).status_code == 200
    assert amr_after(after_password) == ["pwd", "hwk", "mfa"]


def test_the_not_me_page_leads_to_recovery(client, kb, sms, mail):
    ivan = demo_citizen(client, kb, sms, mail)
    add_passkey(ivan, SoftAuthenticator(ORIGIN))
    with kb.store.read() as db:
        phone = db.scalars(select(Contact).where(Contact.value == PHONE)).one()
    url = secret_for_contact(kb, phone.id, "security_notice", "not_me_url")
    assert url, "the passkey's notice (now a security notice to every channel) has no 'this wasn't me' link"
    client.cookies.clear()
    page = client.get(urlsplit(url).path + "?" + urlsplit(url).query)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    done = client.post("/not-me", data={"token": url.split("token=")[1], "csrf_token": csrf})
    assert done.status_code == 200
    assert 'href="/recover"' in done.text and "Вход по паролю приостановлен" in done.text
