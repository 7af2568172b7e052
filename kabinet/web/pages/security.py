"""Security (S15, S13): active sessions with revoke and revoke-all-others, which contacts serve sign-in and
recovery, the authenticator app with a QR code, backup codes, identity documents, and the password."""

from __future__ import annotations

import base64
import io
from typing import Annotated

from cryptography.fernet import InvalidToken
from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response

from kabinet.domain.errors import KabinetError, StepUpRequired
from kabinet.flows.access import change_password, passkeys, totp
from kabinet.flows.access import sessions as session_flows
from kabinet.flows.contacts import contact_list, contact_settings
from kabinet.flows.recovery import backup_codes, identity_data
from kabinet.flows.relying import connected
from kabinet.security.crypto import Sealer
from kabinet.web.deps import Kb, RequestMeta
from kabinet.web.pages.common import Citizen, CsrfChecked, done_text, go, problem_of, refused, run_action, to_step_up
from kabinet.web.steps import reads_only, step_router
from kabinet.web.templating import render

router = step_router(prefix="/security", include_in_schema=False)
PAGE = "/security"


def security_view(request: Request, kb: Kb, session: Citizen, *, problem: dict | None = None, status: int = 200,
                  done: str | None = None, identity_form: dict | None = None) -> HTMLResponse:
    return render(request, "security.html", status=status, signed_in=True, problem=problem,
                  done=done_text(request, done), sessions=session_flows.list_sessions(kb.ctx, session=session),
                  contacts=contact_list.list_contacts(kb.ctx, account_id=session.account_id),
                  backup_left=backup_codes.count(kb.ctx, account_id=session.account_id),
                  identity=identity_data.show(kb.ctx, session=session), identity_form=identity_form or {},
                  connected=connected.list_connected(kb.ctx, session=session),
                  totp=totp.state(kb.ctx, account_id=session.account_id),
                  passkeys=passkeys.list_passkeys(kb.ctx, account_id=session.account_id),
                  passkeys_available=passkeys.available(kb.ctx))



@router.get("", response_class=HTMLResponse)
@reads_only
def security_page(request: Request, kb: Kb, session: Citizen, done: str | None = None) -> HTMLResponse:
    return security_view(request, kb, session, done=done)



@router.post("/sessions/{session_id}/revoke", dependencies=[CsrfChecked])
def revoke(request: Request, session_id: str, kb: Kb, meta: RequestMeta, session: Citizen) -> Response:
    return run_action(request, back=PAGE, done="revoked",
                      action=lambda: session_flows.revoke(kb.ctx, meta, session=session, session_id=session_id))


@router.post("/sessions/revoke-others", dependencies=[CsrfChecked])
def revoke_others(request: Request, kb: Kb, meta: RequestMeta, session: Citizen) -> Response:
    return run_action(request, back=PAGE, done="revoked_others",
                      action=lambda: session_flows.revoke_others(kb.ctx, meta, session=session))


@router.post("/contacts/{contact_id}", dependencies=[CsrfChecked])
def contact_roles(request: Request, contact_id: str, kb: Kb, meta: RequestMeta, session: Citizen,
                  sign_in: Annotated[str, Form()] = "", recovery: Annotated[str, Form()] = "",
                  notices: Annotated[str, Form()] = "", notices_shown: Annotated[str, Form()] = "") -> Response:
    """(``notices`` is a checkbox only primary contacts show: unticked sends nothing, so ``notices_shown`` says it
    was there.)"""
    return run_action(request, back=PAGE, done="settings", action=lambda: contact_settings.update(
        kb.ctx, meta, session=session, contact_id=contact_id, sign_in=sign_in == "1", recovery=recovery == "1",
        sign_in_notices=notices == "1" if notices_shown else None))


@router.post("/connected/{grant_id}/disconnect", dependencies=[CsrfChecked])
def disconnect(request: Request, grant_id: str, kb: Kb, meta: RequestMeta, session: Citizen) -> Response:
    return run_action(request, back=PAGE, done="disconnected",
                      action=lambda: connected.disconnect(kb.ctx, meta, session=session, grant_id=grant_id))


@router.post("/password", dependencies=[CsrfChecked])
def password(request: Request, kb: Kb, meta: RequestMeta, session: Citizen,
             current: Annotated[str, Form(max_length=1024)] = "", new: Annotated[str, Form(max_length=1024)] = ""
             ) -> Response:
    try:
        waiting = change_password.run(kb.ctx, meta, session=session, current=current, new=new)
    except StepUpRequired:
        return to_step_up(PAGE)
    except KabinetError as exc:
        problem = problem_of(request, exc)
        problem["field"] = "new" if problem["field"] == "password" else problem["field"]
        return refused(request, PAGE, exc, problem=problem)
    return go("/trusted?done=password_asked" if waiting else f"{PAGE}?done=password")


