"""Letters and SMS from templates, in the recipient's language.

A letter's template is plain text whose first line is ``Subject: …``; the HTML part is made from the
same paragraphs, with links made clickable, so the two parts never disagree (spam filters look for
both, seed line S10).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

_URL = re.compile(r"https?://[^\s<>\"]+")
# Plain-text letters and SMS are not HTML: no escaping there; the HTML part is autoescaped below.
_env = Environment(
    loader=PackageLoader("kabinet.delivery", "templates"), undefined=StrictUndefined, autoescape=False,  # noqa: S701 # nosec B701
    keep_trailing_newline=False,
)
_html_env = Environment(loader=PackageLoader("kabinet.delivery", "templates"), autoescape=True)


def _linkify(text: str) -> Markup:
    out, last = [], 0
    for match in _URL.finditer(text):
        url = match.group(0)
        out += [str(escape(text[last:match.start()])), f'<a href="{escape(url)}">{escape(url)}</a>']
        last = match.end()
    out.append(str(escape(text[last:])).replace("\n", "<br>"))
    return Markup("".join(out))  # noqa: S704 - every piece above is escaped # nosec B704


_html_env.filters["linkify"] = _linkify


@dataclass(frozen=True)
class Letter:
    subject: str
    text: str
    html: str

    @property
    def links(self) -> list[str]:
        return _URL.findall(self.text)


def _locale(locale: str) -> str:
    return "en" if locale == "en" else "ru"


def render_sms(template: str, locale: str, data: dict[str, Any]) -> str:
    return _env.get_template(f"sms_{template}.{_locale(locale)}.txt").render(**data).strip()


def render_letter(template: str, locale: str, data: dict[str, Any]) -> Letter:
    raw = _env.get_template(f"mail_{template}.{_locale(locale)}.txt").render(**data)
    head, _, body = raw.partition("\n\n")
    subject = head.removeprefix("Subject: ").strip()
    text = body.strip() + "\n"
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    html = _html_env.get_template("letter.html").render(subject=subject, paragraphs=paragraphs, locale=locale)
    return Letter(subject=subject, text=text, html=html)
