"""Sign-in in two steps, registration, the code page (every challenge), step-up, sign-out, the email link and
"this wasn't me" — as server-rendered pages calling the same flows as the API."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs, quote, urlsplit

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kabinet.domain.errors import ChallengeUsed, KabinetError
from kabinet.flows.access import passkeys, registration, sign_in, step_up
from kabinet.flows.access import sessions as session_flows
from kabinet.flows.contacts import verify_email
from kabinet.flows.recovery import not_me
from kabinet.flows.recovery.password_reset import RecoveryView
from kabinet.flows.relying import clients
from kabinet.flows.shared import challenges
from kabinet.flows.shared.purposes import PURPOSES
from kabinet.flows.shared.results import ChallengeView
from kabinet.web.deps import Kb, MaybeSession, RequestMeta, clear_session_cookie, set_session_cookie
from kabinet.web.oidc.authorization import return_source, with_return_source
from kabinet.web.pages.common import Citizen, CsrfChecked, done_text, go, problem_of, refused, safe_next
from kabinet.web.pages.recovery import recovery_next
from kabinet.web.problems import status_of
from kabinet.web.steps import step_router
from kabinet.web.templating import render

router = step_router(include_in_schema=False)
AFTER = {p.name: p.after for p in PURPOSES.values() if p.after}  # where the code page goes once confirmed


@router.get("/")
def home(session: MaybeSession) -> RedirectResponse:
    return go("/settings/contacts" if session else "/sign-in")


def _with_next(path: str, back: str) -> str:
    return path + (f"?next={quote(back, safe='')}" if back else "")


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, kb: Kb, session: MaybeSession, done: str | None = None, next: str = "",
                 asked: str = "", login: str = "", reauth: str = "") -> Response:
    """``next``: where to go once signed in — a page of this site only (a relying service's authorization).
    Already signed in (Back after signing in, an old bookmark): on to where the sign-in would have led — unless a
    service asked for a fresh sign-in (``reauth``). ``login``: prefilled (a service's ``login_hint``)."""
    back = safe_next(next, "")
    if session is not None and not done and reauth != "1":
        return go(back or "/settings/contacts")
    return render(request, "sign_in.html", login=login[:320], problem=None, done=done_text(request, done),
                  next=back, asked=asked == "1", service=_asking_service(kb, back),
                  passkeys_available=passkeys.available(kb.ctx))


def _asking_service(kb: Kb, back: str) -> str | None:
    """The relying service a sign-in continues to (its authorization is where it leads), by name."""
    if not back.startswith("/oidc/authorize?"):
        return None
    client_id = parse_qs(urlsplit(back).query).get("client_id", [""])[0]
    return clients.name_of(kb.ctx, client_id)


@router.post("/sign-in", dependencies=[CsrfChecked])
def sign_in_submit(request: Request, kb: Kb, meta: RequestMeta, login: Annotated[str, Form(max_length=320)] = "",
                   password: Annotated[str, Form(max_length=1024)] = "", next: str = "") -> Response:
    back = safe_next(next, "")
    try:
        challenge = sign_in.start(kb.ctx, meta, login=login, password=password)
    except KabinetError as exc:
        return refused(request, _with_next("/sign-in", back), exc, login=login)
    return go(_with_next(f"/confirm/{challenge.id}", back))


@router.get("/register", response_class=HTMLResponse)
def register_page(request: Request) -> HTMLResponse:
    return render(request, "register.html", form={"full_name": "", "phone": ""}, problem=None)


@router.post("/register", dependencies=[CsrfChecked])
def register_submit(request: Request, kb: Kb, meta: RequestMeta, full_name: Annotated[str, Form(max_length=300)] = "",
                    phone: Annotated[str, Form(max_length=64)] = "",
                    password: Annotated[str, Form(max_length=1024)] = "") -> Response:
    try:
        challenge = registration.start(kb.ctx, meta, phone=phone, password=password, full_name=full_name)
    except KabinetError as exc:
        return refused(request, "/register", exc, form={"full_name": full_name, "phone": phone})
    return go(f"/confirm/{challenge.id}")


def _code_page(request: Request, challenge: ChallengeView, next_path: str, problem: dict | None = None,
               status: int = 200, done: str | None = None) -> Response:
    purpose = PURPOSES[challenge.purpose].sms or "Confirming an action"
    page = render(request, "confirm.html", status=status, challenge=challenge, next=next_path, problem=problem,
                  done=done, purpose_text=purpose, signed_in=request.cookies.get("kabinet_session") is not None,
                  fallback=challenge.purpose in challenges.FALLBACK,
                  passkey_after=(next_path or AFTER.get(challenge.purpose, "/settings/contacts"))
                  if challenge.purpose in challenges.PASSKEY_ANSWERS and passkeys.available(request.app.state.kb.ctx)
                  else None)
    if (uri := return_source(request.app.state.kb, next_path)) is not None:  # a sign-in for a service
        return with_return_source(page, uri)
    return page


@router.get("/confirm/{challenge_id}", response_class=HTMLResponse)
def confirm_page(request: Request, challenge_id: str, kb: Kb, session: MaybeSession, next: str = "",
                 done: str | None = None) -> Response:
    try:
        challenge = challenges.show(kb.ctx, challenge_id, session)
    except ChallengeUsed:
        if session is not None:  # Back to a code already answered, signed in: on, not to a stale form
            return go(safe_next(next, "/settings/contacts"))
        return render(request, "sign_in.html", status=410, login="", problem=problem_of(request, ChallengeUsed()))
    except KabinetError as exc:  # expired, used up or not yours: start again
        return render(request, "sign_in.html", status=status_of(exc), login="", problem=problem_of(request, exc))
    return _code_page(request, challenge, safe_next(next, ""), done=done_text(request, done))


def _code_refused(request: Request, challenge_id: str, next_path: str, exc: KabinetError,
                  problem: dict | None = None) -> Response:
    """Back to the code page, which shows the refusal (or, when the code cannot be answered any more, the
    sign-in page does)."""
    return refused(request, _with_next(f"/confirm/{challenge_id}", safe_next(next_path, "")), exc, problem=problem)


@router.post("/confirm/{challenge_id}", dependencies=[CsrfChecked])
def confirm_submit(request: Request, challenge_id: str, kb: Kb, meta: RequestMeta, session: MaybeSession,
                   code: Annotated[str, Form(max_length=16)] = "", next: str = "") -> Response:
    try:
        done = challenges.confirm(kb.ctx, meta, challenge_id, code, session)
    except KabinetError as exc:
        return _code_refused(request, challenge_id, next, exc)
    result = done.result
    if isinstance(result, RecoveryView):  # a recovery goes on to its next proof or the new password
        return go(recovery_next(result))
    if challenge := getattr(result, "challenge", None):  # a Change of phone: now the code sent to the new number
        return go(f"/confirm/{challenge.id}")
    response = go(safe_next(next, AFTER.get(done.purpose, "/settings/contacts")))
    if token := getattr(result, "session_token", None):
        set_session_cookie(response, kb, token, meta)
    return response


@router.post("/confirm/{challenge_id}/resend", dependencies=[CsrfChecked])
def resend_submit(request: Request, challenge_id: str, kb: Kb, meta: RequestMeta, session: MaybeSession,
                  next: str = "") -> Response:
    try:
        challenges.resend(kb.ctx, meta, challenge_id, session)
    except KabinetError as exc:
        return _code_refused(request, challenge_id, next, exc)
    back = safe_next(next, "")
    return go(f"/confirm/{challenge_id}?done=resent" + (f"&next={quote(back, safe='')}" if back else ""))


@router.post("/confirm/{challenge_id}/send-code", dependencies=[CsrfChecked])
def send_code_submit(request: Request, challenge_id: str, kb: Kb, meta: RequestMeta, session: MaybeSession,
                     next: str = "") -> Response:
    """No app at hand: a code by SMS instead."""
    try:
        challenges.by_message(kb.ctx, meta, challenge_id, session)
    except KabinetError as exc:
        return _code_refused(request, challenge_id, next, exc)
    return go(_with_next(f"/confirm/{challenge_id}", safe_next(next, "")))


@router.post("/confirm/{challenge_id}/backup", dependencies=[CsrfChecked])
def backup_code_submit(request: Request, challenge_id: str, kb: Kb, meta: RequestMeta, session: MaybeSession,
                       backup_code: Annotated[str, Form(max_length=32)] = "", next: str = "") -> Response:
    try:
        done = challenges.confirm_with_backup_code(kb.ctx, meta, challenge_id, backup_code, session)
    except KabinetError as exc:
        problem = problem_of(request, exc)
        problem["field"] = "backup_code" if problem["field"] in (None, "code") else problem["field"]
        return _code_refused(request, challenge_id, next, exc, problem)
    response = go(safe_next(next, AFTER.get(done.purpose, "/settings/contacts")))
    if token := getattr(done.result, "session_token", None):
        set_session_cookie(response, kb, token, meta)
    return response


@router.get("/step-up", response_class=HTMLResponse)
def step_up_page(request: Request, session: Citizen, next: str = "/security") -> HTMLResponse:
    return render(request, "step_up.html", next=safe_next(next, "/security"), signed_in=True)


@router.post("/step-up", dependencies=[CsrfChecked])
def step_up_submit(kb: Kb, meta: RequestMeta, session: Citizen,
                   next: Annotated[str, Form(max_length=300)] = "/security") -> Response:
    challenge = step_up.start(kb.ctx, meta, session=session)
    return go(f"/confirm/{challenge.id}?next={quote(safe_next(next, '/security'))}")


@router.post("/sign-out", dependencies=[CsrfChecked])
def sign_out_submit(kb: Kb, meta: RequestMeta, session: MaybeSession) -> Response:
    if session is not None:
        session_flows.sign_out(kb.ctx, meta, session=session)
    response = go("/sign-in?done=signed_out")
    clear_session_cookie(response, kb)
    return response


@router.get("/verify-email", response_class=HTMLResponse)
def verify_page(request: Request, kb: Kb, meta: RequestMeta, token: str = "") -> HTMLResponse:
    try:
        preview = verify_email.preview(kb.ctx, meta, token=token)
    except KabinetError as exc:
        return render(request, "verify_email.html", status=status_of(exc), problem=problem_of(request, exc))
    return render(request, "verify_email.html", preview=preview, token=token)


@router.post("/verify-email", dependencies=[CsrfChecked])
def verify_submit(request: Request, kb: Kb, meta: RequestMeta,
                  token: Annotated[str, Form(max_length=200)] = "") -> HTMLResponse:
    try:
        verify_email.confirm(kb.ctx, meta, token=token)
    except KabinetError as exc:
        return render(request, "verify_email.html", status=status_of(exc), problem=problem_of(request, exc))
    return render(request, "verify_email.html", confirmed=True)


@router.get("/not-me", response_class=HTMLResponse)
def not_me_page(request: Request, token: str = "") -> HTMLResponse:
    return render(request, "not_me.html", token=token, ended=None, problem=None)


@router.post("/not-me", dependencies=[CsrfChecked])
def not_me_submit(request: Request, kb: Kb, meta: RequestMeta,
                  token: Annotated[str, Form(max_length=200)] = "") -> HTMLResponse:
    try:
        ended = not_me.run(kb.ctx, meta, token=token).sessions_ended
    except KabinetError as exc:
        return render(request, "not_me.html", status=status_of(exc), token="", ended=None,
                      problem=problem_of(request, exc))
    return render(request, "not_me.html", token="", ended=ended, problem=None)
