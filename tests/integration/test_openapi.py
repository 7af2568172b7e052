"""The OpenAPI document describes refusals and how to authenticate (issue 8): a client generated from it knows
the problem shape and the statuses every route can answer."""

from __future__ import annotations


def test_every_api_operation_declares_its_problems_and_the_session_schemes(client):
    doc = client.get("/api/openapi.json").json()
    assert {"HTTPBearer", "APIKeyCookie"} <= set(doc["components"]["securitySchemes"])
    problem = doc["components"]["schemas"]["Problem"]
    assert {"code", "title", "status", "reference"} <= set(problem["required"])
    operations = [(path, method, op) for path, item in doc["paths"].items() for method, op in item.items()]
    assert len(operations) > 30
    for path, method, op in operations:
        for status in ("401", "404", "422", "429"):
            assert "application/problem+json" in op["responses"][status]["content"], (path, method, status)
    signed_in = doc["paths"]["/api/v1/contacts"]["get"]
    assert {"HTTPBearer": []} in signed_in["security"]


def test_the_declared_problem_is_what_a_refusal_looks_like(client):
    refused = client.get("/api/v1/contacts")
    assert refused.status_code == 401 and refused.headers["content-type"] == "application/problem+json"
    assert {"type", "code", "title", "status", "reference"} <= set(refused.json())


def test_every_answer_is_documented_with_its_shape(client):
    """Issue 7: OpenAPI documents every answer, not only refusals."""
    doc = client.get("/api/openapi.json").json()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if "204" in op["responses"]:
                continue  # answers with no body
            answers = {s: r for s, r in op["responses"].items() if s.startswith("2")}
            assert answers, (path, method)
            for status, response in answers.items():
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                assert schema.get("$ref") or schema.get("anyOf"), (path, method, status)


def test_real_answers_have_the_documented_shapes(client, kb, sms, mail):
    """What the API answers validates against the very types OpenAPI documents (no drift)."""
    from pydantic import TypeAdapter

    from kabinet.flows.account.history import HistoryPage
    from kabinet.flows.contacts.remove_contact import Checklist
    from kabinet.flows.recovery.identity_data import IdentityView
    from kabinet.flows.shared.results import AccountView
    from kabinet.web.api.shapes import ContactsOut, ServicesOut, SessionsOut
    from tests.integration.helpers import demo_citizen

    ivan = demo_citizen(client, kb, sms, mail)
    contacts = TypeAdapter(ContactsOut).validate_python(ivan.get("/api/v1/contacts").json())
    assert contacts.contacts and all(c.id for c in contacts.contacts)
    first = contacts.contacts[0].id
    shapes = {"/api/v1/me": AccountView, "/api/v1/sessions": SessionsOut, "/api/v1/history": HistoryPage,
              "/api/v1/services": ServicesOut, "/api/v1/identity": IdentityView,
              f"/api/v1/contacts/{first}/checklist": Checklist}
    for path, shape in shapes.items():
        answer = ivan.get(path)
        assert answer.status_code == 200, (path, answer.text)
        TypeAdapter(shape).validate_python(answer.json())
