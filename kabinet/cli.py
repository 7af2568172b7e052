"""``kabinet serve | demo | worker | db upgrade | operator add | client add | keys rotate | audit verify | purge``
(API.md)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from typing import Any

import typer
import uvicorn

from kabinet import bootstrap, logs
from kabinet.config import Settings
from kabinet.store.migrate import upgrade

app = typer.Typer(add_completion=False, no_args_is_help=True, help=(
    "Kabinet: contact data and security.\n\n"
    "Configured by KABINET_* variables (README, Configuration). KABINET_DATA_DIR (default ./var) holds the SQLite "
    "file, the generated secret key and the demo's password; KABINET_DATABASE_URL points elsewhere (PostgreSQL)."))
db_app = typer.Typer(no_args_is_help=True, help="Database commands.")
app.add_typer(db_app, name="db")
audit_app = typer.Typer(no_args_is_help=True, help="History commands.")
app.add_typer(audit_app, name="audit")
operator_app = typer.Typer(no_args_is_help=True, help="Service-centre operators.")
app.add_typer(operator_app, name="operator")
client_app = typer.Typer(no_args_is_help=True, help="Relying services (OpenID Connect clients).")
app.add_typer(client_app, name="client")
keys_app = typer.Typer(no_args_is_help=True, help="Keys that sign ID tokens and security events.")
app.add_typer(keys_app, name="keys")
dkim_app = typer.Typer(no_args_is_help=True, help="DKIM signatures on letters.")
app.add_typer(dkim_app, name="dkim")


def _logging() -> None:
    logs.configure(Settings().log_format)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations to KABINET_DATABASE_URL."""
    settings = Settings()
    kb = bootstrap.build(settings)
    upgrade(kb.store.engine)
    typer.echo("database is up to date")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check every account's history chain (keyed hashes, links, head); exit 1 on any break."""
    from kabinet.audit.verify import breaks, count_accounts

    kb = bootstrap.build(Settings())
    found = []
    with typer.progressbar(length=count_accounts(kb.store), label="accounts", file=sys.stderr) as bar:
        for broken in breaks(kb.store, bar.update):
            found.append(broken)
            typer.echo(f"break: account {broken.account_id} at event {broken.seq or 'head (newest missing)'}")
    typer.echo(f"{len(found)} broken chain(s)" if found else "every history chain is intact")
    raise typer.Exit(1 if found else 0)


@operator_app.command("add")
def operator_add(login: str, centre: str = typer.Option(..., help="The service centre's name."),
                 role: str = typer.Option("operator", help="operator | supervisor")) -> None:
    """Add an operator; prints, once, the password and the app secret (an otpauth:// URI for a QR code)."""
    from kabinet.domain.errors import InvalidInput
    from kabinet.flows.centre import operators

    kb = bootstrap.build(Settings())
    upgrade(kb.store.engine)
    try:
        made = operators.add(kb.ctx, login=login, centre=centre, role=role)
    except InvalidInput as exc:
        typer.echo(f"refused: {exc.field} (a login of 3-64 letters or digits, not taken; a centre name; a role "
                   f"of operator or supervisor)", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"login={made.login}\npassword={made.password}\ntotp={made.otpauth_uri}")


@client_app.command("add")
def client_add(name: str, redirect_uri: list[str] = typer.Option(..., help="Exact redirect URI (repeatable)."),
               public: bool = typer.Option(False, help="A public client: no secret, PKCE only."),
               require: list[str] = typer.Option([], help="verified_email | verified_phone | level:standard | "
                                                           "level:confirmed (repeatable)."),
               pairwise: bool = typer.Option(False, help="A pairwise subject: this service's own sub per citizen."),
               events_uri: str | None = typer.Option(None, help="Where security events (SETs) are POSTed."),
               post_logout_redirect_uri: list[str] = typer.Option([], help="Where the browser may be sent after "
                                                                             "signing out (repeatable)."),
               backchannel_logout_uri: str | None = typer.Option(None, help="Where logout tokens are POSTed when a "
                                                                            "citizen's session ends."),
               require_par: bool = typer.Option(False, help="Answer only pushed authorization requests "
                                                            "(RFC 9126: POST /oidc/par first).")) -> None:
    """Register a relying service; prints client_id and (once) client_secret."""
    from kabinet.domain.errors import InvalidInput
    from kabinet.flows.relying import clients

    kb = bootstrap.build(Settings())
    upgrade(kb.store.engine)
    try:
        made = clients.add(kb.ctx, name=name, redirect_uris=redirect_uri, public=public, requires=require,
                           pairwise=pairwise, events_uri=events_uri, post_logout_redirect_uris=post_logout_redirect_uri,
                           backchannel_logout_uri=backchannel_logout_uri, require_par=require_par)
    except InvalidInput as exc:
        typer.echo(f"refused: {exc.field} (https URIs, or http on 127.0.0.1/localhost; requirements from "
                   f"{', '.join(clients.REQUIREMENTS)})", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"client_id={made.client_id}")
    if made.client_secret:
        typer.echo(f"client_secret={made.client_secret}")


@keys_app.command("rotate")
def keys_rotate() -> None:
    """A new signing key; the old one keeps verifying (stays in the JWKS) until what it signed has expired."""
    from kabinet.policy import OIDC_KEY_KEEP
    from kabinet.security import keys

    kb = bootstrap.build(Settings())
    upgrade(kb.store.engine)
    with kb.store.write() as db:
        row = keys.rotate(db, kb.ctx.key_sealer, kb.clock.now(), OIDC_KEY_KEEP)
    typer.echo(f"kid={row.kid}")


