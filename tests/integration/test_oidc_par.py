"""Pushed Authorization Requests (RFC 9126; issue 23) against a live server: the client pushes its request to
``/oidc/par`` (authenticated as at the token endpoint), the browser carries only ``client_id`` and the
``request_uri``; the request is checked before any page, kept for one use within a minute, for its own client only;
a client registered with ``--require-par`` is refused a plain request, and answered through sign-in and consent."""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from kabinet.flows.relying import clients
from tests.integration.test_oidc import consent, register, returned, rp_client, signed_in_browser
from tests.integration.test_oidc_basic_op import CALLBACK, discovery, id_claims, query_of, sign_in_again

URN = "urn:ietf:params:oauth:request_uri:"


def request(made: clients.NewClient, **extra: str) -> tuple[dict[str, str], str]:
    """An authorization request's parameters, and the PKCE verifier behind its challenge."""
    verifier = generate_token(48)
    return {"response_type": "code", "client_id": made.client_id, "redirect_uri": CALLBACK,
            "scope": "openid profile", "state": secrets.token_urlsafe(8), "nonce": secrets.token_urlsafe(8),
            "code_challenge": create_s256_code_challenge(verifier), "code_challenge_method": "S256", **extra}, verifier


def push(live, made: clients.NewClient, params: dict[str, str]) -> httpx.Response:
    auth = (made.client_id, made.client_secret) if made.client_secret else None
    return httpx.post(discovery(live)["pushed_authorization_request_endpoint"], data=params, auth=auth)


def at_authorize(live, made: clients.NewClient, request_uri: str, **ignored: str) -> str:
    return f"{discovery(live)['authorization_endpoint']}?" + urlencode(
        {"client_id": made.client_id, "request_uri": request_uri, **ignored})


def test_a_pushed_request_completes_the_code_flow_once_and_the_urls_other_parameters_are_ignored(live, sms):
    made = register(live)
    params, verifier = request(made)
    pushed = push(live, made, params)
    assert pushed.status_code == 201 and pushed.headers["cache-control"] == "no-store"
    assert pushed.json()["expires_in"] == 60 and pushed.json()["request_uri"].startswith(URN)
    request_uri = pushed.json()["request_uri"]
    browser = signed_in_browser(live, sms)
    url = at_authorize(live, made, request_uri, scope="openid phone", state="not-this-one")
    back = returned(consent(browser, url))
    got = query_of(back)
    assert got["state"] == params["state"] and got["iss"] == live.base  # the pushed request's, not the URL's
    token = rp_client(live, made).fetch_token(discovery(live)["token_endpoint"], authorization_response=back,
                                              code_verifier=verifier)
    assert token["scope"] == "openid profile" and id_claims(live, token)["nonce"] == params["nonce"]
    again = browser.get(at_authorize(live, made, request_uri, redirect_uri=CALLBACK))  # single use
    assert again.status_code == 303 and query_of(again.headers["location"])["error"] == "invalid_request_uri"
    assert browser.get(at_authorize(live, made, request_uri)).status_code == 400  # no redirect URI to tell: a page


def test_a_push_is_checked_as_the_authorization_endpoint_would_before_any_page(live, sms):
    made = register(live)
    endpoint = discovery(live)["pushed_authorization_request_endpoint"]
    assert endpoint == f"{live.base}/oidc/par"
    assert discovery(live)["require_pushed_authorization_requests"] is False
    params, _verifier = request(made)
    for wrong, error in (({"redirect_uri": "http://127.0.0.1:9/elsewhere"}, "invalid_request"),
                         ({"code_challenge": ""}, "invalid_request"), ({"response_type": "token"},
                                                                       "unsupported_response_type"),
                         ({"scope": "profile"}, "invalid_scope"), ({"request_uri": URN + "x"}, "invalid_request"),
                         ({"prompt": "none login"}, "invalid_request")):
        answer = push(live, made, params | wrong)
        assert answer.status_code == 400 and answer.json()["error"] == error, (wrong, answer.text)
    stranger = httpx.post(endpoint, data=params, auth=(made.client_id, "not-the-secret"))
    assert stranger.status_code == 401 and stranger.json()["error"] == "invalid_client"
    other = register(live)
    assert push(live, other, params).json()["error"] == "invalid_request"  # client_id of another client
    app = clients.add(live.kb.ctx, name="Приложение", redirect_uris=[CALLBACK], public=True)
    assert push(live, app, request(app)[0]).status_code == 201  # a public client: client_id alone


def test_a_request_uri_expires_in_a_minute_and_serves_only_its_own_client(live, sms, clock):
    made, other = register(live), register(live)
    browser = signed_in_browser(live, sms)
    stale = push(live, made, request(made)[0]).json()["request_uri"]
    clock.advance(seconds=61)
    late = browser.get(at_authorize(live, made, stale, redirect_uri=CALLBACK))
    assert query_of(late.headers["location"])["error"] == "invalid_request_uri"
    theirs = push(live, made, request(made)[0]).json()["request_uri"]
    borrowed = browser.get(at_authorize(live, other, theirs, redirect_uri=CALLBACK))
    assert query_of(borrowed.headers["location"])["error"] == "invalid_request_uri"
    made_up = browser.get(at_authorize(live, made, "https://rp.example/request.jwt", redirect_uri=CALLBACK))
    assert query_of(made_up.headers["location"])["error"] == "invalid_request_uri"
    assert returned(consent(browser, at_authorize(live, made, theirs))).count("code=") == 1  # still unspent


def test_a_client_that_requires_par_is_refused_a_plain_request_and_answered_through_sign_in(live, sms):
    made = clients.add(live.kb.ctx, name="Налоги", redirect_uris=[CALLBACK], require_par=True)
    params, verifier = request(made)
    plain = httpx.get(f"{discovery(live)['authorization_endpoint']}?{urlencode(params)}")
    assert plain.status_code == 303
    assert query_of(plain.headers["location"])["error"] == "invalid_request"
    assert query_of(plain.headers["location"])["state"] == params["state"]
    request_uri = push(live, made, params).json()["request_uri"]
    browser = httpx.Client(base_url=live.base, follow_redirects=False)  # signed out: the sign-in comes first
    to_sign_in = browser.get(at_authorize(live, made, request_uri))
    assert to_sign_in.status_code == 303 and to_sign_in.headers["location"].startswith("/sign-in?")
    back_to = query_of(to_sign_in.headers["location"])["next"]
    assert "request_uri" not in back_to and "kabinet_par=" in back_to
    sign_in_again(live, browser, sms)
    forged = browser.get(re.sub(r"kabinet_par=[^&]+", "kabinet_par=1.abc", back_to))
    assert query_of(forged.headers["location"])["error"] == "invalid_request"
    widened = browser.get(back_to.replace("scope=openid+profile", "scope=openid+profile+phone"))
    assert query_of(widened.headers["location"])["error"] == "invalid_request"  # the mark covers the parameters
    back = returned(consent(browser, back_to))
    token = rp_client(live, made).fetch_token(discovery(live)["token_endpoint"], authorization_response=back,
                                              code_verifier=verifier)
    assert id_claims(live, token)["aud"] == made.client_id
