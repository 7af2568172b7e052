"""Letters composed without the stdlib MIME tree still read back exactly with the stdlib parser."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest

from kabinet.delivery.compose import Envelope, compose
from kabinet.delivery.render import Letter, render_letter

AT = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)


def envelope(to: str = "ivan@example.org") -> Envelope:
    return Envelope(sender="no-reply@kabinet.example", to=to, message_id="<k1@kabinet.example>", at=AT)


def test_a_cyrillic_letter_reads_back_whole() -> None:
    subject = "Контактные данные изменены — очень длинная тема, которая не помещается в одну строку заголовка"
    text = "Здравствуйте!\n\n" + "Строка с ссылкой https://kabinet.example/not-me?token=abc\n" * 40
    letter = Letter(subject=subject, text=text, html="<p>Здравствуйте!</p>")
    raw = compose(letter, envelope())
    assert all(len(line) <= 998 for line in raw.split(b"\r\n")) and raw.isascii()
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == subject
    assert (parsed["From"], parsed["To"]) == ("no-reply@kabinet.example", "ivan@example.org")
    assert parsed["Message-ID"] == "<k1@kabinet.example>" and parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Date"].datetime == AT
    assert parsed.get_body(("plain",)).get_content() == text
    assert parsed.get_body(("html",)).get_content().strip() == "<p>Здравствуйте!</p>"
    assert parsed.get_content_type() == "multipart/alternative" and len(parsed.get_payload()) == 2


def test_a_real_template_in_english_with_an_ascii_subject() -> None:
    letter = render_letter("test_notification", "en", {"account_name": "Ivanov I. I."})
    parsed = message_from_bytes(compose(letter, envelope()), policy=policy.default)
    assert parsed["Subject"] == letter.subject
    assert parsed.get_body(("plain",)).get_content() == letter.text
    assert parsed.get_body(("html",)).get_content() == letter.html


@pytest.mark.parametrize("to", ["иван@example.org", "a@example.org\r\nBcc: b@example.org"])
def test_addresses_that_would_need_encoding_or_inject_headers_are_refused(to: str) -> None:
    with pytest.raises(ValueError):
        compose(Letter(subject="s", text="t", html="h"), envelope(to))
