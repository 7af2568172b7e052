"""One purpose table (issue 27.3): every purpose the code issues a challenge for is in it, each answered by a code
or an app has its confirm handler once the flows are imported (``bootstrap`` refuses to start otherwise), each code
says in its SMS what it is for in both languages, and every page it leads to is a page of this site."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kabinet import flows  # noqa: F401 - the confirm handlers
from kabinet.flows.shared import challenges
from kabinet.flows.shared.purposes import PURPOSES
from kabinet.texts import translate

ROOT = Path(__file__).resolve().parents[2] / "kabinet"


def issued() -> set[str]:
    """Every purpose a challenge is made for anywhere in the package (``purpose="…"`` literals)."""
    return {m for path in ROOT.rglob("*.py") for m in re.findall(r'purpose="([a-z_]+)"', path.read_text())}


def test_every_issued_purpose_is_in_the_table():
    assert issued() - PURPOSES.keys() == set()
    assert PURPOSES.keys() - issued() == set()  # nor one nobody issues


def test_every_purpose_answered_by_a_code_has_its_handler_and_an_app_code_its_check():
    challenges.check_wiring()  # what bootstrap runs at start
    for p in PURPOSES.values():
        assert (p.name in challenges._HANDLERS) == (p.answered_by != "link"), p.name
        assert (p.name in challenges._CHECKS) == (p.answered_by == "app"), p.name


def test_a_missing_handler_stops_the_start(monkeypatch):
    monkeypatch.delitem(challenges._HANDLERS, "centre_phone")
    with pytest.raises(RuntimeError, match="centre_phone"):
        challenges.check_wiring()


def test_every_code_says_what_it_is_for_in_both_languages():
    for p in PURPOSES.values():
        if p.answered_by == "code":
            assert p.sms, p.name
            assert translate("ru", p.sms) != p.sms, f"{p.name}: no Russian for {p.sms!r}"
            assert translate("en", p.sms) == p.sms


def test_pages_after_are_this_sites_and_flags_are_consistent():
    for p in PURPOSES.values():
        assert p.after is None or (p.after.startswith("/") and not p.after.startswith("//")), p.name
        assert not p.new_passkey_cannot or p.passkey, p.name
        assert not (p.fallback or p.passkey) or p.answered_by == "code", p.name
