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
