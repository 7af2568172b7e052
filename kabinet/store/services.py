"""The services catalogue (what each state service requires of an account)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kabinet.store.models import Service


def all_services(db: Session) -> list[Service]:
    return list(db.scalars(select(Service).order_by(Service.id)))
