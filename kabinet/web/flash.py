"""A form's refusal, carried across its redirect (POST → 303 → GET).

Why: a refusal answered in place leaves a POST's answer in the browser's history, and with ``Cache-Control:
no-store`` Back then shows ERR_CACHE_MISS or asks to send the form again. So a refused form redirects to its own
page, and what that page must show — the problem, its status, what was typed (never a password) — travels in a
cookie sealed with the service key, for a minute, for that one path; the page shows it once (``templating.render``).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import InvalidToken
from fastapi import Request
from fastapi.responses import RedirectResponse

from kabinet.security.crypto import Sealer

COOKIE = "kabinet_flash"
LIVES_S = 60


def _sealer(request: Request) -> Sealer:
    state = request.app.state
    if getattr(state, "flash_sealer", None) is None:
        state.flash_sealer = Sealer(state.kb.settings.key, "form-flash")
    return state.flash_sealer


def redirect(request: Request, path: str, problem: dict[str, Any], status: int, **context: Any) -> RedirectResponse:
    """303 to ``path``, whose page then shows ``problem`` (answered with ``status``) and ``context``."""
    payload = json.dumps({"path": urlsplit(path).path, "status": status, "problem": problem, "context": context},
                         ensure_ascii=False, default=str)
    response = RedirectResponse(path, status_code=303)
    response.set_cookie(COOKIE, _sealer(request).seal(payload), max_age=LIVES_S, httponly=True, samesite="lax",
                        secure=request.app.state.kb.settings.secure_cookies, path="/")
    return response


def take(request: Request) -> dict[str, Any] | None:
    """The refusal meant for this page, if one is waiting (a GET of the path it named, within its minute)."""
    sealed = request.cookies.get(COOKIE)
    if not sealed or request.method != "GET":
        return None
    try:
        left = json.loads(_sealer(request).open(sealed, ttl=LIVES_S))
    except (InvalidToken, ValueError):
        return None
    return left if left.get("path") == request.url.path else None
