"""Relying services to the standard (issue 23), shaped after the OpenID Foundation's Basic OP certification plan
(oidcc-basic-certification-test-plan): each check by its name, against a live server on loopback HTTP, Authlib's
client where a client library acts, a real HTTP endpoint of the service for back-channel logout tokens. Plus
RP-Initiated Logout and Back-Channel Logout 1.0, and a native app's loopback redirect on any port."""

from __future__ import annotations

import re
import secrets
import socket
from urllib.parse import parse_qs, urlsplit

import httpx
from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jwt

from kabinet.delivery.worker import drain
from kabinet.demo import PHONE
from kabinet.flows.relying import clients
from kabinet.security import keys
from kabinet.texts import translate
from kabinet.web.oidc.authorization import NEEDS_TEXTS
from tests.integration.helpers import PASSWORD
from tests.integration.test_oidc import (
    consent,
    jwks,
    register,
    returned,
    rp_client,
    signed_in_browser,
)

CALLBACK = "http://127.0.0.1:9/callback"


def discovery(live) -> dict:
    return httpx.get(f"{live.base}/.well-known/openid-configuration").json()


def authorize_url(live, made, rp: OAuth2Client, **extra: str) -> tuple[str, str, str]:
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    url, _state = rp.create_authorization_url(discovery(live)["authorization_endpoint"], code_verifier=verifier,
                                             nonce=nonce, **extra)
    return url, verifier, nonce


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def sign_in_again(live, browser: httpx.Client, sms) -> None:
    """The cabinet's own two steps once more, in the same browser: a new session, a new cookie."""
    started = browser.post("/api/v1/sign-in", json={"login": PHONE, "password": PASSWORD}).json()["challenge"]
    done = browser.post(f"/api/v1/challenges/{started['id']}/confirm", json={"code": live.code(sms, PHONE)})
    assert done.status_code == 200, done.text


def connected(live, sms, **client_options):
    """A confidential client, Ivan signed in and agreed once: the ID token of that first sign-in."""
    made = register(live, **client_options)
    rp = rp_client(live, made)
    browser = signed_in_browser(live, sms)
    url, verifier, _nonce = authorize_url(live, made, rp)
    back = returned(consent(browser, url))
    token = rp.fetch_token(discovery(live)["token_endpoint"], authorization_response=back, code_verifier=verifier)
    return made, rp, browser, token


def id_claims(live, token: dict) -> dict:
    return jwt.decode(token["id_token"], jwks(live)).claims


# --- oidcc-* checks --------------------------------------------------------------------------------------------

def test_oidcc_server_code_flow_answers_with_a_303_carrying_state_iss_and_an_id_token_with_sid(live, sms):
    made, rp, browser, token = connected(live, sms)
    claims = id_claims(live, token)
    assert {"iss", "sub", "aud", "exp", "iat", "auth_time", "sid", "acr", "nonce"} <= claims.keys()
    url, _verifier, _nonce = authorize_url(live, made, rp)
    again = browser.get(url)  # agreed before: no page at all
    assert again.status_code == 303
    got = query_of(again.headers["location"])
    assert got["iss"] == live.base and "code" in got and got["state"]


def test_oidcc_ensure_registered_redirect_uri(live, sms):
    made = register(live)
    rp = OAuth2Client(client_id=made.client_id, redirect_uri="http://127.0.0.1:9/elsewhere", scope="openid",
                      code_challenge_method="S256")
    url, _v, _n = authorize_url(live, made, rp)
    answer = httpx.get(url)
    assert answer.status_code == 400 and "location" not in answer.headers  # never redirected there


def test_oidcc_prompt_none_not_logged_in_is_login_required_at_the_redirect_uri(live, sms):
    made = register(live)
    url, _v, _n = authorize_url(live, made, rp_client(live, made), prompt="none", state="x" * 128)
    answer = httpx.get(url)
    assert answer.status_code == 303
    got = query_of(answer.headers["location"])
    assert got["error"] == "login_required" and got["state"] == "x" * 128 and got["iss"] == live.base


