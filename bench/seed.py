"""Seed N bench citizens straight into the store: user{i}: phone +7 901 xxx-xx-xx and user{i}@example.org,
both verified and primary, one shared password hash (hashing 3000 times would only slow the set-up)."""

from __future__ import annotations

import sys
import uuid

from kabinet import bootstrap
from kabinet.config import Settings
from kabinet.security.passwords import hash_password
from kabinet.store.migrate import upgrade
from kabinet.store.models import Account, Contact

PASSWORD = "Kabinet-Bench-Passw0rd-2026"


def phone(i: int) -> str:
    return f"+7901{i:07d}"


def main(users: int) -> None:
    kb = bootstrap.build(Settings())
    upgrade(kb.store.engine)
    now = kb.clock.now()
    hashed = hash_password(PASSWORD)
    with kb.store.write() as db:
        for i in range(users):
            account = Account(id=uuid.uuid4(), level="standard", full_name=f"Тестов Тест {i}", locale="ru",
                              password_hash=hashed, created_at=now)
            db.add(account)
            for kind, value in (("phone", phone(i)), ("email", f"user{i}@example.org")):
                db.add(Contact(account_id=account.id, kind=kind, value=value, display=value, verified_at=now,
                               is_primary=True, sign_in=True, recovery=True, created_at=now))
    kb.store.dispose()


if __name__ == "__main__":
    main(int(sys.argv[1]))
