"""Issue 26.2: the authenticator app shows as on (with a success message), can be turned off, and a sign-in that asks
the app has a way out when the phone with the app is not at hand — a code by SMS instead, or a backup code."""

from __future__ import annotations

import re

from sqlalchemy import select

from kabinet.demo import EMAIL, PHONE
from kabinet.store.models import Session as UserSession
from tests.driver import Citizen
from tests.integration.helpers import PASSWORD, demo_citizen
from tests.integration.test_totp_password import enrol


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in_to_the_app(client, kb, sms, mail) -> dict:
    client.cookies.clear()
    started = client.post("/api/v1/sign-in", json={"login": EMAIL, "password": PASSWORD})
    assert started.status_code == 202 and started.json()["challenge"]["channel"] == "totp"
    return started.json()["challenge"]


def test_enrolling_on_the_page_says_it_is_on_and_security_shows_the_state(client, kb, sms, mail, clock):
    import pyotp

    ivan = demo_citizen(client, kb, sms, mail)
    page = client.get("/security")
    assert "Выключено" in page.text and "Подключить приложение" in page.text
    enrolment = client.post("/security/totp", data={"csrf_token": csrf(page.text)})
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', enrolment.text).group(1)
    link = re.search(r'href="(/confirm/[^"]+)"', enrolment.text).group(1)
    form = client.get(link)
    done = client.post(link, data={"code": pyotp.TOTP(secret).at(clock.now()), "csrf_token": csrf(form.text)},
                       follow_redirects=True)
    assert done.url.path == "/security" and "при входе и подтверждениях теперь нужен код" in done.text
    assert "Включено" in done.text and "Отключить приложение" in done.text
    assert "Подключить приложение</button>" not in done.text  # not offered as if it were off
    assert ivan.get("/api/v1/totp").json()["on"] is True


def test_no_app_at_hand_a_code_by_sms_instead(client, kb, sms, mail, clock, ivan):
    enrol(ivan, clock)
    challenge = sign_in_to_the_app(client, kb, sms, mail)
    page = client.get(f"/confirm/{challenge['id']}")
    assert "Прислать код по SMS" in page.text and "резервный код" in page.text
    switched = client.post(f"/api/v1/challenges/{challenge['id']}/send-code")
    assert switched.status_code == 202
    now = switched.json()["challenge"]
    assert now["channel"] == "sms" and now["destination"] == "+7 900 ***-**-67" and now["id"] == challenge["id"]
    assert now["attempts_left"] == challenge["attempts_left"]  # switching buys no guesses
    other = Citizen(client, kb, sms, mail)
    assert other.confirm(now, other.code_for(PHONE)).status_code == 200
    with kb.store.read() as db:
        newest = db.scalars(select(UserSession).order_by(UserSession.created_at.desc())).first()
        assert newest.auth_method == "password+sms"


def test_no_app_at_hand_a_backup_code_signs_in_once_and_every_channel_hears(client, kb, sms, mail, clock, ivan):
    enrol(ivan, clock)
    codes = ivan.post("/api/v1/backup-codes").json()["codes"]
    challenge = sign_in_to_the_app(client, kb, sms, mail)
    path = f"/api/v1/challenges/{challenge['id']}/backup-code"
    wrong = client.post(path, json={"code": "aaaaa-aaaaa"})
    assert wrong.status_code == 400 and wrong.json()["attempts_left"] == challenge["attempts_left"] - 1
    right = client.post(path, json={"code": codes[0]})
    assert right.status_code == 200 and right.json()["session_token"]
    ivan.deliver()
    assert any("резервный код" in m["text"] for m in sms.to(PHONE))  # told: a backup code was used
    again = sign_in_to_the_app(client, kb, sms, mail)
    reused = client.post(f"/api/v1/challenges/{again['id']}/backup-code", json={"code": codes[0]})
    assert reused.status_code == 400, "a backup code works once"


def test_the_backup_code_form_on_the_code_page_signs_in(client, kb, sms, mail, clock, ivan):
    enrol(ivan, clock)
    codes = ivan.post("/api/v1/backup-codes").json()["codes"]
    challenge = sign_in_to_the_app(client, kb, sms, mail)
    page = client.get(f"/confirm/{challenge['id']}")
    bad = client.post(f"/confirm/{challenge['id']}/backup", data={"backup_code": "bbbbb-bbbbb",
                                                                  "csrf_token": csrf(page.text)})
    assert bad.status_code == 400 and 'id="e-backup_code"' in bad.text
    done = client.post(f"/confirm/{challenge['id']}/backup", data={"backup_code": codes[1],
                                                                   "csrf_token": csrf(bad.text)},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/settings/contacts"
    assert "kabinet_session" in done.cookies


def test_turning_the_app_off_needs_a_fresh_factor_is_told_and_codes_go_by_sms(client, kb, sms, mail, clock, ivan):
    enrol(ivan, clock)
    clock.advance(minutes=11)  # the step-up window has passed
    ivan.get("/api/v1/me")
    assert ivan.delete("/api/v1/totp").json()["code"] == "auth.step_up_required"
    step = ivan.post("/api/v1/step-up").json()["challenge"]
    assert step["channel"] == "totp"
    switched = ivan.post(f"/api/v1/challenges/{step['id']}/send-code").json()["challenge"]
    assert ivan.confirm(switched, ivan.code_for(PHONE)).status_code == 200  # a step-up has the way out too
    assert ivan.delete("/api/v1/totp").json() == {"on": False, "since": None}
    ivan.deliver()
    assert "отключено приложение-аутентификатор" in sms.to(PHONE)[-1]["text"]
    events = [e["type"] for e in ivan.get("/api/v1/history").json()["events"]]
    assert "totp:disabled" in events
    client.cookies.clear()
    again = client.post("/api/v1/sign-in", json={"login": EMAIL, "password": PASSWORD}).json()["challenge"]
    assert again["channel"] == "sms"