@dkim_app.command("keygen")
def dkim_keygen(out: str = typer.Option(..., help="Where to write the new private key (PEM, mode 0600)."),
                selector: str | None = typer.Option(None, help="The selector (default KABINET_DKIM_SELECTOR).")
                ) -> None:
    """A new DKIM key; prints the DNS TXT record to publish. Then set KABINET_DKIM_KEY to the file."""
    from pathlib import Path

    from kabinet.delivery.dkim_sign import keygen

    settings = Settings()
    try:
        record = keygen(Path(out), selector or settings.dkim_selector, settings.mail_from.rpartition("@")[2])
    except FileExistsError:
        typer.echo(f"refused: {out} exists (a key is never overwritten)", err=True)
        raise typer.Exit(2) from None
    typer.echo(record)


@app.command()
def bounces(recipient: str | None = typer.Option(None, help="The envelope recipient (bounce+<id>@…), when the "
                                                            "mail server passes it.")) -> None:
    """Read one bounce (DSN) or complaint (ARF) on stdin — for a mail server's pipe — and record the letter's fate.
    Exit 0 whether or not it matched a letter (a mail server must not retry the pipe); prints what was done."""
    from kabinet.domain.dsn import read
    from kabinet.flows.contacts import letter_fate

    _logging()
    feedback = read(sys.stdin.buffer.read(), recipient)
    if feedback is None:
        typer.echo("ignored: not a hard bounce or a complaint")
        return
    done = letter_fate.record_feedback(bootstrap.build(Settings()).ctx, feedback)
    typer.echo(f"letter {done.outbox_id}: {done.state}" if done else "ignored: no such letter")


def proxy_options(settings: Settings) -> dict[str, Any]:
    """X-Forwarded-For is read only from KABINET_TRUSTED_PROXIES (uvicorn would trust 127.0.0.1 by default)."""
    trusted = settings.trusted_proxies.strip()
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or None}


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options from the settings. Its own access log is off: Kabinet writes one line per request itself
    (``RequestIds``: the route, not a path with a token; the request id; the hashed account). On SIGTERM uvicorn
    stops accepting and gives the requests under way ``KABINET_GRACEFUL_S`` to finish; with ``--workers N`` its
    supervisor passes the signal on to every worker process."""
    return {"log_level": "info", "log_config": None, "access_log": False,
            "timeout_graceful_shutdown": int(settings.graceful_s), **proxy_options(settings)}


@app.command()
def purge() -> None:
    """Delete expired challenges and recoveries, expire old identity requests (also done hourly by workers)."""
    from kabinet.store.purge import purge as run_purge

    _logging()
    kb = bootstrap.build(Settings())
    done = run_purge(kb.store, kb.clock.now())
    typer.echo(f"purged: {done.challenges} challenges, {done.recoveries} recoveries; "
               f"{done.requests_expired} identity requests expired")


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Apply pending migrations, then serve the cabinet and the API."""
    _logging()
    settings = Settings()

    def migrate() -> None:
        store = bootstrap.build(settings).store
        upgrade(store.engine)
        store.dispose()

    if workers <= 1:
        migrate()
        uvicorn.run("kabinet.web.main:app_from_env", factory=True, host=host, port=port, **server_options(settings))
        return
    from kabinet.web import prefork

    # In a child of its own: the parent that the workers fork from never loads Alembic (~9 MB they would share
    # and never use) and never opens a connection.
    if not prefork.in_a_child(migrate):
        typer.echo("the database migration failed: see the log above", err=True)
        raise typer.Exit(1)
    prefork.serve(host=host, port=port, workers=workers, options=server_options(settings),
                  graceful_s=settings.graceful_s, log_format=settings.log_format)


@app.command()
def demo(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Migrate, seed the demo citizen, and serve in dev mode (/dev/mail, /dev/sms)."""
    from kabinet.demo import EMAIL, PHONE, SNILS, demo_password, seed

    _logging()
    os.environ["KABINET_DEV"] = "1"
    # Links in letters follow --port; a loopback demo is reached by the name "localhost", because browsers refuse
    # passkeys on a bare IP address (the relying party must be a name).
    name = "localhost" if host in ("127.0.0.1", "::1", "localhost") else host
    os.environ.setdefault("KABINET_BASE_URL", f"http://{name}:{port}")
    settings = Settings()
    kb = bootstrap.build(settings)
    upgrade(kb.store.engine)
    password = demo_password(settings.data_dir)
    seed(kb, password)
    base = settings.base_url
    typer.echo(f"\nKabinet demo: {base}/\n  sign in as {PHONE}, {EMAIL} or SNILS {SNILS[:3]}-{SNILS[3:6]}-"
               f"{SNILS[6:9]} {SNILS[9:]}\n  password: {password}\n  SMS codes: {base}/dev/sms   letters: "
               f"{base}/dev/mail\n")
    from kabinet.web.app import create_app

    uvicorn.run(create_app(kb), host=host, port=port, **server_options(settings))


@app.command()
def worker(once: bool = typer.Option(False, help="Send what is due and exit.")) -> None:
    """Drain the outbox (letters, SMS) as its own process."""
    from kabinet.delivery import worker as outbox_worker

    _logging()
    kb = bootstrap.build(Settings())
    if once:
        typer.echo(f"sent {outbox_worker.drain(kb.courier)}")
        return
    stop = threading.Event()
    def stopping(*_args: object) -> None:
        stop.set()
        kb.wake.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stopping)
    asyncio.run(outbox_worker.run(kb.courier, stop))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
