"""Every user-visible text comes from the catalogue (issue 7): each error title, removal check, code purpose,
channel name and notice fragment has a Russian translation with the same ``{fields}``, and every error code
has its HTTP status in the web layer's one table."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

import kabinet.web.csrf  # noqa: F401 - its error is one of the family
from kabinet.domain.contact_book import CHECK_TEXTS, CHECK_VARIANTS
from kabinet.domain.errors import KabinetError
from kabinet.flows.shared.notices import CHANNELS
from kabinet.flows.shared.purposes import PURPOSES
from kabinet.texts import translations
from kabinet.web.problems import STATUS

ROOT = Path(__file__).resolve().parents[2] / "kabinet"


def family(cls: type[KabinetError] = KabinetError) -> list[type[KabinetError]]:
    return [cls, *(c for sub in cls.__subclasses__() for c in family(sub))]


def text_calls() -> set[str]:
    """String literals handed to ``kabinet.texts.text(...)`` anywhere in the package (not SQLAlchemy's)."""
    found = set()
    for path in ROOT.rglob("*.py"):
        source = path.read_text()
        if "from kabinet.texts import" not in source:
            continue
        for node in ast.walk(ast.parse(source)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "text"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                found.add(node.args[0].value)
    return found


def msgids() -> list[str]:
    titles = {c.title for c in family()}
    checks = {t for pair in CHECK_TEXTS.values() for t in pair if t} | set(CHECK_VARIANTS.values())
    return sorted(titles | checks | {p.sms for p in PURPOSES.values() if p.sms} | set(CHANNELS.values()) | text_calls())


def fields(s: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(s) if name}


def test_the_texts_are_found():
    assert len(text_calls()) >= 10 and "{contact} removed" in text_calls()


@pytest.mark.parametrize("msgid", msgids())
def test_every_text_has_a_russian_translation_with_the_same_fields(msgid):
    russian = translations("ru").gettext(msgid)
    assert russian != msgid and any("а" <= ch <= "я" for ch in russian.lower())
    assert fields(russian) == fields(msgid)


def test_every_error_code_has_its_http_status():
    codes = {c.code for c in family()}
    assert codes - STATUS.keys() == set()
    assert all(400 <= STATUS[code] < 600 for code in codes)


def test_the_catalogue_says_each_message_once():
    """A message id twice in messages.po: one of its translations silently wins."""
    lines = (ROOT / "locale" / "ru" / "LC_MESSAGES" / "messages.po").read_text().splitlines()
    ids = [line for line in lines if line.startswith("msgid ")]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