def qr_svg(uri: str) -> str:
    """The otpauth URI as an SVG QR code (made here by ``qrcode``: nothing is fetched from outside)."""
    import qrcode  # imported when someone enrols an app: with Pillow it would weigh on every worker's memory
    import qrcode.image.svg

    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return base64.b64encode(buffer.getvalue()).decode()


@router.post("/totp", dependencies=[CsrfChecked])
def totp_start(request: Request, kb: Kb, meta: RequestMeta, session: Citizen) -> Response:
    try:
        enrolment = totp.start_enrol(kb.ctx, meta, session=session)
    except StepUpRequired:
        return to_step_up(PAGE)
    return render(request, "totp.html", signed_in=True, secret=enrolment.secret,
                  challenge=enrolment.challenge, qr=qr_svg(enrolment.otpauth_uri))


@router.post("/totp/off", dependencies=[CsrfChecked])
def totp_off(request: Request, kb: Kb, meta: RequestMeta, session: Citizen) -> Response:
    return run_action(request, back=PAGE, done="totp_off", action=lambda: totp.disable(kb.ctx, meta, session=session))


@router.post("/passkeys/{passkey_id}/rename", dependencies=[CsrfChecked])
def passkey_rename(request: Request, passkey_id: str, kb: Kb, meta: RequestMeta, session: Citizen,
                   name: Annotated[str, Form(max_length=200)] = "") -> Response:
    return run_action(request, lambda: passkeys.rename(kb.ctx, meta, session=session, passkey_id=passkey_id,
                                                       name=name), back=PAGE, done="passkey_renamed")


@router.post("/passkeys/{passkey_id}/remove", dependencies=[CsrfChecked])
def passkey_remove(request: Request, passkey_id: str, kb: Kb, meta: RequestMeta, session: Citizen) -> Response:
    return run_action(request, lambda: passkeys.remove(kb.ctx, meta, session=session, passkey_id=passkey_id),
                      back=PAGE, done="passkey_removed")


Text = Annotated[str, Form(max_length=32)]


# New backup codes are shown on a page of their own (POST, then 303 to GET), so a reload shows the same codes again
# instead of making new ones and voiding those just written down. Between the two they travel in a cookie sealed
# with the service key, bound to the session, for ten minutes, readable only under /security/backup-codes.
SHOWN_COOKIE, SHOWN_PATH, SHOWN_FOR_S = "kabinet_new_codes", "/security/backup-codes", 600


def _shown_sealer(kb: Kb) -> Sealer:
    return Sealer(kb.settings.key, "backup-codes-shown")


@router.post("/backup-codes", dependencies=[CsrfChecked])
def backup_codes_submit(request: Request, kb: Kb, meta: RequestMeta, session: Citizen,
                        replace: Annotated[str, Form(max_length=1)] = "") -> Response:
    """Codes still unused are never voided by one press: the citizen is told how many there are and asked."""
    left = backup_codes.count(kb.ctx, account_id=session.account_id)
    if left and replace != "1":
        return render(request, "backup_codes_replace.html", signed_in=True, left=left)
    try:
        codes = backup_codes.make(kb.ctx, meta, session=session)
    except StepUpRequired:
        return to_step_up("/security#backup-codes")
    response = go(f"{SHOWN_PATH}/new")
    response.set_cookie(SHOWN_COOKIE, _shown_sealer(kb).seal(f"{session.id} {' '.join(codes)}"), max_age=SHOWN_FOR_S,
                        httponly=True, samesite="strict", secure=kb.settings.secure_cookies, path=SHOWN_PATH)
    return response


@router.get("/backup-codes/new", response_class=HTMLResponse)
def backup_codes_shown(request: Request, kb: Kb, session: Citizen) -> Response:
    try:
        owner, *codes = _shown_sealer(kb).open(request.cookies.get(SHOWN_COOKIE, ""), ttl=SHOWN_FOR_S).split()
    except (InvalidToken, ValueError):
        return go("/security#backup-codes")
    if owner != str(session.id):
        return go("/security#backup-codes")
    return render(request, "backup_codes.html", signed_in=True, codes=codes)


@router.post("/backup-codes/written", dependencies=[CsrfChecked])
def backup_codes_written(kb: Kb, session: Citizen) -> Response:
    """"I have written them down": the codes leave the browser."""
    response = go("/security?done=codes_written#backup-codes")
    response.delete_cookie(SHOWN_COOKIE, path=SHOWN_PATH, httponly=True, samesite="strict",
                           secure=kb.settings.secure_cookies)
    return response


@router.post("/identity", dependencies=[CsrfChecked])
def identity_data_submit(request: Request, kb: Kb, meta: RequestMeta, session: Citizen, snils: Text = "",
                         passport: Text = "", birth_date: Text = "") -> Response:
    try:
        identity_data.save(kb.ctx, meta, session=session, snils=snils, passport=passport, birth_date=birth_date)
    except StepUpRequired:
        return to_step_up("/security#identity")
    except KabinetError as exc:
        return refused(request, PAGE, exc, identity_form={"snils": snils, "passport": passport,
                                                           "birth_date": birth_date})
    return go("/security?done=identity")
