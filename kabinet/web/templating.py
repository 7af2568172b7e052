"""Jinja2 pages in the caller's language, with the CSRF token and formatting helpers at hand."""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from babel import Locale
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from markupsafe import Markup

from kabinet.domain.devices import METHOD_TEXTS
from kabinet.domain.oauth import SCOPE_TEXTS
from kabinet.web import csrf, flash
from kabinet.web.i18n import LOCALES, day, gettext, when
from kabinet.web.problems import locale_of


class _Translated(Extension):
    """``_("a constant")`` in a page is its translation, put in at compile time: a page is compiled once per
    language, and its fixed texts become part of the template's static output (escaped once, then just copied).
    Calling ``_`` for each text on each request was the largest part of rendering a page. A call with
    anything but one string literal (``_(label)``) stays a call, to the same catalogue."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        text = gettext(self.environment.kabinet_locale)  # type: ignore[attr-defined]
        tokens = list(stream)
        i = 0
        while i < len(tokens):
            t = tokens[i]
            if (t.type == "name" and t.value == "_" and i + 3 < len(tokens) and tokens[i + 1].type == "lparen"
                    and tokens[i + 2].type == "string" and tokens[i + 3].type == "rparen"
                    and (i == 0 or tokens[i - 1].type != "dot")):
                yield Token(t.lineno, "string", text(tokens[i + 2].value))
                i += 4
                continue
            yield t
            i += 1


_ENVS = {locale: Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                             autoescape=select_autoescape(["html"]), auto_reload=False, extensions=[_Translated])
         for locale in LOCALES}
# The one per-request value the shared macros need. They are imported without the page's context (base.html), so
# Jinja builds the macro module once per language instead of once per page (~70 µs, an eighth of the contact page);
# the form's CSRF input reaches them through this variable, set by ``render`` for the page being rendered.
_CSRF_INPUT: ContextVar[Markup | None] = ContextVar("csrf_input", default=None)
_INPUT = Markup('<input type="hidden" name="{}" value="{}">')


def _csrf_input() -> Markup:
    return _CSRF_INPUT.get() or Markup()


for _locale, _env in _ENVS.items():
    _env.extend(kabinet_locale=_locale)
    _env.globals["csrf_input"] = _csrf_input


def warm() -> None:
    """Compile every page and load both languages' formatting data now: in a preforking server (``web.prefork``)
    the parent does it once and its workers share the result, instead of each compiling them on first use."""
    for locale, env in _ENVS.items():
        for name in env.list_templates(extensions=["html"]):
            env.get_template(name)
        gettext(locale)
        when("2026-01-01T00:00:00+00:00", locale)
        day("2026-01-01", locale)
        Locale.parse(locale).territories.get("RU")


def render(request: Request, name: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """A page. A form's refusal that was answered with a redirect here (``pages.common.refused``) is shown on it:
    its problem, its status and what the form held — once, on the page it was meant for."""
    if context.get("problem") is None and (left := flash.take(request)) is not None:
        context.update(left["context"], problem=left["problem"])
        status = left["status"]
    locale = locale_of(request)
    # Made once here, not per form (``{{ csrf_input() }}``): a page has one to five forms. ``path`` likewise: the
    # navigation asks for it seven times.
    reset = _CSRF_INPUT.set(_INPUT.format(csrf.FIELD, csrf.token_for(request)))
    try:
        html = _render(locale, name, request, context, status)
    finally:
        _CSRF_INPUT.reset(reset)
    response = HTMLResponse(html, status_code=status)
    secure = request.app.state.kb.settings.secure_cookies
    csrf.remember(request, response, secure=secure)
    if flash.COOKIE in request.cookies:  # shown, or stale: either way it is gone
        response.delete_cookie(flash.COOKIE, path="/", httponly=True, samesite="lax", secure=secure)
    if request.query_params.get("lang") in ("ru", "en"):  # the language switch sticks
        response.set_cookie("lang", locale, samesite="lax", secure=secure, max_age=365 * 86400, path="/")
    return response


def _render(locale: str, name: str, request: Request, context: dict[str, Any], status: int) -> str:
    return _ENVS.get(locale, _ENVS[LOCALES[0]]).get_template(name).render(
        locale=locale, request=request, _=gettext(locale), when=lambda v: when(v, locale),
        day=lambda v: day(v, locale), scope_texts=SCOPE_TEXTS, method_texts=METHOD_TEXTS,
        place=lambda code: Locale.parse(locale).territories.get(code) if code else None,
        path=request.url.path, status=status, **context)
