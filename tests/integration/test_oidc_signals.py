"""Security events to relying services beside the RISC ones (issue 23): CAEP 1.0 ``session-revoked``,
``credential-change`` for a password and ``assurance-level-change``, each a signed SET POSTed from the outbox to a
real HTTP endpoint of the service and verified against the JWKS; and the Shared Signals Framework 1.0 transmitter:
its metadata, each service's push stream, its status (paused holds, disabled drops) and the verification event."""

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
from tests.integration.test_oidc import jwks, register, signed_in_browser
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


# --- Shared Signals Framework 1.0: the transmitter's metadata and each service's push stream -------------------

SSF = "https://schemas.openid.net/secevent/ssf/event-type/"


def test_the_ssf_metadata_names_the_endpoints_and_push_delivery(live):
    meta = httpx.get(f"{live.base}/.well-known/ssf-configuration").json()
    assert meta["spec_version"] == "1_0" and meta["issuer"] == live.base
    assert meta["jwks_uri"] == f"{live.base}/oidc/jwks" and meta["delivery_methods_supported"] == ["urn:ietf:rfc:8935"]
    assert (meta["configuration_endpoint"], meta["status_endpoint"], meta["verification_endpoint"]) == (
        f"{live.base}/ssf/stream", f"{live.base}/ssf/status", f"{live.base}/ssf/verify")
    assert meta["authorization_schemes"]


def test_a_service_reads_its_one_push_stream_by_its_client_credentials(live, sms):
    made = register(live)
    endpoint = httpx.get(f"{live.base}/.well-known/ssf-configuration").json()["configuration_endpoint"]
    mine = (made.client_id, made.client_secret)
    streams = httpx.get(endpoint, auth=mine)
    assert streams.status_code == 200 and streams.headers["cache-control"] == "no-store"
    stream, = streams.json()  # without stream_id: the list of the receiver's streams (SSF 1.0 §8.1.1.2)
    assert httpx.get(endpoint, params={"stream_id": made.client_id}, auth=mine).json() == stream
    assert stream["stream_id"] == made.client_id and stream["iss"] == live.base and stream["aud"] == made.client_id
    assert stream["delivery"] == {"method": "urn:ietf:rfc:8935",
                                  "endpoint_url": f"http://127.0.0.1:{live.receiver.server_address[1]}/events"}
    assert {CAEP + "session-revoked", CAEP + "credential-change", CAEP + "assurance-level-change",
            RISC + "identifier-changed"} <= set(stream["events_supported"])
    assert stream["events_requested"] == stream["events_delivered"] == stream["events_supported"]
    assert httpx.get(endpoint, auth=(made.client_id, "wrong")).status_code == 401
    assert httpx.get(endpoint).json()["error"] == "invalid_client"
    other = register(live, events=False)  # registered without --events-uri: no stream
    assert httpx.get(endpoint, auth=(other.client_id, other.client_secret)).status_code == 404
    assert httpx.get(endpoint, params={"stream_id": other.client_id}, auth=mine).status_code == 404  # not its own
    assert httpx.post(endpoint, json={"delivery": {"method": "urn:ietf:rfc:8935", "endpoint_url": "https://x"}},
                      auth=mine).status_code == 405  # streams are registered by kabinet client add, not over HTTP


def test_a_paused_stream_holds_its_events_until_enabled_and_a_disabled_one_drops_them(live, sms):
    made, _rp, browser, token = connected(live, sms)
    mine, status = (made.client_id, made.client_secret), f"{live.base}/ssf/status"
    assert httpx.get(status, params={"stream_id": made.client_id}, auth=mine).json() == {
        "stream_id": made.client_id, "status": "enabled"}
    events(live)
    paused = httpx.post(status, json={"stream_id": made.client_id, "status": "paused", "reason": "maintenance"},
                        auth=mine)
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    assert browser.post("/api/v1/sign-out", headers=api(browser)).status_code == 204
    assert events(live) == []  # held in the outbox
    assert httpx.post(status, json={"stream_id": made.client_id, "status": "enabled"}, auth=mine).status_code == 200
    (uri, payload), = events(live)
    assert uri == CAEP + "session-revoked" and payload["subject"]["session"]["id"] == id_claims(live, token)["sid"]
    assert httpx.post(status, json={"stream_id": made.client_id, "status": "disabled"}, auth=mine).status_code == 200
    browser = signed_in_browser(live, sms)
    url, _verifier, _nonce = authorize_url(live, made, _rp)
    assert browser.get(url).status_code == 303
    assert browser.post("/api/v1/sign-out", headers=api(browser)).status_code == 204
    httpx.post(status, json={"stream_id": made.client_id, "status": "enabled"}, auth=mine)
    assert events(live) == []  # dropped, not held
    wrong = httpx.post(status, json={"stream_id": made.client_id, "status": "off"}, auth=mine)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_request"


def test_a_pause_holds_events_queued_before_it_and_a_disable_drops_them(live, sms):
    made, _rp, browser, token = connected(live, sms)
    mine, status = (made.client_id, made.client_secret), f"{live.base}/ssf/status"
    events(live)
    assert browser.post("/api/v1/sign-out", headers=api(browser)).status_code == 204  # queued, not yet sent
    httpx.post(status, json={"stream_id": made.client_id, "status": "paused"}, auth=mine)
    assert events(live) == []  # the pause caught it in the outbox
    httpx.post(status, json={"stream_id": made.client_id, "status": "enabled"}, auth=mine)
    (uri, payload), = events(live)
    assert uri == CAEP + "session-revoked" and payload["subject"]["session"]["id"] == id_claims(live, token)["sid"]
    browser = signed_in_browser(live, sms)
    assert browser.get(authorize_url(live, made, _rp)[0]).status_code == 303
    assert browser.post("/api/v1/sign-out", headers=api(browser)).status_code == 204  # queued again
    httpx.post(status, json={"stream_id": made.client_id, "status": "disabled"}, auth=mine)
    httpx.post(status, json={"stream_id": made.client_id, "status": "enabled"}, auth=mine)
    assert events(live) == []  # a disable drops what was still waiting too


def test_a_verification_request_sends_the_verification_event_with_its_state(live, sms):
    made = register(live)
    mine = (made.client_id, made.client_secret)
    events(live)
    asked = httpx.post(f"{live.base}/ssf/verify", json={"stream_id": made.client_id, "state": "VGhpcyBpcyBh"},
                       auth=mine)
    assert asked.status_code == 204
    drain(live.kb.courier)
    (kind, body), = live.receiver.received
    live.receiver.received.clear()
    token = jwt.decode(body, jwks(live))
    assert kind == "application/secevent+jwt" and token.header["typ"] == "secevent+jwt"
    assert token.claims["aud"] == made.client_id and token.claims["iss"] == live.base
    assert token.claims["sub_id"] == {"format": "opaque", "id": made.client_id}
    assert token.claims["events"] == {SSF + "verification": {"state": "VGhpcyBpcyBh"}}
    assert httpx.post(f"{live.base}/ssf/verify", content=b"[1]", auth=mine).status_code == 400
