"""Sign-in notices (issue 24): a sign-in from a browser the account has not been used on is told to the primary
contacts — when, where, which browser, how — with "this wasn't me"; a known browser is not told of; sign-ins close
together go out as one message; a contact may switch them off; the account's first device is remembered quietly."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from fastapi.testclient import TestClient

from kabinet.demo import EMAIL, PHONE, seed
from tests.driver import Citizen
from tests.integration.helpers import PASSWORD, contacts

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def browser(client: TestClient, user_agent: str = FIREFOX) -> TestClient:
    """Another browser on the same server: its own cookies, so its own device."""
    other = TestClient(client.app, base_url="http://testserver")
    other.headers["User-Agent"] = user_agent
    return other


def signed_in(c: TestClient, kb, sms, mail) -> Citizen:
    citizen = Citizen(c, kb, sms, mail)
    assert citizen.sign_in(PHONE, PASSWORD, PHONE).status_code == 200
    return citizen


def notices(sms, mail) -> tuple[list[str], list[str]]:
    return ([m["text"] for m in sms.to(PHONE) if "нового устройства" in m["text"]],
            [m.text for m in mail.to(EMAIL) if "нового устройства" in m.subject])


def test_a_new_browser_is_told_once_a_known_one_never(client, kb, sms, mail):
    seed(kb, PASSWORD)
    first = signed_in(client, kb, sms, mail)  # the account's first device: remembered quietly
    first.deliver()
    assert notices(sms, mail) == ([], [])
    assert "kabinet_device" in client.cookies
    other = browser(client)
    signed_in(other, kb, sms, mail).deliver()
    texts, letters = notices(sms, mail)
    assert len(texts) == 1 and len(letters) == 1
    assert "Firefox 128 · Linux" in texts[0] and "пароль и код из SMS" in texts[0] and "/not-me?token=" in texts[0]
    assert "МСК" in letters[0]
    signed_in(other, kb, sms, mail).deliver()  # the same browser again
    signed_in(client, kb, sms, mail).deliver()
    assert tuple(map(len, notices(sms, mail))) == (1, 1)


def test_sign_ins_close_together_go_out_as_one_message_and_a_contact_may_switch_them_off(client, kb, sms, mail,
                                                                                       clock):
    seed(kb, PASSWORD)
    ivan = signed_in(client, kb, sms, mail)
    delayed = replace(kb, ctx=replace(kb.ctx, notice_delay=timedelta(seconds=30)))  # the production-like wait
    client.app.state.kb = delayed
    for agent in ("Mozilla/5.0 (Windows NT 10.0) Chrome/120.0.0.0 Safari/537.36", FIREFOX):
        citizen = Citizen(browser(client, agent), kb, sms, mail)
        started = citizen.post("/api/v1/sign-in", {"login": PHONE, "password": PASSWORD}).json()["challenge"]
        ivan.deliver()  # the code goes now; the notice waits for the next change to join it
        assert citizen.confirm(started, sms.last_code(PHONE)).status_code == 200
    clock.advance(seconds=31)
    ivan.deliver()
    texts, letters = notices(sms, mail)
    assert len(texts) == 1 and "Chrome 120" in texts[0] and "Firefox 128" in texts[0], texts

    email = contacts(ivan)[EMAIL]
    off = ivan.client.patch(f"/api/v1/contacts/{email['id']}", json={"sign_in_notices": False}, headers=ivan.auth)
    assert off.status_code == 200 and off.json()["contact"]["sign_in_notices"] is False
    signed_in(browser(client, "Mozilla/5.0 (Macintosh; Mac OS X 14_0) Version/17.1 Safari/605.1.15"),
              kb, sms, mail)
    clock.advance(seconds=31)
    ivan.deliver()
    texts_after, letters_after = notices(sms, mail)
    assert len(texts_after) == 2 and len(letters_after) == len(letters), "the address said no and was told anyway"


def test_this_was_not_me_from_the_notice_ends_the_strangers_session(client, kb, sms, mail):
    seed(kb, PASSWORD)
    signed_in(client, kb, sms, mail)
    stranger = signed_in(browser(client), kb, sms, mail)
    stranger.deliver()
    texts, _letters = notices(sms, mail)
    token = re.search(r"/not-me\?token=([A-Za-z0-9_-]+)", texts[0]).group(1)
    assert client.post("/api/v1/not-me", json={"token": token}).status_code == 200
    assert stranger.get("/api/v1/me").status_code == 401  # that session, and every other, ended
