"""A trusted person's approval confirmed by a passkey (issue 24, audit 7; flows.shared.purposes: ``trusted_approve``
takes one): the code sent to their phone may be answered by their passkey instead, and a trusted person whose only
way to confirm is a passkey (no app, no contact left to send a code to) is asked for it rather than refused."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from kabinet.demo import PHONE
from kabinet.store.models import Contact
from tests.driver import Citizen
from tests.integration.helpers import PASSWORD, demo_citizen
from tests.integration.test_passkeys import ORIGIN, add_passkey
from tests.integration.test_trusted import NEW_PASSWORD, PETROV, history_types, make_trusted, person
from tests.webauthn_soft import SoftAuthenticator


def asked_to_approve(client, kb, sms, mail) -> tuple[Citizen, Citizen, SoftAuthenticator, dict]:
    ivan = demo_citizen(client, kb, sms, mail)
    client.cookies.clear()
    petrov = person(client, kb, sms, mail, PETROV, "Петров Пётр Петрович")
    key = SoftAuthenticator(ORIGIN)
    add_passkey(petrov, key, "Ключ Петрова")
    make_trusted(ivan, petrov, PETROV)
    assert ivan.post("/api/v1/password", {"current": PASSWORD, "new": NEW_PASSWORD}).status_code == 202
    request = petrov.get("/api/v1/trusted").json()["requests"][0]
    return ivan, petrov, key, request


def approve_with(petrov: Citizen, key: SoftAuthenticator, challenge: dict):
    options = petrov.post(f"/api/v1/challenges/{challenge['id']}/passkey/options")
    assert options.status_code == 200, options.text
    return petrov.post(f"/api/v1/challenges/{challenge['id']}/passkey",
                       {"credential": key.get(options.json()["options"])})


def password_works(client, kb, sms, mail, password: str) -> bool:
    client.cookies.clear()
    probe = Citizen(client, kb, sms, mail)
    return probe.post("/api/v1/sign-in", {"login": PHONE, "password": password}).status_code == 202


def test_a_trusted_person_approves_with_a_passkey_instead_of_the_code(client, kb, sms, mail):
    _ivan, petrov, key, request = asked_to_approve(client, kb, sms, mail)
    started = petrov.post(f"/api/v1/trusted/requests/{request['id']}/approve")
    assert started.status_code == 202 and started.json()["challenge"]["channel"] == "sms"
    done = approve_with(petrov, key, started.json()["challenge"])
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "approved" and done.json()["action"] == "password"
    assert password_works(client, kb, sms, mail, NEW_PASSWORD)
    assert "trusted:approved" in history_types(petrov)


def test_a_trusted_person_whose_only_way_is_a_passkey_is_asked_for_it(client, kb, sms, mail):
    _ivan, petrov, key, request = asked_to_approve(client, kb, sms, mail)
    petrov_id = uuid.UUID(petrov.get("/api/v1/me").json()["id"])
    with kb.store.write() as db:  # every contact of theirs lost (unlinked at a centre, say): a passkey is left
        for contact in db.scalars(select(Contact).where(Contact.account_id == petrov_id)):
            contact.removed_at = kb.clock.now()
    started = petrov.post(f"/api/v1/trusted/requests/{request['id']}/approve")
    assert started.status_code == 202, started.text  # not 409 no_second_channel
    challenge = started.json()["challenge"]
    assert challenge["channel"] == "passkey" and challenge["destination"] is None
    assert petrov.post(f"/api/v1/challenges/{challenge['id']}/resend").status_code == 202  # nothing to resend
    assert petrov.confirm(challenge, "123456").status_code == 400  # no code can answer it
    client.cookies.set("kabinet_session", petrov.token)
    page = client.get(f"/confirm/{challenge['id']}?next=/trusted")
    assert page.status_code == 200 and 'data-passkey="answer"' in page.text and 'name="code"' not in page.text
    client.cookies.clear()
    done = approve_with(petrov, key, challenge)
    assert done.status_code == 200 and done.json()["state"] == "approved", done.text
    assert password_works(client, kb, sms, mail, NEW_PASSWORD)