def test_oidcc_prompt_none_logged_in_answers_silently_and_asks_nothing_not_agreed(live, sms):
    made, rp, browser, token = connected(live, sms)
    url, verifier, _n = authorize_url(live, made, rp, prompt="none")
    silent = browser.get(url)
    assert silent.status_code == 303 and "code" in query_of(silent.headers["location"])
    again = rp.fetch_token(discovery(live)["token_endpoint"], authorization_response=silent.headers["location"],
                           code_verifier=verifier)
    assert id_claims(live, again)["sub"] == id_claims(live, token)["sub"]
    other = register(live)  # not agreed to yet: never a page with prompt=none
    url, _v, _n = authorize_url(live, other, rp_client(live, other), prompt="none")
    assert query_of(browser.get(url).headers["location"])["error"] == "consent_required"
    both = browser.get(url.replace("prompt=none", "prompt=none+login"))
    assert query_of(both.headers["location"])["error"] == "invalid_request"


def test_oidcc_prompt_login_asks_for_a_fresh_sign_in_even_with_a_session(live, sms, clock):
    made, rp, browser, token = connected(live, sms)
    first = id_claims(live, token)
    clock.advance(seconds=5)
    url, verifier, _n = authorize_url(live, made, rp, prompt="login")
    to_sign_in = browser.get(url)
    assert to_sign_in.status_code == 303 and to_sign_in.headers["location"].startswith("/sign-in?")
    asked = query_of(to_sign_in.headers["location"])
    assert asked["reauth"] == "1"
    page = browser.get(to_sign_in.headers["location"])
    assert page.status_code == 200 and 'id="f-password"' in page.text  # the form, though signed in
    clock.advance(seconds=1)
    sign_in_again(live, browser, sms)
    done = browser.get(asked["next"])  # back to the authorization the sign-in was for
    assert done.status_code == 303 and "code" in query_of(done.headers["location"])  # no loop
    fresh = rp.fetch_token(discovery(live)["token_endpoint"], authorization_response=done.headers["location"],
                           code_verifier=verifier)
    assert id_claims(live, fresh)["auth_time"] > first["auth_time"]
    forged = browser.get(asked["next"].replace("kabinet_fresh=", "kabinet_fresh=1"))  # a marker not ours
    assert forged.headers["location"].startswith("/sign-in?"), "a forged fresh-sign-in marker was believed"


def test_oidcc_max_age_1_after_a_wait_signs_in_again_and_auth_time_is_there(live, sms, clock):
    made, rp, browser, _token = connected(live, sms)
    url, _v, _n = authorize_url(live, made, rp, max_age="10000")
    assert "code" in query_of(browser.get(url).headers["location"])  # recent enough: no page
    clock.advance(seconds=2)
    url, verifier, _n = authorize_url(live, made, rp, max_age="1")
    answer = browser.get(url)
    assert answer.headers["location"].startswith("/sign-in?")
    silent = browser.get(url + "&prompt=none")
    assert query_of(silent.headers["location"])["error"] == "login_required"
    clock.advance(seconds=1)
    sign_in_again(live, browser, sms)
    done = browser.get(query_of(answer.headers["location"])["next"])
    fresh = rp.fetch_token(discovery(live)["token_endpoint"], authorization_response=done.headers["location"],
                           code_verifier=verifier)
    assert "auth_time" in id_claims(live, fresh)
    assert browser.get(url.replace("max_age=1", "max_age=one")).headers["location"].count("invalid_request") == 1


def test_oidcc_id_token_hint(live, sms):
    made, rp, browser, token = connected(live, sms)
    url, _v, _n = authorize_url(live, made, rp, prompt="none", id_token_hint=token["id_token"])
    assert "code" in query_of(browser.get(url).headers["location"])
    with live.kb.store.read() as db:  # a security event is signed with the same keys, and is no ID token
        event = keys.sign(db, live.kb.ctx.key_sealer, live.kb.clock.now(),
                          {"iss": live.base, "aud": made.client_id, "sub": "x", "events": {}}, typ="secevent+jwt")
    url, _v, _n = authorize_url(live, made, rp, prompt="none", id_token_hint=event)
    assert query_of(browser.get(url).headers["location"])["error"] == "invalid_request"
    other = register(live)
    url, _v, _n = authorize_url(live, other, rp_client(live, other), prompt="none", id_token_hint=token["id_token"])
    assert query_of(browser.get(url).headers["location"])["error"] == "invalid_request"  # another service's


