"""What the integration tests share: the constants every file used to define for itself, and the steps of a
citizen's walk (the demo citizen signed in, an address confirmed by its link, the contact list)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from kabinet.audit.events import Meta
from kabinet.demo import PHONE, seed
from tests.driver import Citizen

PASSWORD = "demo-password-1"  # the demo citizen's (seeded by demo_citizen)
NEW_PASSWORD = "correct horse battery"  # a registration's or a change's: passes the password policy
META = Meta(ip="127.0.0.1")  # what a flow called directly (no HTTP) is told of the request


def demo_citizen(client, kb, sms, mail) -> Citizen:
    seed(kb, PASSWORD)
    ivan = Citizen(client, kb, sms, mail)
    assert ivan.sign_in(PHONE, PASSWORD, PHONE).status_code == 200
    return ivan


def link_token(c: Citizen, address: str) -> str:
    c.deliver()
    letters = c.mail.to(address)
    assert letters, f"no letter to {address}"
    link = next(u for u in letters[-1].links if "/verify-email" in u)
    return parse_qs(urlsplit(link).query)["token"][0]


def add_verified_email(c: Citizen, address: str) -> str:
    added = c.post("/api/v1/contacts", {"kind": "email", "value": address})
    assert added.status_code == 201, added.text
    assert c.post("/api/v1/contacts/verify", {"token": link_token(c, address)}).status_code == 200
    return added.json()["contact"]["id"]


def contacts(c: Citizen) -> dict[str, dict]:
    return {x["value"]: x for x in c.get("/api/v1/contacts").json()["contacts"]}


def connect_caep_client(kb, account_id) -> str:
    """A relying service the account has connected, which takes security events (a push endpoint): its client id."""
    import uuid

    from kabinet.store.models import OidcClient, OidcGrant

    now = kb.clock.now()
    with kb.store.write() as db:
        db.add(OidcClient(id="caep-client", name="Сервис", redirect_uris=["https://rp.example/cb"], requires=[],
                          events_uri="https://rp.example/events", created_at=now))
        db.flush()
        db.add(OidcGrant(id=uuid.uuid4(), account_id=account_id, client_id="caep-client", scopes=["openid"],
                         created_at=now))
    return "caep-client"
