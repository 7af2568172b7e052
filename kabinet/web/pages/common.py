"""What every page route shares: redirects, the signed-in citizen, safe "next" paths, error texts by field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response

from kabinet.domain.errors import InvalidInputs, KabinetError, StepUpRequired
from kabinet.flows.shared.results import ChallengeView
from kabinet.store.models import Session as UserSession
from kabinet.web import csrf, flash
from kabinet.web.deps import optional_session
from kabinet.web.i18n import gettext
from kabinet.web.problems import locale_of, status_of, title_of


class SignInFirst(Exception):
    """Raised by ``signed_in`` when a page needs a session; answered with a redirect to the sign-in page."""


async def signed_in(session: Annotated[UserSession | None, Depends(optional_session)]) -> UserSession:
    """(The language switch sets the account's language in ``optional_session``, as the browser's own does.)"""
    if session is None:
        raise SignInFirst()
    return session


Citizen = Annotated[UserSession, Depends(signed_in)]
CsrfChecked = Depends(csrf.check)


def go(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def safe_next(path: str | None, default: str) -> str:
    """Only a path on this site: an open redirect would turn our sign-in into a phishing aid."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return default
    return path


def to_step_up(next_path: str) -> RedirectResponse:
    return go(f"/step-up?next={quote(next_path)}")


def problem_of(request: Request, exc: KabinetError) -> dict[str, Any]:
    """What a form shows: the message, under its field when the error names one."""
    locale = locale_of(request)
    out = {"field": exc.field, "message": title_of(exc, locale), "code": exc.code, **exc.extra}
    # several fields can be wrong at once
    problems: list[KabinetError] = list(exc.problems) if isinstance(exc, InvalidInputs) else [exc]
    out["errors"] = [{"field": e.field, "message": title_of(e, locale), "code": e.code} for e in problems]
    out["by_field"] = {e["field"]: e for e in out["errors"] if e["field"]}
    return out


DONE = {
    "email_added": "We sent a letter with a link. Open it to confirm the address.",
    "email_again": "This address is already added and waits for confirmation: we sent its letter again.",
    "phone_verified": "The phone is confirmed.",
    "primary": "Done: this contact is now primary. Notifications go there from now on.",
    "removed": "The contact is deleted. We told the old address.",
    "removed_unconfirmed": "The unconfirmed contact is deleted.",
    "resent": "Sent again.",
    "change_sent": "We sent a letter with a link to the new address. The old one works until you confirm it.",
    "test_sent": "The test notification is on its way to your primary email.",
    "settings": "Saved.",
    "revoked": "The session is ended.",
    "revoked_others": "Every other session is ended.",
    "password": "The password is changed; other sessions are ended.",
    "totp": "The authenticator app is on: sign-in and confirmations now ask for its code.",
    "totp_off": "The authenticator app is off: codes come by SMS again.",
    "codes_written": "Keep the codes where you keep your passport.",
    "recovery_stopped": "The recovery is stopped; every contact of the account has been told.",
    "signed_out": "You are signed out. To sign in again, enter your login and password.",
    "passkey_added": "The passkey is added: you can sign in with it from now on.",
    "passkey_renamed": "The passkey is renamed.",
    "passkey_removed": "The passkey is removed.",
    "confirmed": "Confirmed.",
    "recovered": "The password is changed and every session is ended. Sign in with the new password.",
    "identity": "Your identity data are saved.",
    "disconnected": "The service is disconnected: it can no longer read your data.",
}


def done_text(request: Request, key: str | None, table: dict[str, str] = DONE) -> str | None:
    return gettext(locale_of(request))(table[key]) if key in table else None


def refused(request: Request, path: str, exc: KabinetError, *, problem: dict[str, Any] | None = None,
            **context: Any) -> Response:
    """A form's refusal: back to the form's own page (POST → 303 → GET, so Back never meets a resent form), which
    shows the problem and what was typed (``context``; never a password)."""
    return flash.redirect(request, path, problem or problem_of(request, exc), status_of(exc), **context)


def run_action(request: Request, action: Callable[[], object], *, back: str, done: str) -> Response:
    """A button's flow: on success back to ``back`` with a done message (or on to the code page when the flow
    asked for a code); a stale second factor goes through step-up and returns; a refusal is shown on ``back``."""
    try:
        result = action()
    except StepUpRequired:
        return to_step_up(back)
    except KabinetError as exc:
        return refused(request, back, exc)
    if challenge := result if isinstance(result, ChallengeView) else getattr(result, "challenge", None):
        return go(f"/confirm/{challenge.id}")
    return go(f"{back}?done={done}")
