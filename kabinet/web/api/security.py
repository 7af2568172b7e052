"""Sessions and history (API.md)."""

from __future__ import annotations

from typing import Any

from fastapi import Query

from kabinet.flows.access import sessions as session_flows
from kabinet.flows.account import history
from kabinet.flows.relying import connected
from kabinet.web.api.answers import api_router
from kabinet.web.api.problem_docs import problem_responses
from kabinet.web.api.shapes import ConnectedOut, SessionsOut, answers
from kabinet.web.deps import CurrentSession, Kb, RequestMeta

router = api_router(prefix="/api/v1", responses=problem_responses())


@router.get("/sessions", **answers(SessionsOut))
def list_sessions(kb: Kb, session: CurrentSession) -> Any:
    return {"sessions": session_flows.list_sessions(kb.ctx, session=session)}


@router.delete("/sessions/{session_id}", status_code=204)
def revoke(session_id: str, kb: Kb, meta: RequestMeta, session: CurrentSession) -> None:
    session_flows.revoke(kb.ctx, meta, session=session, session_id=session_id)


@router.post("/sessions/revoke-others", status_code=204)
def revoke_others(kb: Kb, meta: RequestMeta, session: CurrentSession) -> None:
    session_flows.revoke_others(kb.ctx, meta, session=session)


@router.get("/history", **answers(history.HistoryPage))
def get_history(kb: Kb, session: CurrentSession, before: int | None = Query(None, ge=1),
                limit: int = Query(history.PAGE, ge=1, le=200),
                type: str | None = Query(None, max_length=48)) -> Any:
    return history.page(kb.ctx, session=session, before=before, limit=limit, type_prefix=type)


@router.get("/connected-services", **answers(ConnectedOut))
def connected_services(kb: Kb, session: CurrentSession) -> Any:
    """Relying services that may sign the citizen in and read their data."""
    return {"services": connected.list_connected(kb.ctx, session=session)}


@router.delete("/connected-services/{grant_id}", status_code=204)
def disconnect(grant_id: str, kb: Kb, meta: RequestMeta, session: CurrentSession) -> None:
    """The service's access ends: every token it holds is revoked at once."""
    connected.disconnect(kb.ctx, meta, session=session, grant_id=grant_id)
