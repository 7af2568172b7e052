"""Jinja2 pages in the caller's language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from kabinet.web.problems import locale_of

_env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                   autoescape=select_autoescape(["html"]), auto_reload=False)


def render(request: Request, name: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    locale = locale_of(request)
    html = _env.get_template(name).render(locale=locale, request=request, **context)
    return HTMLResponse(html, status_code=status)
