"""A passkey as one proof in a recovery (issue 24, audit 5): after the first code, the account's own passkey — past its
cooling-off — serves as the second proof, over the API and on the recovery page (passkeys.js); one added within the
cooling-off is refused (``contact.too_new``), and never offered. A passkey that proved the recovery stays when the
new password removes the newer ones."""

from __future__ import annotations

from sqlalchemy import select

from kabinet.demo import PHONE
from kabinet.store.models import Event
from tests.integration.helpers import demo_citizen
from tests.integration.test_passkeys import ORIGIN, add_passkey, passkey_sign_in
from tests.integration.test_passkeys_cooling import names, with_an_old_and_a_new_passkey
from tests.integration.test_recovery import NEW_PASSWORD, recover
from tests.webauthn_soft import SoftAuthenticator, b64


def first_proof(client, ivan) -> tuple[str, dict]:
    client.cookies.clear()
    started = recover(ivan, PHONE)
    first = client.post(f"/api/v1/challenges/{started['challenge']['id']}/confirm",
                        json={"code": ivan.code_for(PHONE)})
    assert first.status_code == 200, first.text
    return started["recovery_id"], first.json()


def test_an_old_passkey_is_the_second_proof_and_a_new_one_is_refused(client, kb, sms, mail, clock):
    ivan, own, intruder = with_an_old_and_a_new_passkey(client, kb, sms, mail, clock)
    rid, first = first_proof(client, ivan)
    assert first["next"] == "challenge" and {"kind": "passkey"} in first["alternatives"]
    options = client.post(f"/api/v1/recovery/{rid}/passkey/options")
    assert options.status_code == 200, options.text
    assert [c["id"] for c in options.json()["options"]["allowCredentials"]] == [b64(own.credential_id)]
    refused = client.post(f"/api/v1/recovery/{rid}/passkey", json={"credential": intruder.get(
        options.json()["options"])})
    assert refused.status_code == 409 and refused.json()["code"] == "contact.too_new"
    options = client.post(f"/api/v1/recovery/{rid}/passkey/options").json()["options"]
    used = client.post(f"/api/v1/recovery/{rid}/passkey", json={"credential": own.get(options)})
    replayed = client.post(f"/api/v1/recovery/{rid}/passkey", json={"credential": own.get(options)})
    assert used.status_code == 200 and used.json()["next"] == "password", used.text
    assert replayed.status_code == 404  # the second proof is in: the step is done
    with kb.store.read() as db:
        proofs = [e.details.get("proof") for e in db.scalars(select(Event).where(Event.type == "recovery:proof"))]
    assert proofs == ["phone", "passkey"]
    assert client.post(f"/api/v1/recovery/{rid}/password", json={"password": NEW_PASSWORD}).status_code == 204
    assert names(kb) == ["Мой телефон"]  # the proving passkey stays; the new one went
    client.cookies.clear()
    assert passkey_sign_in(client, own).status_code == 200


def test_a_new_passkey_is_not_offered_and_a_forged_answer_is_refused(client, kb, sms, mail):
    ivan = demo_citizen(client, kb, sms, mail)
    key = SoftAuthenticator(ORIGIN)
    add_passkey(ivan, key)  # new: within the cooling-off
    rid, first = first_proof(client, ivan)
    assert {"kind": "passkey"} not in first["alternatives"]
    refused = client.post(f"/api/v1/recovery/{rid}/passkey/options")
    assert refused.status_code == 404 and refused.json()["code"] == "passkey.not_found"
    forged = {"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {"clientDataJSON": "e30"}}
    assert client.post(f"/api/v1/recovery/{rid}/passkey", json={"credential": forged}).status_code == 401


def test_the_recovery_page_offers_the_passkey_with_passkeys_js(client, kb, sms, mail, clock):
    ivan, _own, _intruder = with_an_old_and_a_new_passkey(client, kb, sms, mail, clock)
    rid, _first = first_proof(client, ivan)
    page = client.get(f"/recover/{rid}")
    assert page.status_code == 200
    assert 'data-passkey="recovery"' in page.text and f'data-recovery="{rid}"' in page.text
    assert "/static/passkeys.js" in page.text
    assert 'action="/recover/' in page.text  # the other proofs stay forms that work without JavaScript
    assert 'recovery: function' in client.get("/static/passkeys.js").text