def test_oidcc_id_token_hint_for_another_citizen_is_login_required(live, sms):
    made, rp, browser, token = connected(live, sms)
    mine = id_claims(live, token)
    with live.kb.store.read() as db:  # a well-signed ID token of this service, for someone else
        theirs = keys.sign(db, live.kb.ctx.key_sealer, live.kb.clock.now(), {
            **mine, "sub": "someone-else-" + secrets.token_hex(8), "sid": "x"})
    url, _v, _n = authorize_url(live, made, rp, prompt="none", id_token_hint=theirs)
    got = query_of(browser.get(url).headers["location"])
    assert got["error"] == "login_required" and "code" not in got


def test_oidcc_prompt_consent_asks_again_though_agreed(live, sms):
    made, rp, browser, _token = connected(live, sms)
    url, _v, _n = authorize_url(live, made, rp)
    assert browser.get(url).status_code == 303  # agreed before: straight back
    url, _v, _n = authorize_url(live, made, rp, prompt="consent")
    asked = browser.get(url)
    assert asked.status_code == 200 and "form-action 'self' http://127.0.0.1:9" in \
        asked.headers["content-security-policy"]  # the consent page again, its form allowed to go back
    back = returned(consent(browser, url))
    assert "code" in query_of(back)


def test_oidcc_login_hint_and_ui_locales_reach_the_sign_in_page(live, sms):
    made = register(live)
    url, _v, _n = authorize_url(live, made, rp_client(live, made), login_hint="+79001234567", ui_locales="en-GB ru")
    anonymous = httpx.Client(base_url=live.base, follow_redirects=False)
    to_sign_in = anonymous.get(url)
    page = anonymous.get(to_sign_in.headers["location"])
    assert 'value="+79001234567"' in page.text and "<h1>Sign in</h1>" in page.text


def test_oidcc_acr_values_met_and_unmet(live, sms):
    made, rp, browser, _token = connected(live, sms)
    url, verifier, _n = authorize_url(live, made, rp, acr_values="standard")
    met = browser.get(url)
    fresh = rp.fetch_token(discovery(live)["token_endpoint"], authorization_response=met.headers["location"],
                           code_verifier=verifier)
    assert id_claims(live, fresh)["acr"] == "confirmed"  # the level actually held
    api = {"Authorization": f"Bearer {browser.cookies['kabinet_session']}"}
    with live.kb.store.write() as db:
        from sqlalchemy import update

        from kabinet.store.models import Account
        db.execute(update(Account).values(level="standard"))
    url, _v, _n = authorize_url(live, made, rp, acr_values="confirmed")
    unmet = browser.get(url)
    assert unmet.status_code == 403 and translate("ru", NEEDS_TEXTS["level:confirmed"]) in unmet.text
    silent = browser.get(url + "&prompt=none")
    assert query_of(silent.headers["location"])["error"] == "interaction_required"
    assert browser.get("/api/v1/me", headers=api).json()["level"] == "standard"


def test_oidcc_unsigned_request_object_and_request_uri_are_refused_as_unsupported(live, sms):
    made = register(live)
    url, _v, _n = authorize_url(live, made, rp_client(live, made))
    assert query_of(httpx.get(url + "&request=eyJhbGciOiJub25lIn0.e30.").headers["location"])["error"] == \
        "request_not_supported"
    # A request_uri not from a pushed authorization request (RFC 9126, test_oidc_par.py) is no request of ours
    assert query_of(httpx.get(url + "&request_uri=https%3A%2F%2Frp.example%2Freq").headers["location"])["error"] == \
        "invalid_request_uri"
    assert discovery(live)["request_uri_parameter_supported"] is False


def test_oidcc_userinfo_get_and_post_and_refresh_token_rotation_keep_sid(live, sms):
    made, _rp, _browser, token = connected(live, sms)
    endpoint = discovery(live)["userinfo_endpoint"]
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    assert httpx.get(endpoint, headers=bearer).json() == httpx.post(endpoint, headers=bearer).json()
    first = id_claims(live, token)
    refreshed = httpx.post(discovery(live)["token_endpoint"], data={
        "grant_type": "refresh_token", "refresh_token": token["refresh_token"], "client_id": made.client_id,
        "client_secret": made.client_secret}).json()
    again = id_claims(live, refreshed)
    assert refreshed["refresh_token"] != token["refresh_token"] and "nonce" not in again
    assert (again["sid"], again["auth_time"], again["sub"]) == (first["sid"], first["auth_time"], first["sub"])


