"""Issue 26, the newcomer's second walk, over HTTP: what a page shows and where it leads, each check failing before
its fix. (What needs a browser — Back, CSP, widths — is in tests/e2e.)"""

from __future__ import annotations

import re

from tests.integration.helpers import demo_citizen


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_backup_codes_are_not_replaced_by_a_second_press_or_a_reload(client, kb, sms, mail):
    demo_citizen(client, kb, sms, mail)
    made = client.post("/security/backup-codes", data={"csrf_token": csrf(client.get("/security").text)},
                       follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"] == "/security/backup-codes/new"
    shown = client.get("/security/backup-codes/new")
    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", shown.text)
    assert len(codes) == 10
    assert re.findall(r"<code>([a-z0-9-]{11})</code>", client.get("/security/backup-codes/new").text) == codes
    asked = client.post("/security/backup-codes", data={"csrf_token": csrf(shown.text)})
    assert "Заменить резервные коды?" in asked.text and "<strong>10</strong>" in asked.text
    assert "Осталось неиспользованных кодов: <strong>10</strong>" in client.get("/security").text
    replaced = client.post("/security/backup-codes", data={"csrf_token": csrf(asked.text), "replace": "1"})
    fresh = re.findall(r"<code>([a-z0-9-]{11})</code>", replaced.text)
    assert len(fresh) == 10 and not set(fresh) & set(codes)
    written = client.post("/security/backup-codes/written", data={"csrf_token": csrf(replaced.text)},
                          follow_redirects=False)
    assert written.status_code == 303
    assert client.get("/security/backup-codes/new", follow_redirects=False).status_code == 303  # gone from here
