"""The demo citizen of DOMAIN.md, created once per data dir so ``kabinet demo`` can be run again."""

from __future__ import annotations

import os
import secrets
from datetime import date
from pathlib import Path

from sqlalchemy import select

from kabinet.audit.events import SYSTEM, EventType, Meta, record
from kabinet.bootstrap import Kabinet
from kabinet.security.passwords import hash_password
from kabinet.store.models import Account, Contact

SNILS = "11223344595"
PHONE = "+79001234567"
EMAIL = "ivan.ivanov@mail.ru"
PASSPORT = "4508123456"


def demo_password(data_dir: Path) -> str:
    """Made once and kept (mode 0600) beside the database, so the printed password stays true."""
    path = data_dir / "demo-password.txt"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(f"demo-{secrets.token_urlsafe(6)}")
    return path.read_text().strip()


def seed(kb: Kabinet, password: str) -> bool:
    """Create the demo citizen unless present; True when created."""
    now = kb.clock.now()
    with kb.store.write() as db:
        existing = db.scalars(select(Account).where(Account.snils == SNILS)).first()
        if existing is not None:
            existing.passport_hash = existing.passport_hash or kb.hasher.digest("passport", PASSPORT)
            existing.passport_hint = PASSPORT[-2:]
            return False
        account = Account(level="confirmed", full_name="Иванов Иван Иванович", snils=SNILS,
                          birth_date=date(1985, 4, 12), passport_hash=kb.hasher.digest("passport", PASSPORT),
                          passport_hint=PASSPORT[-2:], locale="ru", password_hash=hash_password(password),
                          created_at=now)
        db.add(account)
        db.flush()
        for kind, value, display in (("phone", PHONE, "+7 900 123-45-67"), ("email", EMAIL, EMAIL)):
            db.add(Contact(account_id=account.id, kind=kind, value=value, display=display, verified_at=now,
                           last_confirmed_at=now, is_primary=True, sign_in=True, recovery=True, created_at=now))
        record(db, account, EventType.ACCOUNT_REGISTERED, at=now, meta=Meta(), actor=SYSTEM, channel="demo")
        return True
