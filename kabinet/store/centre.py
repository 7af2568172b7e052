"""Queries of the service centre: operators, visits, identity requests."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from kabinet.store.models import IdentityRequest, Operator, OperatorEvent, Visit


def operator_by_login(db: Session, login: str) -> Operator | None:
    return db.scalars(select(Operator).where(Operator.login == login)).first()


def lock_operator(db: Session, operator_id: uuid.UUID) -> Operator | None:
    return db.scalars(select(Operator).where(Operator.id == operator_id).with_for_update()
                      .execution_options(populate_existing=True)).one_or_none()


def visit_owner(db: Session, visit_id: uuid.UUID) -> uuid.UUID | None:
    """The account a visit is about (to lock it first, before the visit row)."""
    return db.scalar(select(Visit.account_id).where(Visit.id == visit_id))


def lock_visit(db: Session, visit_id: uuid.UUID) -> Visit | None:
    return db.scalars(select(Visit).where(Visit.id == visit_id).with_for_update()
                      .execution_options(populate_existing=True)).one_or_none()


def lock_identity_request(db: Session, request_id: uuid.UUID) -> IdentityRequest | None:
    return db.scalars(select(IdentityRequest).where(IdentityRequest.id == request_id).with_for_update()
                      .execution_options(populate_existing=True)).one_or_none()


def open_identity_requests(db: Session, account_id: uuid.UUID) -> list[IdentityRequest]:
    return list(db.scalars(select(IdentityRequest).where(IdentityRequest.account_id == account_id,
                                                         IdentityRequest.state == "awaiting_visit")
                           .order_by(IdentityRequest.created_at)))


def operators_of(db: Session, centre: str) -> list[Operator]:
    return list(db.scalars(select(Operator).where(Operator.centre == centre).order_by(Operator.login)))


def recent_operator_events(db: Session, centre: str, limit: int = 50) -> Sequence[Row[Any]]:
    """The centre's operators' newest events first, each with the operator's login: one range of the (centre, id)
    index, however long the trail."""
    return db.execute(select(OperatorEvent.at, OperatorEvent.type, OperatorEvent.details, OperatorEvent.ip,
                             Operator.login)
                      .join(Operator, Operator.id == OperatorEvent.operator_id)
                      .where(OperatorEvent.centre == centre).order_by(OperatorEvent.id.desc()).limit(limit)).all()


def recent_visits(db: Session, centre: str, limit: int = 50) -> list[Visit]:
    return list(db.scalars(select(Visit).where(Visit.centre == centre).order_by(Visit.opened_at.desc()).limit(limit)))
