"""The relying party and origin of passkeys from KABINET_BASE_URL (API.md, Passkeys): the origin must be the one a
browser puts in ``clientDataJSON``, which leaves a scheme's default port out — else every answer fails."""

from __future__ import annotations

import pytest

from kabinet.security.passkeys import browsers_accept, relying_party


@pytest.mark.parametrize(("base_url", "rp_id", "origin"), [
    ("https://lk.example.ru:443", "lk.example.ru", "https://lk.example.ru"),
    ("http://lk.example.ru:80/", "lk.example.ru", "http://lk.example.ru"),
    ("HTTPS://LK.Example.ru:443/base", "lk.example.ru", "https://lk.example.ru"),
    ("https://lk.example.ru:8443", "lk.example.ru", "https://lk.example.ru:8443"),
    ("http://lk.example.ru:443", "lk.example.ru", "http://lk.example.ru:443"),  # not http's default
    ("https://lk.example.ru", "lk.example.ru", "https://lk.example.ru"),
    ("http://127.0.0.1:8000", "127.0.0.1", "http://127.0.0.1:8000"),
    ("http://[::1]:8000", "::1", "http://[::1]:8000"),
    ("http://localhost:80", "localhost", "http://localhost"),
])
def test_the_origin_is_the_one_browsers_send(base_url: str, rp_id: str, origin: str) -> None:
    rp = relying_party(base_url)
    assert (rp.id, rp.origin) == (rp_id, origin)


def test_browsers_take_a_name_but_not_an_ip_address() -> None:
    assert browsers_accept("lk.example.ru") and browsers_accept("localhost")
    assert not browsers_accept("127.0.0.1") and not browsers_accept("::1") and not browsers_accept("")
