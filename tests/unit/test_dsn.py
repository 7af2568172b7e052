"""Reading bounces and complaints (issue 14): a hard bounce names its letter by the original Message-ID or the
VERP address; a delay or a temporary failure is not a bounce; an ARF report is a complaint."""

from __future__ import annotations

from kabinet.domain.dsn import read

DSN = b"""From: MAILER-DAEMON@mx.mail.ru
To: bounce+42@kabinet.localhost
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.mail.ru

Final-Recipient: rfc822; nobody@mail.ru
Action: {action}
Status: {status}
Diagnostic-Code: smtp; 550 5.1.1 <nobody@mail.ru>: user unknown

--B
Content-Type: text/rfc822-headers

From: no-reply@kabinet.localhost
To: nobody@mail.ru
Message-ID: <3f2a9c@kabinet.localhost>
Subject: Confirm your address

--B--
"""

ARF = b"""From: fbl@mail.ru
To: abuse@kabinet.localhost
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="F"

--F
Content-Type: text/plain

This is an abuse report.

--F
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: MailRu-FBL/1.0
Version: 1

--F
Content-Type: message/rfc822

From: no-reply@kabinet.localhost
To: someone@mail.ru
Message-ID: <77aa01@kabinet.localhost>
Subject: Notice

Hello.
--F--
"""


def dsn(action: str = "failed", status: str = "5.1.1") -> bytes:
    return DSN.replace(b"{action}", action.encode()).replace(b"{status}", status.encode())


def test_a_hard_bounce_names_its_letter_twice_over():
    found = read(dsn())
    assert found is not None and found.kind == "bounced"
    assert (found.outbox_key, found.outbox_id, found.status) == ("3f2a9c", 42, "5.1.1")
    assert "user unknown" in found.diagnostic


def test_a_delay_or_a_temporary_failure_is_not_a_bounce():
    assert read(dsn(action="delayed", status="4.4.1")) is None
    assert read(dsn(action="failed", status="4.2.2")) is None


def test_a_complaint_is_read_from_an_arf_report():
    found = read(ARF, recipient="bounce+7@kabinet.localhost")
    assert found is not None and (found.kind, found.outbox_key, found.outbox_id) == ("complained", "77aa01", 7)


def test_an_ordinary_letter_is_nothing():
    assert read(b"From: a@b.c\nTo: bounce+1@kabinet.localhost\nSubject: hi\n\nthanks!") is None