def test_oidcc_jwks_rotation_new_tokens_signed_by_the_new_key_old_one_still_published(live, sms):
    made, rp, browser, token = connected(live, sms)
    old_kid = jwt.decode(token["id_token"], jwks(live)).header["kid"]
    with live.kb.store.write() as db:
        new = keys.rotate(db, live.kb.ctx.key_sealer, live.kb.clock.now(), keys_keep())
    url, verifier, _n = authorize_url(live, made, rp)
    back = browser.get(url).headers["location"]
    fresh = rp.fetch_token(discovery(live)["token_endpoint"], authorization_response=back, code_verifier=verifier)
    assert jwt.decode(fresh["id_token"], jwks(live)).header["kid"] == new.kid
    assert {k["kid"] for k in jwks(live).keys} >= {old_kid, new.kid}


def keys_keep():
    from kabinet.policy import OIDC_KEY_KEEP

    return OIDC_KEY_KEEP


def test_oidcc_codereuse_revokes_what_the_code_gave(live, sms):
    made = register(live)
    rp = rp_client(live, made)
    browser = signed_in_browser(live, sms)
    url, verifier, _n = authorize_url(live, made, rp)
    back = returned(consent(browser, url))
    token = rp.fetch_token(discovery(live)["token_endpoint"], authorization_response=back, code_verifier=verifier)
    code = query_of(back)["code"]
    reused = httpx.post(discovery(live)["token_endpoint"], data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "code_verifier": verifier,
        "client_id": made.client_id, "client_secret": made.client_secret})
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    userinfo = discovery(live)["userinfo_endpoint"]
    assert httpx.get(userinfo, headers={"Authorization": f"Bearer {token['access_token']}"}).status_code == 401


# --- logout ----------------------------------------------------------------------------------------------------

def test_a_sign_out_in_the_cabinet_sends_a_back_channel_logout_token_with_the_sid_of_the_id_token(live, sms):
    made, _rp, browser, token = connected(live, sms, events=False)
    with live.kb.store.write() as db:
        from kabinet.store.models import OidcClient

        db.get(OidcClient, made.client_id).backchannel_logout_uri = \
            f"http://127.0.0.1:{live.receiver.server_address[1]}/logout"
    live.receiver.received.clear()
    assert browser.post("/api/v1/sign-out", headers={
        "Authorization": f"Bearer {browser.cookies['kabinet_session']}"}).status_code == 204
    drain(live.kb.courier)
    (kind, body), = live.receiver.received
    assert kind == "application/x-www-form-urlencoded"
    logout = jwt.decode(parse_qs(body)["logout_token"][0], jwks(live))
    assert logout.header["typ"] == "logout+jwt"
    claims, first = logout.claims, id_claims(live, token)
    assert claims["sid"] == first["sid"] and claims["sub"] == first["sub"] and claims["aud"] == made.client_id
    assert claims["events"] == {"http://schemas.openid.net/event/backchannel-logout": {}}
    assert "nonce" not in claims and claims["exp"] > claims["iat"]
    userinfo = discovery(live)["userinfo_endpoint"]  # what the service got in that session ended with it
    assert httpx.get(userinfo, headers={"Authorization": f"Bearer {token['access_token']}"}).status_code == 401


def logout_tokens(live) -> list[dict]:
    drain(live.kb.courier)
    return [jwt.decode(parse_qs(body)["logout_token"][0], jwks(live)).claims
            for kind, body in live.receiver.received if kind == "application/x-www-form-urlencoded"]


def listening_for_logout(live, made) -> None:
    with live.kb.store.write() as db:
        from kabinet.store.models import OidcClient

        db.get(OidcClient, made.client_id).backchannel_logout_uri = \
            f"http://127.0.0.1:{live.receiver.server_address[1]}/logout"
    live.receiver.received.clear()


def test_a_session_revoked_from_another_and_a_disconnect_each_send_a_back_channel_logout(live, sms):
    made, _rp, _browser, token = connected(live, sms, events=False)
    listening_for_logout(live, made)
    other = signed_in_browser(live, sms)  # the citizen on another device ends the browser's session
    bearer = {"Authorization": f"Bearer {other.cookies['kabinet_session']}"}
    (mine,) = [s for s in other.get("/api/v1/sessions", headers=bearer).json()["sessions"] if not s["current"]]
    assert other.delete(f"/api/v1/sessions/{mine['id']}", headers=bearer).status_code == 204
    (revoked,) = logout_tokens(live)
    assert revoked["sid"] == id_claims(live, token)["sid"] and revoked["aud"] == made.client_id
    live.receiver.received.clear()
    grant = other.get("/api/v1/connected-services", headers=bearer).json()
    grant_id = next(iter(grant.values()))[0]["id"]
    assert other.delete(f"/api/v1/connected-services/{grant_id}", headers=bearer).status_code == 204
    (disconnected,) = logout_tokens(live)  # the service itself is let go: every session of it, by sub
    assert disconnected["sub"] == id_claims(live, token)["sub"] and "sid" not in disconnected


