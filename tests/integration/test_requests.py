"""Support requests (issue 10, point 4): filed by the citizen, answered by an operator with a letter, a thread kept
in the cabinet and the history."""

from __future__ import annotations

from kabinet.demo import EMAIL
from tests.integration.test_centre import operator


def test_a_request_is_filed_answered_by_letter_and_kept_as_a_thread(client, kb, sms, mail, ivan):
    filed = ivan.post("/api/v1/requests", {"topic": "contacts", "text": "Не приходит письмо на новый адрес",
                                           "reference": "a1b2c3d4e5f6"})
    assert filed.status_code == 201, filed.text
    request = filed.json()["request"]
    assert request["state"] == "new" and len(request["number"]) == 11 and request["reference"] == "a1b2c3d4e5f6"
    assert [m["author"] for m in request["messages"]] == ["citizen"]
    olga = operator(client, kb, sms, mail)
    queued = olga.get("/api/v1/operator/requests").json()["requests"]
    assert [r["number"] for r in queued] == [request["number"]]
    taken = olga.post(f"/api/v1/operator/requests/{request['id']}/answer", {"state": "in_work"})
    assert taken.status_code == 200 and taken.json()["request"]["state"] == "in_work"
    answered = olga.post(f"/api/v1/operator/requests/{request['id']}/answer",
                         {"text": "Проверьте папку «Спам» и запросите письмо ещё раз", "state": "answered"})
    assert answered.status_code == 200, answered.text
    client.cookies.clear()
    mine = ivan.get("/api/v1/requests").json()["requests"]
    assert mine[0]["state"] == "answered"
    assert [(m["author"], m["text"]) for m in mine[0]["messages"]] == [
        ("citizen", "Не приходит письмо на новый адрес"),
        ("operator", "Проверьте папку «Спам» и запросите письмо ещё раз")]
    ivan.deliver()
    letter = mail.to(EMAIL)[-1]
    assert request["number"] in letter.subject and "папку «Спам»" in letter.text
    event = next(e for e in ivan.get("/api/v1/history").json()["events"] if e["type"] == "request:answered")
    assert event["actor"]["kind"] == "operator" and event["details"]["number"] == request["number"]
    exported = ivan.get("/api/v1/export").json()
    assert exported["requests"][0]["state"] == "answered"


def test_a_closed_request_takes_no_more_answers_and_bad_states_are_refused(client, kb, sms, mail, ivan):
    request = ivan.post("/api/v1/requests", {"topic": "other", "text": "Вопрос"}).json()["request"]
    olga = operator(client, kb, sms, mail)
    bad = olga.post(f"/api/v1/operator/requests/{request['id']}/answer", {"text": "x", "state": "new"})
    assert bad.status_code == 422
    empty = olga.post(f"/api/v1/operator/requests/{request['id']}/answer", {"text": " ", "state": "answered"})
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "text"
    closed = olga.post(f"/api/v1/operator/requests/{request['id']}/answer", {"text": "Решено", "state": "closed"})
    assert closed.status_code == 200
    again = olga.post(f"/api/v1/operator/requests/{request['id']}/answer", {"text": "Ещё", "state": "answered"})
    assert again.status_code == 404 and again.json()["code"] == "request.not_found"
    assert olga.get("/api/v1/operator/requests").json()["requests"] == []


def test_requests_keep_citizens_and_operators_apart(client, kb, sms, mail, ivan):
    olga = operator(client, kb, sms, mail)
    client.cookies.clear()
    assert client.get("/api/v1/operator/requests", headers=ivan.auth).status_code == 401
    assert client.get("/api/v1/requests", headers=olga.auth).status_code == 401
    assert client.post("/api/v1/requests", json={"topic": "other", "text": "x"}).status_code == 401


def test_the_cabinet_lists_requests_with_their_answers_and_exports_them(client, kb, sms, mail, ivan):
    request = ivan.post("/api/v1/requests", {"topic": "access", "text": "Как сменить пароль?"}).json()["request"]
    olga = operator(client, kb, sms, mail)
    olga.post(f"/api/v1/operator/requests/{request['id']}/answer",
              {"text": "Раздел «Безопасность», пункт «Пароль»", "state": "answered"})
    client.cookies.clear()
    page = client.get("/requests", headers=ivan.auth)
    assert page.status_code == 200
    assert "Как сменить пароль?" in page.text and "Раздел «Безопасность», пункт «Пароль»" in page.text
    assert f"Обращение № {request['number']}" in page.text and "отвечено" in page.text
    exported = client.get("/export.json", headers=ivan.auth)
    assert exported.status_code == 200 and exported.json()["requests"][0]["state"] == "answered"
