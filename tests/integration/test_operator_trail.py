"""The operators' own trail: every sign-in to the console (and by what), every refused one, sign-outs, passwords and
security keys are written as they happen, and a supervisor reads their centre's — in the API and on the console's
centre page — never another centre's. What operators do to citizens is in the citizens' histories (test_centre)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pyotp
from sqlalchemy import func, select, update

from kabinet.flows.centre import operators
from kabinet.store.models import Operator as OperatorRow
from kabinet.store.models import OperatorEvent
from tests.integration.test_centre import Operator
from tests.integration.test_operator_keys import OWN_PASSWORD, add_key, password_step, with_key
from tests.integration.test_passkeys import ORIGIN
from tests.webauthn_soft import SoftAuthenticator


def supervisor(client, kb, sms, mail, login: str = "boss", centre: str = "МФЦ Тверской") -> Operator:
    made = operators.add(kb.ctx, login=login, centre=centre, role="supervisor")
    boss = Operator(client, kb, sms, mail)
    started = boss.post("/api/v1/operator/sign-in", {"login": login, "password": made.password}).json()
    secret = parse_qs(urlsplit(made.otpauth_uri).query)["secret"][0]
    boss.token = boss.post(f"/api/v1/operator/sign-in/{started['challenge']['id']}/confirm",
                           {"code": pyotp.TOTP(secret).at(kb.clock.now())}).json()["operator_token"]
    own = boss.post("/api/v1/operator/password", {"current": made.password, "new": "Слово-Руководителя-2026"})
    assert own.status_code == 204, own.text  # the console's pages open only after that
    return boss


def trail(boss: Operator, login: str) -> list[str]:
    """What the supervisor reads for one operator, newest first."""
    seen = boss.get("/api/v1/operator/centre")
    assert seen.status_code == 200, seen.text
    return [e["what"] for e in seen.json()["security"] if e["operator"] == login]


def events(kb) -> int:
    with kb.store.read() as db:
        return db.scalar(select(func.count()).select_from(OperatorEvent))


def test_a_supervisor_reads_every_sign_in_refusal_sign_out_and_password_of_the_centres_operators(client, kb, sms,
                                                                                                     mail):
    olga = Operator(client, kb, sms, mail).sign_in_as("petrova")  # added, signed in by the app, own password set
    wrong = client.post("/api/v1/operator/sign-in", json={"login": "petrova", "password": "not-her-password"})
    assert wrong.status_code == 401
    started = password_step(olga)
    kb.clock.advance(seconds=30)
    refused = client.post(f"/api/v1/operator/sign-in/{started['id']}/confirm", json={"code": "000000"})
    assert refused.json()["code"] == "challenge.code_wrong", refused.text
    assert olga.post("/api/v1/operator/password", {"current": "a guess", "new": "Другое-Слово-2027"}).status_code == 401
    assert olga.post("/api/v1/operator/sign-out").status_code == 204
    before = events(kb)
    assert client.post("/api/v1/operator/sign-in", json={"login": "nobody", "password": "x"}).status_code == 401
    assert events(kb) == before  # a login that is no one's leaves nothing: there is no operator to attach it to

    operators.add(kb.ctx, login="arbat", centre="МФЦ Арбат")  # another centre's operator
    boss = supervisor(client, kb, sms, mail)
    assert trail(boss, "petrova") == [
        "Выход",
        "Пароль не изменён: текущий указан неверно",
        "Вход отклонён: неверный код из приложения",
        "Вход отклонён: неверный пароль",
        "Пароль изменён; завершено других сеансов консоли: 0",
        "Вход по коду из приложения",
        "Добавлен из командной строки как оператор",
    ]
    assert trail(boss, "boss") == ["Пароль изменён; завершено других сеансов консоли: 0", "Вход по коду из приложения",
                                   "Добавлен из командной строки как руководитель"]
    seen = boss.get("/api/v1/operator/centre").json()["security"]
    assert "arbat" not in {e["operator"] for e in seen}
    signed = next(e for e in seen if e["operator"] == "petrova" and e["type"] == "operator:signed_in")
    assert signed["ip"] and signed["at"]
    added = next(e for e in seen if e["operator"] == "petrova" and e["type"] == "operator:added")
    assert added["ip"] is None  # from the command line

    english = boss.client.get("/api/v1/operator/centre", headers={"Authorization": f"Bearer {boss.token}",
                                                                    "Accept-Language": "en"}).json()["security"]
    assert "Sign-in refused: wrong password" in [e["what"] for e in english if e["operator"] == "petrova"]

    client.cookies.set("kabinet_operator", boss.token, path="/operator")
    page = client.get("/operator/centre")
    assert page.status_code == 200
    assert "Доступ операторов к консоли" in page.text and "Вход отклонён: неверный пароль" in page.text


def test_security_keys_added_used_refused_and_removed_are_in_the_trail(client, kb, sms, mail):
    olga = Operator(client, kb, sms, mail).sign_in_as("petrova")
    key = SoftAuthenticator(ORIGIN)
    made = add_key(olga, key, "Ключ на связке")
    forged = SoftAuthenticator(ORIGIN, credential_id=key.credential_id, user_handle=key.user_handle, rp_id="testserver")
    assert with_key(client, password_step(olga), forged).status_code == 401  # the right id, another key
    signed = with_key(client, password_step(olga), key)
    assert signed.status_code == 200, signed.text
    olga.token = signed.json()["operator_token"]
    assert olga.delete(f"/api/v1/operator/keys/{made['id']}").status_code == 204
    boss = supervisor(client, kb, sms, mail)
    assert trail(boss, "petrova")[:4] == [
        "Удалён ключ безопасности: Ключ на связке",
        "Вход по ключу безопасности",
        "Вход отклонён: ключ безопасности не подтвердил вход",
        "Добавлен ключ безопасности: Ключ на связке",
    ]


def test_a_switched_off_operator_is_refused_and_the_trail_says_why(client, kb, sms, mail):
    """The right password of an operator who has been switched off opens nothing; the trail does not call it a wrong
    password (which would send a supervisor looking for a guesser)."""
    Operator(client, kb, sms, mail).sign_in_as("petrova")
    with kb.store.write() as db:
        db.execute(update(OperatorRow).where(OperatorRow.login == "petrova").values(active=False))
    refused = client.post("/api/v1/operator/sign-in", json={"login": "petrova", "password": OWN_PASSWORD})
    assert refused.status_code == 401
    assert trail(supervisor(client, kb, sms, mail), "petrova")[0] == "Вход отклонён: оператор отключён"