def test_rp_initiated_logout_with_a_hint_ends_the_session_and_goes_back_with_state(live, sms):
    after = "http://127.0.0.1:9/signed-out"
    made = clients.add(live.kb.ctx, name="Запись к врачу", redirect_uris=[CALLBACK], post_logout_redirect_uris=[after])
    rp = rp_client(live, made)
    browser = signed_in_browser(live, sms)
    url, verifier, _n = authorize_url(live, made, rp)
    back = returned(consent(browser, url))
    token = rp.fetch_token(discovery(live)["token_endpoint"], authorization_response=back, code_verifier=verifier)
    end = discovery(live)["end_session_endpoint"]
    assert end == f"{live.base}/oidc/logout"
    wrong = browser.get(end, params={"id_token_hint": token["id_token"], "post_logout_redirect_uri": CALLBACK})
    assert wrong.status_code == 400 and "location" not in wrong.headers  # not registered for after logout
    session_token = browser.cookies["kabinet_session"]
    out = browser.get(end, params={"id_token_hint": token["id_token"], "post_logout_redirect_uri": after,
                                   "state": "bye-1"})
    assert out.status_code == 303 and out.headers["location"] == f"{after}?state=bye-1"
    assert "kabinet_session" not in browser.cookies  # the cookie cleared, and the session itself ended
    assert httpx.get(f"{live.base}/api/v1/me", headers={"Authorization": f"Bearer {session_token}"}).status_code == 401
    gone = browser.get(end, params={"id_token_hint": token["id_token"], "post_logout_redirect_uri": after})
    assert gone.status_code == 303, "a session already ended is no error"


def test_rp_initiated_logout_without_a_hint_asks_first(live, sms):
    after = "http://127.0.0.1:9/signed-out"
    made = clients.add(live.kb.ctx, name="Запись к врачу", redirect_uris=[CALLBACK], post_logout_redirect_uris=[after])
    browser = signed_in_browser(live, sms)
    page = browser.get("/oidc/logout", params={"client_id": made.client_id, "post_logout_redirect_uri": after,
                                               "state": "s2"})
    assert page.status_code == 200 and "Выйти из личного кабинета?" in page.text
    assert "form-action 'self' http://127.0.0.1:9" in page.headers["content-security-policy"]
    assert browser.get("/api/v1/me", headers={
        "Authorization": f"Bearer {browser.cookies['kabinet_session']}"}).status_code == 200  # not yet
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    done = browser.post("/oidc/logout/confirm", data={"client_id": made.client_id, "post_logout_redirect_uri": after,
                                                      "state": "s2", "csrf_token": token})
    assert done.status_code == 303 and done.headers["location"] == f"{after}?state=s2"


def test_a_native_app_with_a_loopback_redirect_on_any_port_completes_the_flow(live, sms):
    made = clients.add(live.kb.ctx, name="Госуслуги для Linux", redirect_uris=["http://127.0.0.1/callback"],
                       public=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    redirect = f"http://127.0.0.1:{port}/callback"
    app = OAuth2Client(client_id=made.client_id, redirect_uri=redirect, scope="openid", code_challenge_method="S256",
                       token_endpoint_auth_method="none")
    browser = signed_in_browser(live, sms)
    url, verifier, _n = authorize_url(live, made, app)
    back = returned(consent(browser, url))
    assert back.startswith(redirect)
    token = app.fetch_token(discovery(live)["token_endpoint"], authorization_response=back, code_verifier=verifier)
    assert id_claims(live, token)["aud"] == made.client_id
    confidential = register(live)  # only apps (public clients): a confidential one's port must match exactly
    rp = OAuth2Client(client_id=confidential.client_id, redirect_uri=f"http://127.0.0.1:{port}/callback",
                      scope="openid", code_challenge_method="S256")
    url, _v, _n = authorize_url(live, confidential, rp)
    assert httpx.get(url).status_code == 400
