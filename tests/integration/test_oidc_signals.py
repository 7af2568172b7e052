"""Security events to relying services beside the RISC ones (issue 23): CAEP 1.0 ``session-revoked``,
``credential-change`` for a password and ``assurance-level-change``, each a signed SET POSTed from the outbox to a
real HTTP endpoint of the service and verified against the JWKS."""

from __future__ import annotations

from typing import Any

import httpx
from joserfc import jwt
from sqlalchemy import update

from kabinet.delivery.worker import drain
from kabinet.demo import SNILS
from kabinet.store.models import Account
from tests.integration.helpers import PASSWORD
from tests.integration.test_centre import PASSPORT, Operator
from tests.integration.test_oidc import jwks
from tests.integration.test_oidc_basic_op import authorize_url, connected, id_claims, sign_in_again

CAEP = "https://schemas.openid.net/secevent/caep/event-type/"
RISC = "https://schemas.openid.net/secevent/risc/event-type/"


def events(live) -> list[tuple[str, dict[str, Any]]]:
    """What the service's endpoint received since the last look: (event type URI, its payload), each verified."""
    drain(live.kb.courier)
    got = []
    for kind, body in live.receiver.received:
        assert kind == "application/secevent+jwt"
        token = jwt.decode(body, jwks(live))
        assert token.header["typ"] == "secevent+jwt" and token.claims["iss"] == live.base
        got.extend(token.claims["events"].items())
    live.receiver.received.clear()
    return got


def api(browser: httpx.Client) -> dict[str, str]:
    return {"Authorization": f"Bearer {browser.cookies['kabinet_session']}"}


def test_a_sign_out_is_a_caep_session_revoked_naming_the_id_tokens_sid(live, sms):
    _made, _rp, browser, token = connected(live, sms)
    claims = id_claims(live, token)
    events(live)
    assert browser.post("/api/v1/sign-out", headers=api(browser)).status_code == 204
    (uri, payload), = events(live)
    assert uri == CAEP + "session-revoked"
    assert payload["subject"] == {"format": "complex",
                                  "user": {"format": "iss_sub", "iss": live.base, "sub": claims["sub"]},
                                  "session": {"format": "opaque", "id": claims["sid"]}}
    assert payload["event_timestamp"] == int(live.kb.clock.now().timestamp())


def test_a_password_change_is_a_caep_credential_change_and_ends_the_other_sessions(live, sms):
    made, rp, browser, token = connected(live, sms)
    second = httpx.Client(base_url=live.base, follow_redirects=False)  # another browser of Ivan's, at the service
    sign_in_again(live, second, sms)
    url, _verifier, _nonce = authorize_url(live, made, rp)
    assert second.get(url).status_code == 303  # agreed before: a code issued in the second session
    events(live)
    changed = browser.post("/api/v1/password", json={"current": PASSWORD, "new": "a brand new secret"},
                           headers=api(browser))
    assert changed.status_code == 204, changed.text
    got = events(live)
    sub = id_claims(live, token)["sub"]
    assert (CAEP + "credential-change", {
        "subject": {"format": "iss_sub", "iss": live.base, "sub": sub},
        "event_timestamp": int(live.kb.clock.now().timestamp()), "credential_type": "password",
        "change_type": "update"}) in got
    assert RISC + "sessions-revoked" in dict(got)
    revoked = [p for u, p in got if u == CAEP + "session-revoked"]  # the second session only: the first is kept
    assert len(revoked) == 1 and revoked[0]["subject"]["session"]["id"] != id_claims(live, token)["sid"]


def test_a_centre_confirming_identity_is_a_caep_assurance_level_change(live, sms, mail):
    _made, _rp, _browser, token = connected(live, sms)
    with live.kb.store.write() as db:
        db.execute(update(Account).values(level="standard"))
    olga = Operator(httpx.Client(base_url=live.base), live.kb, sms, mail).sign_in_as("petrova")
    visit = olga.open_visit(SNILS, PASSPORT).json()["visit"]
    events(live)
    done = olga.post(f"/api/v1/operator/visits/{visit['id']}/confirm-identity", {"reason": "паспорт предъявлен"})
    assert done.status_code == 200, done.text
    (uri, payload), = events(live)
    assert uri == CAEP + "assurance-level-change"
    assert {k: payload[k] for k in ("namespace", "current_level", "previous_level", "change_direction")} == {
        "namespace": "custom", "current_level": "confirmed", "previous_level": "standard",
        "change_direction": "increase"}
    assert payload["subject"]["sub"] == id_claims(live, token)["sub"] and payload["initiating_entity"] == "admin"
