"""No secret in a log: tokens and codes in access-log paths are masked."""

from __future__ import annotations

import logging

from kabinet.logs import RedactSecrets, redact


def test_tokens_in_paths_are_masked():
    assert redact("GET /verify-email?token=abcDEF_123-x HTTP/1.1") == "GET /verify-email?token=*** HTTP/1.1"
    assert redact("/not-me?lang=en&token=zzz") == "/not-me?lang=en&token=***"
    assert redact("/api/v1/contacts") == "/api/v1/contacts"


def test_filter_masks_uvicorn_access_record_arguments():
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/verify-email?token=secret123", "1.1", 200), None)
    assert RedactSecrets().filter(record)
    assert "secret123" not in record.getMessage() and "token=***" in record.getMessage()


def test_control_characters_a_stranger_typed_stay_escaped():
    assert redact("/api/v1/x\x1b[31mred\x00\u2028end") == "/api/v1/x\\x1b[31mred\\x00\\u2028end"
    assert redact("/история") == "/история"  # printable text is left alone


def test_addresses_and_numbers_are_masked_even_inside_a_traceback():
    import io
    import logging

    from kabinet.logs import FORMAT, RedactingFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter(FORMAT))
    log = logging.getLogger("kabinet.test.pii")
    log.addHandler(handler)
    try:
        raise RuntimeError('duplicate key value: Key (kind, value)=(email, ivan.ivanov@mail.ru), phone +79001234567')
    except RuntimeError:
        log.exception("write failed for %s", "89161234567")
    log.removeHandler(handler)
    out = stream.getvalue()
    assert "ivan.ivanov@mail.ru" not in out and "i***@mail.ru" in out
    assert "79001234567" not in out and "-67" in out
    assert "89161234567" not in out and "-67" in out
    assert out.count("\n") == 1  # the traceback stays on the record's one line
